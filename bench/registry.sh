#!/bin/bash
# Registry benchmarks, side by side in one run, with ratios:
#   bench/registry.sh BUILD
# The image: about 200 MB of gzip layers made here, deterministically and
# without network (bench/mkregimage.py: incompressible files, text-like files,
# a layer of 6000 small files, half-compressible binaries, a config layer),
# an OCI layout put into a loopback registry with skopeo. MB/s = the sum of
# the image's compressed layer sizes (10^6 bytes) / wall time, median of N
# runs, each run timed alone (date +%s%N around the one command, after sync).
# 1. pull from docker-registry into an empty store: `berth pull` (berthd on a
#    fresh data root each run), `docker pull` (a private dockerd, the image
#    removed and its layers pruned between runs), `podman pull` (fresh
#    --root/--runroot each run), `skopeo copy docker:// oci:` (no unpacking);
# 2. push of the same image to a fresh docker-registry (new storage, new port,
#    so nothing is mounted from a known repository or skipped as present):
#    berth push, docker push, podman push (each from its store, where it was
#    pulled beforehand, untimed), skopeo copy oci: docker://;
# 3. the servers: berth-registry against docker-registry, serving the same
#    skopeo pulls and berth pulls (from a registry seeded with the image) and
#    the same skopeo pushes (a fresh server each push).
# Every daemon is private: dockerd (Debian's docker.io, with its own
# containerd) and berthd are started by tests/helpers/cli-engine.sh in a mount
# namespace of their own, with roots, state and sockets in WORK; podman and
# skopeo get roots in WORK. The whole script runs in a private mount namespace
# where /var/lib/containers (the blob-info cache of skopeo and podman) and
# /dev/shm (podman's locks) are empty tmpfs, so nothing is written outside
# WORK. Registries listen on free 127.0.0.1 ports. A tool or server missing or
# failing is reported and its cells read n/a.
#
# Environment: BENCH_REG_RUNS (N, default 5), BENCH_REG_SCALE (image size
# factor, default 1), BENCH_REG_TOOLS (default "berth docker podman skopeo"),
# DOCKER (docker CLI).
set -uo pipefail
build=$(realpath "${1:?usage: bench/registry.sh BUILD}")
bdir=$(dirname "$(realpath "$0")")
if [ "${BERTH_BENCH_REGISTRY_NS:-}" != 1 ]; then
	exec unshare --mount --propagation private env BERTH_BENCH_REGISTRY_NS=1 \
		bash "$bdir/registry.sh" "$build"
fi
if [ -d /var/lib/containers ]; then
	mount -t tmpfs -o mode=0700,size=64m berth-bench /var/lib/containers
else # no /var/lib/containers to hide: an empty /var/lib holding one
	mount -t tmpfs -o mode=0755,size=64m berth-bench /var/lib && mkdir -m 0700 /var/lib/containers
fi || exit 1
mount -t tmpfs -o mode=1777,size=64m berth-bench /dev/shm || exit 1

helpers=$bdir/../tests/helpers
runs=${BENCH_REG_RUNS:-5}
scale=${BENCH_REG_SCALE:-1}
tools=${BENCH_REG_TOOLS:-berth docker podman skopeo}
DOCKER=${DOCKER:-$(command -v docker)}
berth=$build/src/cli/berth
berth_registry=$build/berth-registry
[ -x "$berth_registry" ] || berth_registry=$build/src/registry/berth-registry
work=$(mktemp -d /var/tmp/berth-bench-reg.XXXXXX) # short: podman wants a runroot under 50 characters
cd "$work" || exit 1
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
# shellcheck source=../tests/helpers/cli-engine.sh
export BERTH_BUILD=$build # start_berthd reads it (an assignment before `.` lasts only while sourcing)
. "$helpers/cli-engine.sh"
log=$work/log

say() { printf '%s\n' "$*" >&2; }

