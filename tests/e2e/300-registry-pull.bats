#!/usr/bin/env bats
# The registry client's pull (src/registry/client-pull.c, client-manifest.c,
# client-layer.c) through tests/helpers/reg-tool, without the daemon, from
# Debian's docker-registry on loopback: by tag and by digest, OCI indexes and
# platform choice, schema 1 refused, unknown tags, a corrupted blob refused
# with nothing kept, a pull resumed after the registry went away (through
# tests/helpers/throttle-proxy.py, killed and started again), layers shared
# with an image pulled before ("Already exists"), and a failed pull that
# leaves the store as it was.

load helpers
load registry

bats_require_minimum_version 1.5.0

REGTOOL=$BUILD/src/registry/reg-tool
REGPUT="python3 $HELPERS/regput.py"
PROXY="python3 $HELPERS/throttle-proxy.py"

setup_file() {
	start_docker_registry
	export DREG_ADDR DREG_DIR DREG_PID DREG_PORT
	skopeo_put "$(busybox_archive)" "$DREG_ADDR/busybox:latest"
	# A two-platform index (with an attestation entry) over busybox.
	$REGPUT image "$DREG_ADDR" plat:amd64 --base busybox:latest --layers 0 >/dev/null
	$REGPUT image "$DREG_ADDR" plat:arm64 --base busybox:latest --layers 1 --seed arm \
		--arch arm64 --variant v8 >/dev/null
	$REGPUT index "$DREG_ADDR" plat:multi amd64=linux/amd64 arm64=linux/arm64/v8 \
		>"$BATS_FILE_TMPDIR/index-digest"
}

teardown_file() {
	stop_docker_registry
}

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

pull() {
	"$REGTOOL" pull --root "$ROOT" "$@"
}

# What the stores hold, to compare before and after a failure.
store_listing() {
	(cd "$ROOT" && find blobs layers -maxdepth 2 | sort)
}

