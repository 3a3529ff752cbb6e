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
#    fresh data root each run), `docker pull` (dockerd and its containerd on
#    a fresh data root each run), `podman pull` (fresh --root/--runroot each
#    run), `skopeo copy docker:// oci:` (no unpacking). No store is removed
#    before the end (see pull_once: ext4 and recently freed inodes);
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
export CLI_ENGINE_HOST_NET=1 # berthd pulls from registries on the host's loopback
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
	local kind=$1 dir=$2 i
	for _ in 1 2 3 4 5; do
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

# cpu_ticks PID...: user + system time of the processes and of their waited
# children, in clock ticks.
cpu_ticks() {
	local p n=0
	for p in "$@"; do
		n=$((n + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13 + $14 + $15}')))
	done
	echo "$n"
}

# timed FILE CMD...: run CMD logged, append its wall time in nanoseconds to
# FILE and the CPU time it cost, in seconds, to FILE.cpu: the commands it ran
# (children of this shell) and the daemons in CPU_PIDS (read 0.3 s later, once
# they have waited for their own children). A failure appends nothing and
# returns 1. With SERVER_PID set, the CPU time of that registry server goes
# to FILE.srv.
CPU_PIDS="" SERVER_PID=""
timed() {
	local f=$1 t0 t1 c0 c1 s0=0 s1=0 hz
	shift
	hz=$(getconf CLK_TCK)
	sync
	# shellcheck disable=SC2086
	c0=$(cpu_ticks $$ $CPU_PIDS)
	[ -z "$SERVER_PID" ] || s0=$(cpu_ticks "$SERVER_PID")
	t0=$(date +%s%N)
	logged "$@" || return 1
	t1=$(date +%s%N)
	[ -z "$CPU_PIDS$SERVER_PID" ] || sleep 0.3
	# shellcheck disable=SC2086
	c1=$(cpu_ticks $$ $CPU_PIDS)
	[ -z "$SERVER_PID" ] || s1=$(cpu_ticks "$SERVER_PID")
	echo $((t1 - t0)) >>"$f"
	echo "($c1 - $c0) / $hz" | bc -l >>"$f.cpu"
	[ -z "$SERVER_PID" ] || echo "($s1 - $s0) / $hz" | bc -l >>"$f.srv"
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
DKDIR=$work/engine-docker
dk() { "$DOCKER" -H "unix://$DKDIR/engine.sock" "$@"; }
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
	docker_pids=$(cat "$work/engine-docker/engine.pid" "$work/engine-docker/containerd.pid" 2>/dev/null)
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

# Stores are never removed during the run, only at the end: ext4 (without a
# journal, as here) skips inodes freed less than 30 s ago when it allocates
# new ones, so creating the image's 6000 files right after removing a store
# costs seconds of system time (recently_deleted, find_inode_bit) that belong
# to the file system, not to the tool. Each pull gets a store of its own, which
# is moved into WORK/keep afterwards.
keep=$work/keep
mkdir -p "$keep"
npull=0

# umount_under DIR: unmount what a tool left under DIR.
umount_under() {
	local m
	for m in $(awk -v r="$1/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

# pull_once TOOL ADDR FILE: one timed pull of ADDR/bench/big:latest into an
# empty store: berthd and dockerd started on fresh data roots, a fresh podman
# root, a fresh OCI layout directory.
pull_once() {
	local t=$1 ref=$2/bench/big:latest f=$3 d rc
	npull=$((npull + 1))
	case $t in
	berth)
		d=$work/engine-berth-pull
		start_berthd "$d" >/dev/null || return 1
		CPU_PIDS=$(cat "$d/engine.pid") timed "$f" bt "$d" pull "$ref"
		rc=$?
		stop_pid "$(cat "$d/engine.pid")" 20
		mv "$d/berthd/data" "$keep/berth-$npull" 2>/dev/null
		engine_stop "$d" >/dev/null 2>&1
		return $rc
		;;
	docker)
		d=$work/engine-docker-pull
		if ! { start_containerd "$d" && start_dockerd "$d"; } >/dev/null 2>"$work/last"; then
			engine_stop "$d" >/dev/null 2>&1
			return 1
		fi
		CPU_PIDS=$(cat "$d/engine.pid" "$d/containerd.pid") DKDIR=$d timed "$f" dk pull -q "$ref"
		rc=$?
		stop_pid "$(cat "$d/engine.pid")" 20
		mv "$d/docker/data" "$keep/docker-$npull" 2>/dev/null
		engine_stop "$d" >/dev/null 2>&1
		return $rc
		;;
	podman)
		d=$keep/pp$npull
		timed "$f" podman_at "$d" pull -q --tls-verify=false "$ref"
		rc=$?
		umount_under "$d"
		return $rc
		;;
	skopeo)
		timed "$f" skopeo_cp "docker://$ref" "oci:$keep/oci-$npull:latest"
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
			CPU_PIDS=$(cat "$work/engine-berth-push/engine.pid") timed "$f" bt "$work/engine-berth-push" push "$dst"
		rc=$?
		bt "$work/engine-berth-push" rmi "$dst" >/dev/null 2>&1
		;;
	docker)
		dk tag "$src_ref" "$dst" && CPU_PIDS=$docker_pids timed "$f" dk push -q "$dst"
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
		sed -i '$d' "$f"*
		rc=1
	fi
	reg_stop "$work/reg-push"
	return $rc
}