cleanup() {
	local d m
	for d in "$work"/reg-*; do
		[ -f "$d/pid" ] && stop_pid "$(cat "$d/pid")" 5
	done
	for d in "$work"/engine-*; do
		[ -d "$d" ] && CLI_ENGINE_CGROUP_PARENT=/berth-bench-registry engine_stop "$d" >/dev/null 2>&1
	done
	for m in $(awk -v r="$work/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/berth-bench-registry /sys/fs/cgroup/berth-bench-registry; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export CLI_ENGINE_CGROUP_PARENT=/berth-bench-registry

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# reg_start KIND DIR: docker-registry or berth-registry on a free loopback
# port, its storage in DIR (made empty); sets ADDR, the pid in DIR/pid. A port
# taken between the check and the bind is tried again with another.
reg_start() {
	local kind=$1 dir=$2 try i
	for try in 1 2 3 4 5; do
		rm -rf "$dir"
		mkdir -p "$dir/storage"
		ADDR=127.0.0.1:$(free_port)
		case $kind in
		docker)
			printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
				"$dir/storage" "$ADDR" >"$dir/config.yml"
			docker-registry serve "$dir/config.yml" </dev/null >"$dir/log" 2>&1 &
			;;
		berth)
			"$berth_registry" serve --addr "$ADDR" --root "$dir/storage" </dev/null >"$dir/log" 2>&1 &
			;;
		esac
		echo $! >"$dir/pid"
		for i in $(seq 200); do
			curl -s -o /dev/null "http://$ADDR/v2/" && return 0
			pid_alive "$(cat "$dir/pid")" || break
			sleep 0.05
		done
		stop_pid "$(cat "$dir/pid")" 5
		grep -qi 'address already in use' "$dir/log" || break
	done
	say "$kind registry did not start: $(tail -3 "$dir/log")"
	return 1
}

reg_stop() {
	stop_pid "$(cat "$1/pid" 2>/dev/null)" 5
	rm -rf "$1"
}

# has_manifest ADDR REPO: the registry holds REPO:latest.
has_manifest() {
	curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$1/v2/$2/manifests/latest"
}

# logged CMD...: run CMD, its output in WORK/last and the log.
logged() {
	local rc
	echo "+ $*" >>"$log"
	"$@" >"$work/last" 2>&1
	rc=$?
	cat "$work/last" >>"$log"
	return $rc
}

# timed FILE CMD...: run CMD logged, append its wall time in nanoseconds to
# FILE; a failure appends nothing and returns 1.
timed() {
	local f=$1 t0 t1
	shift
	sync
	t0=$(date +%s%N)
	logged "$@" || return 1
	t1=$(date +%s%N)
	echo $((t1 - t0)) >>"$f"
}

# fail WHAT: report a failure with the end of the last command's output.
fail() {
	say "$1 failed, skipped: $(tail -3 "$work/last" | tr '\n' ' ')"
}

skopeo_cp() { skopeo copy -q --insecure-policy --src-tls-verify=false --dest-tls-verify=false "$@"; }
podman_at() {
	local d=$1
	shift
	mkdir -p "$d/tmp"
	podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --cgroup-manager cgroupfs \
		--events-backend file "$@"
}
# podman_rm DIR: unmount what podman left under DIR, remove it.
podman_rm() {
	local m
	for m in $(awk -v r="$1/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$1"
}
dk() { "$DOCKER" -H "unix://$work/engine-docker/engine.sock" "$@"; }
bt() { "$berth" -H "unix://$1/engine.sock" "${@:2}"; }

has() { case " $tools " in *" $1 "*) return 0 ;; esac; return 1; }

# The image.
load0=$(cut -d' ' -f1-3 /proc/loadavg)
img=$work/image
mb=$(python3 "$bdir/mkregimage.py" "$img" "$scale" | awk '{print $2}') || { say "cannot make the image"; exit 1; }
nlayers=$(jq '.layers | length' "$img/blobs/sha256/$(jq -r '.manifests[0].digest' "$img/index.json" | cut -d: -f2)")
mb=$(echo "$mb / 1000000" | bc -l)

# Which tools can run.
if has berth && [ ! -x "$build/src/daemon/berthd" ]; then
	say "berth: $build/src/daemon/berthd missing, skipped"
	tools=${tools/berth/}
fi
if has docker; then
	if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null || [ -z "$DOCKER" ]; then
		say "docker: dockerd, containerd or the docker CLI not installed (apt-get install docker.io), skipped"
		tools=${tools/docker/}
	elif ! { start_containerd "$work/engine-docker" && start_dockerd "$work/engine-docker"; } >/dev/null; then
		say "docker: dockerd did not start, skipped"
		tools=${tools/docker/}
	fi
fi
has podman && ! command -v podman >/dev/null && { say "podman: not installed, skipped"; tools=${tools/podman/}; }
if ! command -v skopeo >/dev/null || ! command -v docker-registry >/dev/null; then
	say "skopeo and docker-registry are needed (apt-get install skopeo docker-registry)"
	exit 1
fi
servers=docker
if [ -x "$berth_registry" ]; then servers="berth docker"; else say "berth-registry: not built, skipped"; fi

printf '# %s\n' "$("$berth" --version 2>/dev/null | head -1)"
has docker && printf '# docker CLI %s; dockerd %s, containerd %s\n' \
	"$(dk version -f '{{.Client.Version}}' 2>/dev/null)" "$(dk version -f '{{.Server.Version}}' 2>/dev/null)" \
	"$(containerd --version | awk '{print $3}')"
