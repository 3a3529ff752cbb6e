#!/usr/bin/env bats
# berthd's pull and push (berth and docker CLIs) against berth's own
# registry (berth-registry serve): open, behind htpasswd, as a docker.io
# mirror (--registry-mirror, with the fallback to the next mirror), and
# images copied by skopeo from Debian's docker-registry; anonymous pulls
# refused by htpasswd and by a token-auth docker-registry read as dockerd's.
# Loopback only: no test reaches docker.io.

load daemon
load registry

bats_require_minimum_version 1.5.0

setup_file() {
	# berth-registry, open
	start_berth_registry
	export BREG=$BREG_ADDR BREG_DIR_OPEN=$BREG_DIR BREG_PID_OPEN=$BREG_PID
	# berth-registry behind htpasswd
	make_htpasswd "$BATS_FILE_TMPDIR/htpasswd" alice s3cret
	printf '{"auth":{"htpasswd":{"realm":"berth-realm","path":"%s"}}}' \
		"$BATS_FILE_TMPDIR/htpasswd" >"$BATS_FILE_TMPDIR/hreg.json"
	start_berth_registry --config "$BATS_FILE_TMPDIR/hreg.json"
	export HREG=$BREG_ADDR HREG_DIR=$BREG_DIR HREG_PID=$BREG_PID
	# two more berth-registries as docker.io mirrors: one empty, one with
	# library/busybox:latest
	start_berth_registry
	export EMPTY_MIRROR=$BREG_ADDR EMPTY_DIR=$BREG_DIR EMPTY_PID=$BREG_PID
	start_berth_registry
	export MIRROR=$BREG_ADDR MIRROR_DIR=$BREG_DIR MIRROR_PID=$BREG_PID
	# Debian's docker-registry, open, and one behind bearer tokens
	start_docker_registry
	export DREG=$DREG_ADDR DREG_DIR_OPEN=$DREG_DIR DREG_PID_OPEN=$DREG_PID
	export TOK_DIR=$BATS_FILE_TMPDIR/tok
	mkdir -p "$TOK_DIR"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TOK_DIR/key.pem" \
		-out "$TOK_DIR/cert.pem" -days 2 -subj /CN=berth-test-token 2>/dev/null
	local tport i
	tport=$(free_port)
	/usr/bin/python3 "$HELPERS/token-server.py" --port "$tport" --key "$TOK_DIR/key.pem" \
		--cert "$TOK_DIR/cert.pem" --issuer berth-test-issuer --service berth-test \
		--user bob:t0ken 2>"$TOK_DIR/log" &
	echo $! >"$TOK_DIR/pid"
	for i in $(seq 100); do grep -q "listening on" "$TOK_DIR/log" && break; sleep 0.05; done
	start_docker_registry --token "http://127.0.0.1:$tport/token" berth-test \
		berth-test-issuer "$TOK_DIR/cert.pem"
	export TREG=$DREG_ADDR TREG_DIR=$DREG_DIR TREG_PID=$DREG_PID
	ARCHIVE=$(busybox_archive)
	skopeo_put "$ARCHIVE" "$DREG/src/busybox:latest"
	SKOPEO_CREDS=bob:t0ken skopeo_put "$ARCHIVE" "$TREG/tok:latest"
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/dockercfg
	mkdir -p "$DOCKER_CONFIG"
	start_berthd
	export DROOT XROOT SOCK
	load_busybox
	b tag busybox:latest "$MIRROR/library/busybox:latest"
	b push "$MIRROR/library/busybox:latest" >/dev/null
}

teardown_file() {
	cleanup_berthd
	kill "$(cat "$TOK_DIR/pid")" 2>/dev/null || true
	DREG_PID=$TREG_PID DREG_DIR=$TREG_DIR stop_docker_registry
	DREG_PID=$DREG_PID_OPEN DREG_DIR=$DREG_DIR_OPEN stop_docker_registry
	BREG_PID=$MIRROR_PID BREG_DIR=$MIRROR_DIR stop_berth_registry
	BREG_PID=$EMPTY_PID BREG_DIR=$EMPTY_DIR stop_berth_registry
	BREG_PID=$HREG_PID BREG_DIR=$HREG_DIR stop_berth_registry
	BREG_PID=$BREG_PID_OPEN BREG_DIR=$BREG_DIR_OPEN stop_berth_registry
}

# Processes a test starts in the background (by PID, in $BATS_TEST_TMPDIR/pids)
# are stopped even when the test fails half-way.
teardown() {
	local p
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	for p in $(cat "$BATS_TEST_TMPDIR/pids"); do
		kill "$p" 2>/dev/null || true
	done
}

# restart_berthd [BERTHD OPTIONS...]: the file's daemon again, with options.
restart_berthd() {
	stop_berthd
	rm -f "$SOCK"
	start_berthd "$@"
	local i
	for i in $(seq 100); do
		b version >/dev/null 2>&1 && break
		sleep 0.05
	done
	# the tags outlive the restart, also of images a push gave RepoDigests
	b image inspect busybox:latest >/dev/null
}