# The runs go round robin (run 1 of every tool, then run 2...), so that the
# load of a shared machine falls on all of them alike. drop LIST WORD: LIST
# without WORD.
drop() { echo " $1 " | sed "s/ $2 / /"; }

# 1. Pulls from docker-registry.
reg_start docker "$work/reg-src" || exit 1
src_addr=$ADDR
src_ref=$src_addr/bench/big:latest
logged skopeo_cp "oci:$img:latest" "docker://$src_ref" || { fail "putting the image into docker-registry"; exit 1; }
active=$tools
for i in $(seq "$runs"); do
	for t in $active; do
		pull_once "$t" "$src_addr" "$work/pull-$t" ||
			{ fail "$t pull"; rm -f "$work/pull-$t"*; active=$(drop "$active" "$t"); }
	done
done

# 2. Pushes, each tool from its store.
active=""
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
	active="$active $t"
done
for i in $(seq "$runs"); do
	for t in $active; do
		push_once "$t" "$work/push-$t" "$i" ||
			{ fail "$t push"; rm -f "$work/push-$t"*; active=$(drop "$active" "$t"); }
	done
done
reg_stop "$work/reg-src"
if [ -d "$work/engine-berth-push" ]; then
	stop_pid "$(cat "$work/engine-berth-push/engine.pid")" 20
	mv "$work/engine-berth-push/berthd/data" "$keep/berth-push" 2>/dev/null
	engine_stop "$work/engine-berth-push" >/dev/null 2>&1
fi
umount_under "$work/ph"

# 3. The servers, each seeded with the image: the same skopeo and berth
# pulls, then the same skopeo pushes (a fresh server each push).
declare -A saddr
active=""
for sv in $servers; do
	if reg_start "$sv" "$work/reg-srv-$sv" &&
		logged skopeo_cp "oci:$img:latest" "docker://$ADDR/bench/big:latest"; then
		saddr[$sv]=$ADDR
		active="$active $sv"
	else
		fail "$sv registry (seeding it)"
	fi
done
clients=skopeo
has berth && clients="$clients berth"
for i in $(seq "$runs"); do
	for t in $clients; do
		for sv in $active; do
			[ -f "$work/srv-$sv-pull-$t.fail" ] && continue
			SERVER_PID=$(cat "$work/reg-srv-$sv/pid") pull_once "$t" "${saddr[$sv]}" "$work/srv-$sv-pull-$t" ||
				{ fail "$t pull from $sv registry"; rm -f "$work/srv-$sv-pull-$t" "$work/srv-$sv-pull-$t".*; touch "$work/srv-$sv-pull-$t.fail"; }
		done
	done
done
for sv in $active; do reg_stop "$work/reg-srv-$sv"; done
active=$servers
for i in $(seq "$runs"); do
	for sv in $active; do
		if ! reg_start "$sv" "$work/reg-srv-$sv"; then
			rm -f "$work/srv-$sv-push"*
			active=$(drop "$active" "$sv")
			continue
		fi
		if ! SERVER_PID=$(cat "$work/reg-srv-$sv/pid") timed "$work/srv-$sv-push" skopeo_cp "oci:$img:latest" "docker://$ADDR/bench/push$i:latest" ||
			! has_manifest "$ADDR" "bench/push$i"; then
			fail "skopeo push to $sv registry"
			rm -f "$work/srv-$sv-push"*
			active=$(drop "$active" "$sv")
		fi
		reg_stop "$work/reg-srv-$sv"
	done
done