has podman && printf '# podman %s\n' "$(podman --version | awk '{print $3}')"
printf '# skopeo %s; docker-registry %s\n' "$(skopeo --version | awk '{print $3}')" \
	"$(docker-registry --version | awk '{print $3}')"
printf '# image: %s gzip layers, %.1f MB compressed; %s runs each\n' "$nlayers" "$mb" "$runs"
printf '# %s, %s CPUs, load average %s (before making the image), %s (after), %s\n' "$(uname -r)" \
	"$(nproc)" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')"

# pull_once TOOL ADDR FILE: one timed pull of ADDR/bench/big:latest into an
# empty store, the store emptied again afterwards.
pull_once() {
	local t=$1 ref=$2/bench/big:latest f=$3 d rc
	case $t in
	berth)
		d=$work/engine-berth-pull
		start_berthd "$d" >/dev/null || return 1
		timed "$f" bt "$d" pull "$ref"
		rc=$?
		engine_stop "$d" >/dev/null 2>&1
		return $rc
		;;
	docker)
		dk rmi -f "$ref" >/dev/null 2>&1
		dk image prune -af >/dev/null 2>&1
		[ -z "$(dk images -aq)" ] || { echo "docker store not empty" >"$work/last"; return 1; }
		timed "$f" dk pull -q "$ref"
		;;
	podman)
		d=$work/pp
		podman_rm "$d"
		timed "$f" podman_at "$d" pull -q --tls-verify=false "$ref"
		rc=$?
		podman_rm "$d"
		return $rc
		;;
	skopeo)
		rm -rf "$work/oci-pull"
		timed "$f" skopeo_cp "docker://$ref" "oci:$work/oci-pull:latest"
		rc=$?
		rm -rf "$work/oci-pull"
		return $rc
		;;
	esac
}

# push_once TOOL FILE I: one timed push to a fresh docker-registry, as
# bench/pushI:latest, checked by fetching its manifest.
push_once() {
	local t=$1 f=$2 i=$3 rc dst
	reg_start docker "$work/reg-push" || return 1
	dst=$ADDR/bench/push$i:latest
	case $t in
	berth)
		bt "$work/engine-berth-push" tag "$src_ref" "$dst" &&
			timed "$f" bt "$work/engine-berth-push" push "$dst"
		rc=$?
		bt "$work/engine-berth-push" rmi "$dst" >/dev/null 2>&1
		;;
	docker)
		dk tag "$src_ref" "$dst" && timed "$f" dk push -q "$dst"
		rc=$?
		dk rmi "$dst" >/dev/null 2>&1
		;;
	podman)
		timed "$f" podman_at "$work/ph" push -q --tls-verify=false "$src_ref" "docker://$dst"
		rc=$?
		;;
	skopeo)
		timed "$f" skopeo_cp "oci:$img:latest" "docker://$dst"
		rc=$?
		;;
	esac
	if [ $rc = 0 ] && ! has_manifest "$ADDR" "bench/push$i"; then
		echo "$t push: no manifest in the registry" | tee -a "$log" >"$work/last"
		sed -i '$d' "$f"
		rc=1
	fi
	reg_stop "$work/reg-push"
	return $rc
}

# 1. Pulls from docker-registry.
reg_start docker "$work/reg-src" || exit 1
src_addr=$ADDR
src_ref=$src_addr/bench/big:latest
skopeo_cp "oci:$img:latest" "docker://$src_ref" || { say "cannot put the image into docker-registry"; exit 1; }
for t in $tools; do
	for i in $(seq "$runs"); do
		pull_once "$t" "$src_addr" "$work/pull-$t" || { fail "$t pull"; rm -f "$work/pull-$t"; break; }
	done
done

# 2. Pushes, each tool from its store (the pull above left docker's).
for t in $tools; do
	case $t in
	berth)
		{ start_berthd "$work/engine-berth-push" >/dev/null && logged bt "$work/engine-berth-push" pull "$src_ref"; } ||
			{ fail "berth pull before push"; continue; }
		;;
	docker) logged dk pull -q "$src_ref" || { fail "docker pull before push"; continue; } ;;
	podman)
		logged podman_at "$work/ph" pull -q --tls-verify=false "$src_ref" ||
			{ fail "podman pull before push"; continue; }
		;;
	esac
	for i in $(seq "$runs"); do
		push_once "$t" "$work/push-$t" "$i" || { fail "$t push"; rm -f "$work/push-$t"; break; }
	done