image_id() {
	b image inspect --format '{{.Id}}' "$1"
}

@test "berth push to berth-registry, remove, pull back, run" {
	local ref=$BREG/interop/bb:1 id
	id=$(image_id busybox:latest)
	b tag busybox:latest "$ref"
	run b push "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pushed"* ]]
	[[ "$output" == *"1: digest: sha256:"* ]]
	run b rmi "$ref"
	[ "$status" -eq 0 ]
	run b image inspect "$ref"
	[ "$status" -ne 0 ]
	run b pull "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Digest: sha256:"* ]]
	[ "${lines[-1]}" = "$ref" ]
	[ "$(image_id "$ref")" = "$id" ]
	run b run --rm "$ref" echo from-berth-registry
	[ "$status" -eq 0 ]
	[ "$output" = "from-berth-registry" ]
	grep -q '"GET /v2/interop/bb/manifests/1" 200' "$BREG_DIR_OPEN/access.log"
	grep -q '"PUT /v2/interop/bb/manifests/1" 201' "$BREG_DIR_OPEN/access.log"
	b rmi "$ref" >/dev/null
}

@test "docker CLI push to and pull from berth-registry through berthd" {
	local ref=$BREG/fromdocker/bb:v1 id
	id=$(image_id busybox:latest)
	dk tag busybox:latest "$ref"
	run dk push "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *"v1: digest: sha256:"* ]]
	run dk rmi "$ref"
	[ "$status" -eq 0 ]
	run dk pull "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Downloaded newer image for $ref"* ]]
	[ "$(image_id "$ref")" = "$id" ]
	run dk run --rm "$ref" echo from-docker
	[ "$status" -eq 0 ]
	[ "$output" = "from-docker" ]
	# the registry holds what skopeo reads too
	run skopeo inspect --tls-verify=false "docker://$ref"
	[ "$status" -eq 0 ]
	dk rmi "$ref" >/dev/null
}

@test "htpasswd berth-registry: anonymous refused, berth login, push and pull" {
	local ref=$HREG/private/bb:1
	b tag busybox:latest "$ref"
	# dockerd: the Basic handler has no credentials for the challenge
	run b push "$ref"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no basic auth credentials"* ]]
	run b pull "$ref"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no basic auth credentials"* ]]
	# dockerd answers this with 500: the docker CLI reports it and does not
	# prompt for a login (a 401 would make it read a user name from stdin)
	run dk pull "$ref" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"no basic auth credentials"* ]]
	[[ "$output" != *"Username"* ]]
	run b login -u alice -p wrong "$HREG"
	[ "$status" -ne 0 ]
	[[ "$output" == *"401 Unauthorized"* ]]
	run b login -u alice --password-stdin "$HREG" <<<"s3cret"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login Succeeded"* ]]
	run b push "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pushed"* ]]
	b rmi "$ref" >/dev/null
	run b pull "$ref"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Downloaded newer image for $ref"* ]]
	run dk pull "$ref"
	[ "$status" -eq 0 ]
	run b logout "$HREG"
	[ "$status" -eq 0 ]
	b rmi "$ref" >/dev/null
	run b pull "$ref"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no basic auth credentials"* ]]
}

@test "token registry: an anonymous pull is denied as dockerd words it" {
	run b pull "$TREG/tok:latest"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pull access denied for $TREG/tok, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"* ]]
	run dk pull "$TREG/tok:latest" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"Error response from daemon: pull access denied for $TREG/tok, repository does not exist or may require 'docker login'"* ]]
	run b pull "$TREG/nosuch/repo"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pull access denied for $TREG/nosuch/repo, repository does not exist"* ]]
	run b image inspect "$TREG/tok:latest"
	[ "$status" -ne 0 ]
}

@test "--registry-mirror: docker.io images come from the mirror" {
	restart_berthd --registry-mirror "http://$MIRROR"
	local id
	id=$(image_id busybox:latest)
	b rmi busybox:latest >/dev/null
	run b pull busybox
	[ "$status" -eq 0 ]
	[[ "$output" == *"latest: Pulling from library/busybox"* ]]
	[[ "$output" == *"Status: "*"busybox:latest"* ]]
	[ "${lines[-1]}" = "docker.io/library/busybox:latest" ]
	[ "$(image_id busybox:latest)" = "$id" ]
	grep -q '"GET /v2/library/busybox/manifests/latest" 200' "$MIRROR_DIR/access.log"
	run b info --format '{{json .RegistryConfig.Mirrors}}'
	[[ "$output" == *"http://$MIRROR/"* ]]
	# pushes never go to a mirror: docker.io itself is not reachable here,
	# and the mirror gets no upload
	run b run --rm busybox echo mirrored
	[ "$status" -eq 0 ]
	[ "$output" = "mirrored" ]
}

