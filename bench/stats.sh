#!/bin/bash
# stats benchmark, berth against docker side by side:
#   bench/stats.sh BUILD
# N containers (busybox sleep) running under each engine, then
# `stats --no-stream` (all running containers) timed R times, round robin
# between the engines; the median wall time of each and the ratio
# berth/docker. dockerd answers a stats request with stream=0 after its
# collector's next tick (two samples a second apart, for a CPU %); berthd
# keeps the previous sample of each container and waits at most a short
# window for a second one; both CPU percentages are real deltas.
#
# Confinement as in bench/cp.sh: dockerd (Debian's docker.io, with its own
# containerd) runs in a network namespace of its own made here, with its own
# data root, exec root, socket and bridge (--bip 10.213.96.1/24); berthd
# runs in its own mount namespace with --bridge-name bs<random>, --bip
# 10.213.240.1/24 and --nft-table berth_bench_stats. Nothing touches docker0
# or the host's iptables. At the end everything is removed: containers,
# daemons (by their PIDs), namespaces, berthd's bridge and table, mounts,
# cgroups, directories.
#
# Environment: BENCH_STATS_RUNS (R, default 5), BENCH_STATS_CONTAINERS (N,
# default 50), DOCKER.
set -uo pipefail
build=$(realpath "${1:?usage: bench/stats.sh BUILD}")
bdir=$(dirname "$(realpath "$0")")
helpers=$bdir/../tests/helpers
runs=${BENCH_STATS_RUNS:-5}
ncts=${BENCH_STATS_CONTAINERS:-50}
DOCKER=${DOCKER:-$(command -v docker)}
berth=$build/src/cli/berth
berthd=$build/src/daemon/berthd
work=$(mktemp -d /var/tmp/berth-bench-st.XXXXXX)
cd "$work" || exit 1
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns_dk=bsdk$tag
br_berth=bs$tag
nft_table=berth_bench_stats
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)
export BERTH_BUILD=$build
# shellcheck source=../tests/helpers/cli-engine.sh
CLI_TEST_IMAGE=busybox:latest . "$helpers/cli-engine.sh"

say() { printf '%s\n' "$*" >&2; }

client_cmd() {
	case $1 in
	berth) echo "$berth -H unix://$work/berth/engine.sock" ;;
	docker) echo "$DOCKER -H unix://$work/docker/engine.sock" ;;
	esac
}
cli() {
	local k=$1
	shift
	# shellcheck disable=SC2046
	$(client_cmd "$k") "$@"
}