done
reg_stop "$work/reg-src"
[ -d "$work/engine-berth-push" ] && engine_stop "$work/engine-berth-push" >/dev/null 2>&1
podman_rm "$work/ph"

# 3. The servers: the same skopeo and berth pulls and skopeo pushes.
for s in $servers; do
	if reg_start "$s" "$work/reg-srv" && logged skopeo_cp "oci:$img:latest" "docker://$ADDR/bench/big:latest"; then
		for t in skopeo $(has berth && echo berth); do
			for i in $(seq "$runs"); do
				pull_once "$t" "$ADDR" "$work/srv-$s-pull-$t" ||
					{ fail "$t pull from $s registry"; rm -f "$work/srv-$s-pull-$t"; break; }
			done
		done
	else
		fail "$s registry (seeding it)"
	fi
	reg_stop "$work/reg-srv"
	for i in $(seq "$runs"); do
		if ! reg_start "$s" "$work/reg-srv"; then
			rm -f "$work/srv-$s-push"
			break
		fi
		if ! timed "$work/srv-$s-push" skopeo_cp "oci:$img:latest" "docker://$ADDR/bench/push$i:latest" ||
			! has_manifest "$ADDR" "bench/push$i"; then
			fail "skopeo push to $s registry"
			rm -f "$work/srv-$s-push"
			reg_stop "$work/reg-srv"
			break
		fi
		reg_stop "$work/reg-srv"
	done
done

# Report.
# secs FILE: the median wall time in seconds, or nothing.
secs() {
	[ -s "$1" ] || return 0
	sort -n "$1" | awk '{t[NR] = $1} END {printf "%.3f\n", t[int((NR + 1) / 2)] / 1e9}'
}
mbps() { [ -n "$1" ] && echo "$mb / $1" | bc -l; }
fmt() { if [ -n "$1" ]; then printf "${2:-%.1f}" "$1"; else printf 'n/a'; fi; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; else printf 'n/a'; fi; }

declare -A s r
for f in "$work"/pull-* "$work"/push-* "$work"/srv-*; do
	[ -f "$f" ] || continue
	k=${f##*/}
	s[$k]=$(secs "$f")
	r[$k]=$(mbps "${s[$k]}")
done
v() { echo "${r[$1]:-}"; }
printf '\n| %.0f MB image (%s gzip layers), median of %s | berth | docker | podman | skopeo | berth/docker | berth/podman | berth/skopeo |\n' \
	"$mb" "$nlayers" "$runs"
printf '|---|---|---|---|---|---|---|---|\n'
for op in pull push; do
	label="pull from docker-registry into an empty store, MB/s"
	[ $op = push ] && label="push to an empty docker-registry, MB/s"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
		"$(fmt "$(v $op-berth)")" "$(fmt "$(v $op-docker)")" "$(fmt "$(v $op-podman)")" "$(fmt "$(v $op-skopeo)")" \
		"$(ratio "$(v $op-berth)" "$(v $op-docker)")" "$(ratio "$(v $op-berth)" "$(v $op-podman)")" \
		"$(ratio "$(v $op-berth)" "$(v $op-skopeo)")"
	printf '| %s, median s | %s | %s | %s | %s | | | |\n' "$op" "$(fmt "${s[$op-berth]:-}" %.2f)" \
		"$(fmt "${s[$op-docker]:-}" %.2f)" "$(fmt "${s[$op-podman]:-}" %.2f)" "$(fmt "${s[$op-skopeo]:-}" %.2f)"
done
printf '\n| served by, MB/s (median s) | berth-registry | docker-registry | berth-registry/docker-registry |\n'
printf '|---|---|---|---|\n'
for k in pull-skopeo pull-berth push; do
	case $k in
	pull-skopeo) label="skopeo copy docker:// oci: (pull)" ;;
	pull-berth) label="berth pull into an empty store" ;;
	push) label="skopeo copy oci: docker:// (push, empty registry)" ;;
	esac
	printf '| %s | %s (%s) | %s (%s) | %s |\n' "$label" \
		"$(fmt "$(v srv-berth-$k)")" "$(fmt "${s[srv-berth-$k]:-}" %.2f)" \
		"$(fmt "$(v srv-docker-$k)")" "$(fmt "${s[srv-docker-$k]:-}" %.2f)" \
		"$(ratio "$(v srv-berth-$k)" "$(v srv-docker-$k)")"
done
printf '\nMB = 10^6 bytes of compressed layers (%.0f); pulls unpack into the store except skopeo (oci: layout).\n' \
	"$(echo "$mb * 1000000" | bc -l)"
printf 'Load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