# The registry's data file of a blob.
blob_data() {
	local hex=${1#sha256:}
	echo "$DREG_DIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# A proxy on port $1 to the registry at rate $2 (more options after).
start_proxy() {
	local port=$1 rate=$2 log=$BATS_TEST_TMPDIR/proxy.log
	shift 2
	: >"$log"
	$PROXY "$port" "$DREG_ADDR" --rate "$rate" "$@" >"$log" 2>&1 &
	PROXY_PID=$!
	PIDS+=("$PROXY_PID")
	local i
	for i in $(seq 100); do
		grep -q listening "$log" && return 0
		sleep 0.05
	done
	return 1
}

@test "pull by tag: progress, digests, chain ids, the stores" {
	run pull "$DREG_ADDR/busybox:latest"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pulling fs layer"* ]]
	[[ "$output" == *": Downloading "*/* ]]
	[[ "$output" == *": Verifying Checksum"* ]]
	[[ "$output" == *": Download complete"* ]]
	[[ "$output" == *": Extracting "* ]]
	[[ "$output" == *": Pull complete"* ]]
	local manifest config chain
	manifest=$(curl -sf -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$DREG_ADDR/v2/busybox/manifests/latest")
	config=$(jq -r .config.digest <<<"$manifest")
	[[ "$output" == *"config $config"* ]]
	[[ "$output" == *"repo-digest sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"* ]]
	[[ "$output" == *"fresh yes"* ]]
	# Config, manifest and the layer blob are stored; the layer is unpacked.
	[ -f "$ROOT/blobs/sha256/${config#sha256:}" ]
	local layer
	layer=$(jq -r '.layers[0].digest' <<<"$manifest")
	[ -f "$ROOT/blobs/sha256/${layer#sha256:}" ]
	chain=$(grep '^chain ' <<<"$output" | cut -d' ' -f2)
	[ -x "$ROOT/layers/${chain#sha256:}/bin/busybox" ]
	# Again: everything is there.
	run pull "$DREG_ADDR/busybox:latest"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Already exists"* ]]
	[[ "$output" != *"Downloading"* ]]
	[[ "$output" == *"fresh no"* ]]
}

@test "pull by digest" {
	local digest
	digest=$(curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$DREG_ADDR/v2/busybox/manifests/latest" |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
	[ -n "$digest" ]
	run pull "$DREG_ADDR/busybox@$digest"
	[ "$status" -eq 0 ]
	[[ "$output" == *"repo-digest $digest"* ]]
	[[ "$output" == *"manifest $digest"* ]]
	run pull "$DREG_ADDR/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
}

@test "an OCI index: linux/amd64 by default, --platform chooses, attestations skipped" {
	local idx amd arm
	idx=$(cat "$BATS_FILE_TMPDIR/index-digest")
	amd=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$DREG_ADDR/v2/plat/manifests/amd64" | sha256sum | cut -d' ' -f1)
	arm=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$DREG_ADDR/v2/plat/manifests/arm64" | sha256sum | cut -d' ' -f1)
	run pull "$DREG_ADDR/plat:multi"
	[ "$status" -eq 0 ]
	[[ "$output" == *"repo-digest $idx"* ]]
	[[ "$output" == *"manifest sha256:$amd"* ]]
	[ "$(grep -c '^chain ' <<<"$output")" -eq 1 ]
	# The index is stored too.
	[ -f "$ROOT/blobs/sha256/${idx#sha256:}" ]
	for p in linux/arm64 linux/arm64/v8 linux/aarch64; do
		run pull --platform "$p" "$DREG_ADDR/plat:multi"
		[ "$status" -eq 0 ]
		[[ "$output" == *"manifest sha256:$arm"* ]]
		[ "$(grep -c '^chain ' <<<"$output")" -eq 2 ]
	done
	# The arm64 image shares busybox's layer with the amd64 one.
	[[ "$output" == *": Already exists"* ]]
}

@test "no matching platform; an invalid platform" {
	run pull --platform linux/s390x "$DREG_ADDR/plat:multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: no matching manifest for linux/s390x in the manifest list entries"* ]]
	[[ "$output" == *"kind: NOT_FOUND"* ]]
	run pull --platform linux "$DREG_ADDR/plat:multi"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown operating system or architecture"* ]]
	[ ! -d "$ROOT/layers" ] || [ -z "$(ls "$ROOT/layers")" ]
}

@test "unknown tag and repository: docker's manifest unknown" {
	run pull "$DREG_ADDR/busybox:nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: manifest for $DREG_ADDR/busybox:nope not found: manifest unknown"* ]]
	[[ "$output" == *"kind: NOT_FOUND"* ]]
}

@test "schema 1 is refused with dockerd's deprecation notice" {
	local port log=$BATS_TEST_TMPDIR/s1.log
	port=$(free_port)
	$REGPUT schema1-server "$port" >"$log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
	run pull "127.0.0.1:$port/old:latest"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: [DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of 127.0.0.1:$port/old:latest to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/"* ]]
	[[ "$output" == *"kind: INVALID"* ]]
}

@test "tags: every tag of a repository" {
	run "$REGTOOL" tags "$DREG_ADDR/plat"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "amd64 arm64 multi " ]
	run "$REGTOOL" tags "$DREG_ADDR/nothere"
	[ "$status" -eq 1 ]
	# More than one page (reg_list_tags asks for 100 at a time).
	$REGPUT tags "$DREG_ADDR" plat:amd64 250
	run "$REGTOOL" tags "$DREG_ADDR/plat"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 253 ]
	[ "$(sort -u <<<"$output" | wc -l)" -eq 253 ]
	[[ "$output" == *t249* ]]
}

@test "a multi-layer image: layers shared with an image pulled before already exist" {
	run $REGPUT image "$DREG_ADDR" multi:v1 --base busybox:latest --layers 4 --seed m1 --size 200000
	[ "$status" -eq 0 ]
	run $REGPUT image "$DREG_ADDR" multi:v2 --base multi:v1 --layers 2 --seed m2 --size 200000
	[ "$status" -eq 0 ]
	run pull --jobs 2 "$DREG_ADDR/multi:v1"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^chain ' <<<"$output")" -eq 5 ]
	# Two at once: the others wait.
	[ "$(grep -c ': Waiting' <<<"$output")" -eq 3 ]
	run pull "$DREG_ADDR/multi:v2"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Already exists' <<<"$output")" -eq 5 ]
	[ "$(grep -c ': Pull complete' <<<"$output")" -eq 2 ]
	[ "$(grep -c '^chain ' <<<"$output")" -eq 7 ]
	# Every chain is a layer directory holding its own files.
	local c
	for c in $(grep '^chain ' <<<"$output" | cut -d' ' -f2); do
		[ -d "$ROOT/layers/${c#sha256:}" ]
	done
	[ -d "$ROOT/layers/$(grep '^chain ' <<<"$output" | tail -1 | cut -d' ' -f2 | cut -d: -f2)/layer-m2-1" ]
}

@test "a corrupted blob is refused and nothing of the pull is kept" {
	run pull "$DREG_ADDR/busybox:latest"
	[ "$status" -eq 0 ]
	run $REGPUT image "$DREG_ADDR" bad:v1 --base busybox:latest --layers 2 --seed bad --size 100000
	[ "$status" -eq 0 ]
	local bad=${lines[2]} f size
	f=$(blob_data "$bad")
	size=$(stat -c %s "$f")
	head -c "$size" /dev/urandom >"$f.new"
	mv "$f.new" "$f"
	local before
	before=$(store_listing)
	run pull "$DREG_ADDR/bad:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: filesystem layer verification failed for digest $bad"* ]]
	[[ "$output" == *"kind: INVALID"* ]]
	[ "$(store_listing)" = "$before" ]
	[ -z "$(ls "$ROOT/blobs/tmp" 2>/dev/null)" ]
	[ -z "$(ls "$ROOT/layers" | grep tmp-)" ]
	# No process of the pull is left.
	[ -z "$(pgrep -f "reg-tool pull --root $ROOT" || true)" ]
}

@test "a failed pull (a missing blob) leaves the store as it was" {
	run pull "$DREG_ADDR/busybox:latest"
	[ "$status" -eq 0 ]
	run $REGPUT image "$DREG_ADDR" gone:v1 --base busybox:latest --layers 3 --seed gone --size 100000
	[ "$status" -eq 0 ]
	local gone=${lines[3]}
	rm -f "$(blob_data "$gone")"
	local before
	before=$(store_listing)
	run pull "$DREG_ADDR/gone:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: "* ]]
	[ "$(store_listing)" = "$before" ]
	[ -z "$(ls "$ROOT/blobs/tmp" 2>/dev/null)" ]
}

# interrupted_pull EXTRA-PROXY-OPTIONS: pull a 3 MB layer at 600 kB/s, kill
# the proxy in the middle, start it again 3 s later, and expect the pull to
# finish.
interrupted_pull() {
	local port
	port=$(free_port)
	run $REGPUT image "$DREG_ADDR" slow:v1 --layers 1 --seed "slow$*" --size 3000000
	[ "$status" -eq 0 ]
	start_proxy "$port" 600000 "$@"
	pull "127.0.0.1:$port/slow:v1" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
	local pull_pid=$!
	PIDS+=("$pull_pid")
	sleep 2
	kill "$PROXY_PID"
	wait "$PROXY_PID" || true
	sleep 3
	start_proxy "$port" 50000000 "$@"
	local rc=0
	wait "$pull_pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/pull.out"
	[ "$rc" -eq 0 ]
	grep -q ': Retrying in ' "$BATS_TEST_TMPDIR/pull.out"
	grep -q ': Pull complete' "$BATS_TEST_TMPDIR/pull.out"
	local c
	c=$(grep '^chain ' "$BATS_TEST_TMPDIR/pull.out" | cut -d' ' -f2)
	[ -d "$ROOT/layers/${c#sha256:}" ]
}

@test "a pull survives the registry going away and coming back (Range resume)" {
	interrupted_pull
}

@test "a pull survives it also when the registry ignores Range (200: skip what we have)" {
	interrupted_pull --strip-range
}

@test "a pull killed in the middle leaves no process and no temporary files behind" {
	local port
	port=$(free_port)
	run $REGPUT image "$DREG_ADDR" killed:v1 --layers 2 --seed killed --size 2000000
	[ "$status" -eq 0 ]
	start_proxy "$port" 300000
	"$REGTOOL" pull --root "$ROOT" "127.0.0.1:$port/killed:v1" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
	local pull_pid=$!
	PIDS+=("$pull_pid")
	sleep 2
	grep -q ': Downloading' "$BATS_TEST_TMPDIR/pull.out"
	kill -9 "$pull_pid"
	wait "$pull_pid" || true
	local i
	for i in $(seq 50); do
		pgrep -f "reg-tool pull --root $ROOT" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "reg-tool pull --root $ROOT"
	[ -z "$(ls "$ROOT/blobs/tmp")" ]
	[ -z "$(ls "$ROOT/layers")" ]
}