cleanup() {
	local k d m
	trap '' INT TERM
	for k in berth docker; do
		CLI_ENGINE_CGROUP_PARENT=/berth-bench-st engine_stop "$work/$k" >/dev/null 2>&1
	done
	ip link show "$br_berth" >/dev/null 2>&1 && ip link del "$br_berth"
	for m in ip inet; do
		nft list table "$m" "$nft_table" >/dev/null 2>&1 && nft delete table "$m" "$nft_table"
	done
	ip netns pids "$ns_dk" 2>/dev/null | while read -r m; do kill -KILL "$m" 2>/dev/null; done
	ip netns del "$ns_dk" 2>/dev/null
	echo "$fwd0" >/proc/sys/net/ipv4/ip_forward
	for m in $(awk -v r="$work/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/berth-bench-st* /sys/fs/cgroup/berth-bench-st*; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NS_MOUNTS='mount --rbind /sys/fs/cgroup "$1" && mount -t sysfs berth-bench-st /sys &&
	mount --move "$1" /sys/fs/cgroup && mount -t tmpfs -o mode=0755,size=64m berth-bench-st /run'

dockerd_start() {
	local dir=$work/docker i
	ip netns add "$ns_dk" && ip -n "$ns_dk" link set lo up || return 1
	mkdir -p "$dir/containerd" "$dir/docker" "$dir/cg"
	cat >"$dir/containerd/config.toml" <<-EOF
	version = 2
	root = "$dir/containerd/root"
	state = "$dir/containerd/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
	  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
	  "io.containerd.snapshotter.v1.devmapper"]
	[grpc]
	  address = "$dir/containerd/containerd.sock"
	[ttrpc]
	  address = "$dir/containerd/containerd.sock.ttrpc"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$dir/containerd/opt"
	EOF
	(detached nsenter --net="/run/netns/$ns_dk" unshare --mount --propagation private sh -c \
		"$NS_MOUNTS"' && exec containerd --config "$2"' \
		sh "$dir/cg" "$dir/containerd/config.toml" </dev/null >"$dir/containerd/log" 2>&1) &
	echo $! >"$dir/containerd.pid"
	for i in $(seq 100); do
		pid_alive "$(cat "$dir/containerd.pid")" || break
		[ -S "$dir/containerd/containerd.sock" ] &&
			timeout 5 ctr --address "$dir/containerd/containerd.sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	readlink "/proc/$(cat "$dir/containerd.pid")/ns/mnt" >"$dir/mntns" || return 1
	echo /berth-bench-st-docker >"$dir/cgroup-parent"
	echo "{\"deprecated-key-path\": \"$dir/docker/key.json\"}" >"$dir/docker/daemon.json"
	(detached nsenter --target "$(cat "$dir/containerd.pid")" --mount --net -- dockerd \
		--config-file "$dir/docker/daemon.json" --data-root "$dir/docker/data" \
		--exec-root "$dir/docker/exec" --pidfile "$dir/docker/dockerd.pid" \
		--host "unix://$dir/engine.sock" --containerd "$dir/containerd/containerd.sock" \
		--bip 10.213.96.1/24 --default-address-pool base=10.213.104.0/21,size=24 \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /berth-bench-st-docker \
		</dev/null >"$dir/docker/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	for i in $(seq 300); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		if [ -S "$dir/engine.sock" ] && timeout 10 $(client_cmd docker) version >/dev/null 2>&1; then
			timeout 60 $(client_cmd docker) load -i "$work/busybox.tar" >/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	say "docker: dockerd did not start: $(tail -3 "$dir/docker/log")"
	return 1
}

berthd_start() {
	local dir=$work/berth i
	mkdir -p "$dir/berthd"
	echo /berth-bench-st >"$dir/cgroup-parent"
	(detached unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755,size=16m berth-bench-st /run && exec "$@"' sh \
		"$berthd" --data-root "$dir/berthd/data" --exec-root "$dir/berthd/exec" \
		--host "unix://$dir/engine.sock" --cgroup-parent /berth-bench-st \
		--bridge-name "$br_berth" --bip 10.213.240.1/24 \
		--default-address-pool base=10.213.244.0/22,size=24 --nft-table "$nft_table" \
		</dev/null >"$dir/berthd/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	for i in $(seq 100); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		if [ -S "$dir/engine.sock" ] && readlink "/proc/$(cat "$dir/engine.pid")/ns/mnt" >"$dir/mntns"; then
			timeout 60 $(client_cmd berth) load -i "$work/busybox.tar" >/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	say "berth: berthd did not start: $(tail -3 "$dir/berthd/log")"
	return 1
}

# The image.
mkdir -p "$work/img"
BERTH_RUNTIME=$build/berth-runtime TESTINIT='' "$helpers/mkbundle.sh" "$work/img/bundle" >/dev/null &&
	"$helpers/mkimage.sh" "$work/img/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null ||
	{ say "stats.sh: cannot make the busybox image"; exit 1; }

kinds=""
if [ -x "$berthd" ] && berthd_start; then kinds="$kinds berth"; fi
if command -v dockerd >/dev/null && command -v containerd >/dev/null && [ -n "$DOCKER" ]; then
	dockerd_start && kinds="$kinds docker"
else
	say "docker: dockerd, containerd or the docker CLI not installed, skipped"
fi
[ -n "$kinds" ] || { say "stats.sh: no engine started"; exit 1; }
for k in $kinds; do
	for i in $(seq "$ncts"); do
		cli "$k" run -d --name "bench-st-$tag-$i" busybox sleep 100000 >/dev/null ||
			{ say "$k: cannot start container $i"; exit 1; }
	done
	n=$(cli "$k" ps -q | wc -l)
	[ "$n" -eq "$ncts" ] || { say "$k: $n containers running, not $ncts"; exit 1; }
done

printf '# %s\n' "$("$berth" --version 2>/dev/null | head -1)"
case " $kinds " in *" docker "*)
	printf '# docker CLI %s; dockerd %s, containerd %s\n' "$(cli docker version -f '{{.Client.Version}}')" \
		"$(cli docker version -f '{{.Server.Version}}')" "$(containerd --version | awk '{print $3}')" ;;
esac
printf '# %s, %s CPUs, load average %s, %s; %s running containers (busybox sleep), %s runs\n' \
	"$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$ncts" "$runs"

# timed FILE CMD...: append CMD's wall time in seconds to FILE; its output
# kept in FILE.out.
timed() {
	local f=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" >"$f.out" 2>"$work/last" || { say "failed: $* : $(tail -3 "$work/last")"; return 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$f"
}

for i in $(seq "$runs"); do
	for k in $kinds; do
		timed "$work/stats-$k" cli "$k" stats --no-stream
		n=$(($(wc -l <"$work/stats-$k.out") - 1))
		[ "$n" -eq "$ncts" ] || say "$k: stats --no-stream printed $n containers, not $ncts"
	done
done

median() { sort -g "$1" | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-34s %10s %10s %8s\n' "stats, median wall time" berth docker ratio
b="-" dk="-" r="-"
[ -s "$work/stats-berth" ] && b=$(median "$work/stats-berth")
[ -s "$work/stats-docker" ] && dk=$(median "$work/stats-docker")
[ "$b" != - ] && [ "$dk" != - ] && r=$(echo "scale=2; $b / $dk" | bc)
printf '%-34s %9.3fs %9.3fs %8s\n' "stats --no-stream, $ncts containers" "$b" "$dk" "$r"