# Report.
# med FILE [DIV]: the median of FILE's numbers divided by DIV, or nothing.
med() {
	[ -s "$1" ] || return 0
	sort -g "$1" | awk -v d="${2:-1}" '{t[NR] = $1} END {printf "%.3f\n", t[int((NR + 1) / 2)] / d}'
}
# range FILE: "min-max" of FILE's wall times in seconds.
range() { [ -s "$1" ] && sort -g "$1" | awk 'NR == 1 {a = $1} {b = $1} END {printf "%.2f-%.2f", a / 1e9, b / 1e9}'; }
fmt() { if [ -n "$1" ]; then printf "${2:-%.1f}" "$1"; else printf 'n/a'; fi; }
ratio() {
	if [ -n "$1" ] && [ -n "$2" ] && [ "$(echo "$2 > 0" | bc)" = 1 ]; then
		printf '%.2fx' "$(echo "$1 / $2" | bc -l)"
	else printf 'n/a'; fi
}

declare -A s r c sc rg
for f in "$work"/pull-* "$work"/push-* "$work"/srv-*; do
	k=${f##*/}
	[ -f "$f" ] && [ "$k" = "${k%.*}" ] || continue
	s[$k]=$(med "$f" 1e9)
	r[$k]=$(echo "$mb / ${s[$k]}" | bc -l)
	c[$k]=$(med "$f.cpu")
	sc[$k]=$(med "$f.srv")
	rg[$k]=$(range "$f")
done
# row LABEL ARRAY KEY FORMAT: one line of the tools' table.
row() {
	local -n a=$2
	local k=$3 b d p o
	b=${a[$k-berth]:-} d=${a[$k-docker]:-} p=${a[$k-podman]:-} o=${a[$k-skopeo]:-}
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(fmt "$b" "$4")" "$(fmt "$d" "$4")" \
		"$(fmt "$p" "$4")" "$(fmt "$o" "$4")" "$(ratio "$b" "$d")" "$(ratio "$b" "$p")" "$(ratio "$b" "$o")"
}
printf '\n| %.0f MB image, %s gzip layers; median of %s | berth | docker | podman | skopeo | berth/docker | berth/podman | berth/skopeo |\n' \
	"$mb" "$nlayers" "$runs"
printf '|---|---|---|---|---|---|---|---|\n'
row "pull from docker-registry into an empty store, MB/s" r pull %.1f
row "pull, wall s" s pull %.2f
row "pull, CPU s (client and engine)" c pull %.2f
row "push to an empty docker-registry, MB/s" r push %.1f
row "push, wall s" s push %.2f
row "push, CPU s (client and engine)" c push %.2f
printf '| wall s, min-max: pull / push |'
for t in berth docker podman skopeo; do printf ' %s / %s |' "${rg[pull-$t]:-n/a}" "${rg[push-$t]:-n/a}"; done
printf ' | | |\n'

printf '\n| served by; median of %s | berth-registry | docker-registry | berth-registry/docker-registry |\n' "$runs"
printf '|---|---|---|---|\n'
# srow LABEL ARRAY KEY FORMAT: one line of the servers' table.
srow() {
	local -n a=$2
	local b=${a[srv-berth-$3]:-} d=${a[srv-docker-$3]:-}
	printf '| %s | %s | %s | %s |\n' "$1" "$(fmt "$b" "$4")" "$(fmt "$d" "$4")" "$(ratio "$b" "$d")"
}
srow "skopeo copy docker:// oci: (pull), MB/s" r pull-skopeo %.1f
srow "skopeo pull, server CPU s" sc pull-skopeo %.2f
srow "berth pull into an empty store, MB/s" r pull-berth %.1f
srow "berth pull, server CPU s" sc pull-berth %.2f
srow "skopeo copy oci: docker:// (push, empty registry), MB/s" r push %.1f
srow "skopeo push, server CPU s" sc push %.2f
printf '| wall s, min-max: skopeo pull / berth pull / skopeo push |'
for sv in berth docker; do
	printf ' %s / %s / %s |' "${rg[srv-$sv-pull-skopeo]:-n/a}" "${rg[srv-$sv-pull-berth]:-n/a}" "${rg[srv-$sv-push]:-n/a}"
done
printf ' |\n'
printf '\nMB = 10^6 bytes of compressed layers (%.0f); pulls unpack into the store except skopeo (oci: layout).\n' \
	"$(echo "$mb * 1000000" | bc -l)"
printf 'CPU s: user + system of the client commands and of the daemon (berthd and its children; dockerd,\n'
printf 'containerd and their children); podman and skopeo are their own clients. Server CPU s: the registry process.\n'
printf 'Load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