@test "--registry-mirror: an unreachable mirror and one without the image are passed over" {
	local dead
	dead=$(free_port)
	restart_berthd --registry-mirror "http://127.0.0.1:$dead" \
		--registry-mirror "http://$EMPTY_MIRROR" --registry-mirror "http://$MIRROR"
	b rmi busybox:latest >/dev/null
	local before
	before=$(grep -c '"GET /v2/library/busybox/manifests/latest" 200' "$MIRROR_DIR/access.log")
	run b pull busybox:latest
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "docker.io/library/busybox:latest" ]
	grep -q '"GET /v2/library/busybox/manifests/latest" 404' "$EMPTY_DIR/access.log"
	[ "$(grep -c '"GET /v2/library/busybox/manifests/latest" 200' "$MIRROR_DIR/access.log")" -gt "$before" ]
	grep -q "Attempting next endpoint for pull after error" "$BATS_FILE_TMPDIR/berthd.log"
	run b run --rm busybox echo fell-over
	[ "$status" -eq 0 ]
	[ "$output" = "fell-over" ]
	restart_berthd
}

@test "skopeo copy docker-registry -> berth-registry: the same image id pulled from both" {
	skopeo copy -q --insecure-policy --src-tls-verify=false --dest-tls-verify=false \
		"docker://$DREG/src/busybox:latest" "docker://$BREG/copied/busybox:latest"
	run b pull "$DREG/src/busybox:latest"
	[ "$status" -eq 0 ]
	run b pull "$BREG/copied/busybox:latest"
	[ "$status" -eq 0 ]
	local a c
	a=$(image_id "$DREG/src/busybox:latest")
	c=$(image_id "$BREG/copied/busybox:latest")
	[ -n "$a" ]
	[ "$a" = "$c" ]
	# the same manifest digest in both RepoDigests
	run b image inspect --format '{{json .RepoDigests}}' "$a"
	local d1 d2
	d1=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$DREG/src/busybox:latest")
	d2=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$BREG/copied/busybox:latest")
	[ "$d1" = "$d2" ]
	[[ "$output" == *"$BREG/copied/busybox@$d2"* ]]
	[[ "$output" == *"$DREG/src/busybox@$d1"* ]]
	run b run --rm "$BREG/copied/busybox:latest" echo copied
	[ "$status" -eq 0 ]
	[ "$output" = "copied" ]
}

@test "berth pull through berthd survives berth-registry stopped mid-download and started again" {
	# The registry's own process goes away: berth-registry on a root of its
	# own, reached through a rate-limited proxy (so the download is still
	# running when it stops); both are stopped, then started again on the
	# same root and the same proxy port.
	local root=$BATS_TEST_TMPDIR/sroot port rport pid ppid rc=0
	mkdir -p "$root"
	BREG_ROOT=$root start_berth_registry
	local sdir=$BREG_DIR
	pid=$BREG_PID
	echo "$pid" >>"$BATS_TEST_TMPDIR/pids"
	rport=$BREG_PORT
	python3 "$HELPERS/regput.py" image "$BREG_ADDR" stop/slow:v1 --layers 1 --seed stopped \
		--size 3000000 >/dev/null
	port=$(free_port)
	python3 "$HELPERS/throttle-proxy.py" "$port" "$BREG_ADDR" --rate 600000 \
		>"$BATS_TEST_TMPDIR/proxy.log" 2>&1 3>&- &
	ppid=$!
	echo "$ppid" >>"$BATS_TEST_TMPDIR/pids"
	sleep 0.5
	b pull "127.0.0.1:$port/stop/slow:v1" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 3>&- &
	local pull_pid=$!
	echo "$pull_pid" >>"$BATS_TEST_TMPDIR/pids"
	sleep 2
	# 3 MB at 600 kB/s: the layer is still on its way
	kill -0 "$pull_pid"
	grep -q 'Pulling fs layer' "$BATS_TEST_TMPDIR/pull.out"
	kill "$ppid" "$pid"
	wait "$ppid" "$pid" || true
	sleep 3
	"$BERTH_REGISTRY_BIN" serve --addr "127.0.0.1:$rport" --root "$root" \
		--access-log "$BATS_TEST_TMPDIR/access2.log" >/dev/null 2>&1 3>&- &
	pid=$!
	echo "$pid" >>"$BATS_TEST_TMPDIR/pids"
	python3 "$HELPERS/throttle-proxy.py" "$port" "127.0.0.1:$rport" --rate 50000000 \
		>"$BATS_TEST_TMPDIR/proxy2.log" 2>&1 3>&- &
	ppid=$!
	echo "$ppid" >>"$BATS_TEST_TMPDIR/pids"
	wait "$pull_pid" || rc=$?
	kill "$ppid" "$pid"
	wait "$ppid" "$pid" || true
	rm -rf "$sdir"
	cat "$BATS_TEST_TMPDIR/pull.out"
	[ "$rc" -eq 0 ]
	grep -q 'Retrying in ' "$BATS_TEST_TMPDIR/pull.out"
	grep -q 'Downloaded newer image' "$BATS_TEST_TMPDIR/pull.out"
	# the restarted registry was asked for the rest of the blob only
	grep -q 'blobs/sha256:.* 206 ' "$BATS_TEST_TMPDIR/access2.log"
	b image inspect "127.0.0.1:$port/stop/slow:v1" >/dev/null
}
