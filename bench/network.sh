#!/bin/bash
# Network benchmarks, side by side in one run, with ratios:
#   bench/network.sh BUILD
# berthd, dockerd (Debian's docker.io with its own containerd; twice: with its
# userland proxy, docker's default, and with --userland-proxy=false) and
# podman (CNI), each on the same locally made busybox image that also holds
# bench/tcpbench.c, compiled static here:
# 1. `run --rm busybox true` on the default bridge network (no --network),
#    hyperfine median;
# 2. TCP throughput from the host to a container through a published port:
#    `run -d -p 127.0.0.1:PORT:5001 busybox tcpbench sink 5001`, then
#    `tcpbench send 127.0.0.1 PORT MIB` from the host side; MB/s (10^6
#    bytes), timed from the connection to the sink's close, median of N runs;
# 3. container to container on a user-defined network: `network create`, a
#    sink container and a `run --rm` sender container on it, the sender
#    connecting to the sink by its name; MB/s, median of N runs.
# The runs go round robin (run 1 of every engine, then run 2...), so that the
# load of a shared machine falls on all of them alike. A line gives the
# ceiling: tcpbench to tcpbench over the host's loopback, no container.
#
# Confinement: dockerd writes iptables rules, makes docker0 and sets sysctls,
# so each dockerd (and its containerd) runs in a network namespace of its own
# made here (ip netns), with --bip 10.213.96.1/24 and the address pool
# 10.213.104.0/21; its rules, bridges and veths live and die there. Its
# "host side" client runs in that namespace against 127.0.0.1, the same path
# (loopback to a published port) as berth's in the host's namespace. podman
# runs in another such namespace, inside a mount namespace with empty tmpfs
# over /run, /var/lib (CNI's address leases), /etc/cni/net.d and /dev/shm;
# its networks are 10.213.120.0/24 and the pool 10.213.124.0/22. berthd runs
# in the host's network namespace (its own mount namespace and tmpfs /run, as
# in tests/helpers/cli-engine.sh) with --bridge-name bb<random>, --bip
# 10.213.112.1/24, --default-address-pool base=10.213.116.0/22,size=24 and
# --nft-table berth_bench. At the end everything is removed: containers,
# networks, daemons (by their PIDs), namespaces, berthd's bridges and nftables
# table, mounts, cgroups, directories; net.ipv4.ip_forward of the host gets
# its previous value back.
#
# Environment: BENCH_NET_RUNS (N, default 5), BENCH_NET_MIB (MiB per
# transfer, default 2048), BENCH_ENGINE_RUNS (hyperfine runs, default 30),
# BENCH_NET_ENGINES (default "berth docker docker-nop podman"), DOCKER.
set -uo pipefail
build=$(realpath "${1:?usage: bench/network.sh BUILD}")
bdir=$(dirname "$(realpath "$0")")
helpers=$bdir/../tests/helpers
runs=${BENCH_NET_RUNS:-5}
mib=${BENCH_NET_MIB:-2048}
hruns=${BENCH_ENGINE_RUNS:-30}
engines=${BENCH_NET_ENGINES:-berth docker docker-nop podman}
DOCKER=${DOCKER:-$(command -v docker)}
berth=$build/src/cli/berth
berthd=$build/src/daemon/berthd
work=$(mktemp -d /var/tmp/berth-bench-net.XXXXXX) # short: podman wants a runroot under 50 characters
cd "$work" || exit 1
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns_dk=bbdk$tag ns_dn=bbdn$tag ns_pm=bbpm$tag
br_berth=bb$tag br_net=bn$tag
nft_table=berth_bench
net_name=bench-net-$tag
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)
export BERTH_BUILD=$build
# shellcheck source=../tests/helpers/cli-engine.sh
CLI_TEST_IMAGE=busybox:latest . "$helpers/cli-engine.sh"

say() { printf '%s\n' "$*" >&2; }

PODMAN_CG=/berth-bench-net-podman
PODMAN_RUN="--pull never --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --cgroup-parent $PODMAN_CG"

# The network namespace of each kind's host-side client (empty: the host's).
client_ns() {
	case $1 in
	docker) echo "$ns_dk" ;;
	docker-nop) echo "$ns_dn" ;;
	podman) echo "$ns_pm" ;;
	esac
}
# in_ns KIND CMD...: run CMD where KIND's host-side client runs.
in_ns() {
	local ns
	ns=$(client_ns "$1")
	shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
# The client command line of each kind.
client_cmd() {
	case $1 in
	berth) echo "$berth -H unix://$work/berth/engine.sock" ;;
	docker) echo "$DOCKER -H unix://$work/docker/engine.sock" ;;
	docker-nop) echo "$DOCKER -H unix://$work/docker-nop/engine.sock" ;;
	podman) podman_client ;;
	esac
}
cli() {
	local k=$1
	shift
	# shellcheck disable=SC2046
	$(client_cmd "$k") "$@"
}
run_opts() { [ "$1" = podman ] && echo "$PODMAN_RUN"; }

cleanup() {
	local k d m l
	trap '' INT TERM
	podman_holder_stop "$net_name"
	for d in /sys/fs/cgroup/*"$PODMAN_CG" /sys/fs/cgroup"$PODMAN_CG"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	for k in berth docker docker-nop; do
		[ -S "$work/$k/engine.sock" ] || continue
		timeout 60 $(client_cmd "$k") rm -f bench-sink-$tag bench-nsink-$tag >/dev/null 2>&1
		timeout 30 $(client_cmd "$k") network rm "$net_name" >/dev/null 2>&1
	done
	for k in berth docker docker-nop; do
		CLI_ENGINE_CGROUP_PARENT=/berth-bench-net engine_stop "$work/$k" >/dev/null 2>&1
	done
	# What berthd may have left in the host's namespace: its bridges, its table.
	for l in "$br_berth" "$br_net"; do
		ip link show "$l" >/dev/null 2>&1 && ip link del "$l"
	done
	for m in ip inet; do
		nft list table "$m" "$nft_table" >/dev/null 2>&1 && nft delete table "$m" "$nft_table"
	done
	for d in "$ns_dk" "$ns_dn" "$ns_pm"; do
		ip netns pids "$d" 2>/dev/null | while read -r m; do kill -KILL "$m" 2>/dev/null; done
		ip netns del "$d" 2>/dev/null
	done
	echo "$fwd0" >/proc/sys/net/ipv4/ip_forward
	[ -n "${sink_pid:-}" ] && stop_pid "$sink_pid" 2
	for m in $(awk -v r="$work/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		in_ns "$1" ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# The mounts of a daemon in its network namespace, run by sh -c with $1 an
# empty directory: a sysfs of that namespace on /sys (its /sys/class/net),
# the host's cgroup hierarchies moved back under it, an empty tmpfs on /run.
# (`ip netns exec` mounts the sysfs too, but without /sys/fs/cgroup.)
NS_MOUNTS='mount --rbind /sys/fs/cgroup "$1" && mount -t sysfs berth-bench-net /sys &&
	mount --move "$1" /sys/fs/cgroup && mount -t tmpfs -o mode=0755,size=64m berth-bench-net /run'

# shellcheck source=SCRIPTDIR/podman-holder.sh
. "$bdir/podman-holder.sh"
# shellcheck source=SCRIPTDIR/dockerd-confined.sh
. "$bdir/dockerd-confined.sh"


# dockerd_start KIND NS [DOCKERD OPTIONS...]: bench/dockerd-confined.sh's.
dockerd_start() {
	local k=$1 ns=$2
	shift 2
	dockerd_confined_start "$k" "$ns" "/berth-bench-net-$k" "$@"
}

berthd_start() {
	local dir=$work/berth i
	mkdir -p "$dir/berthd"
	echo /berth-bench-net >"$dir/cgroup-parent"
	(detached unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755,size=16m berth-bench-net /run && exec "$@"' sh \
		"$berthd" --data-root "$dir/berthd/data" --exec-root "$dir/berthd/exec" \
		--host "unix://$dir/engine.sock" --cgroup-parent /berth-bench-net \
		--bridge-name "$br_berth" --bip 10.213.112.1/24 \
		--default-address-pool base=10.213.116.0/22,size=24 --nft-table "$nft_table" \
		</dev/null >"$dir/berthd/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	for i in $(seq 100); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		if [ -S "$dir/engine.sock" ] && readlink "/proc/$(cat "$dir/engine.pid")/ns/mnt" >"$dir/mntns"; then
			timeout 60 $(client_cmd "berth") load -i "$work/busybox.tar" >/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	say "berth: berthd did not start: $(tail -3 "$dir/berthd/log")"
	return 1
}

# podman_start: podman confined (bench/podman-holder.sh) on its own subnets.
podman_start() { podman_holder_start 10.213.120.0/24 10.213.124.0/22 "$PODMAN_RUN"; }

# The image: busybox and tcpbench.
mkdir -p "$work/img"
cc -O2 -static -o "$work/tcpbench" "$bdir/tcpbench.c" 2>"$work/cc.log" ||
	{ say "network.sh: cannot compile tcpbench: $(cat "$work/cc.log")"; exit 1; }
BERTH_RUNTIME=$build/berth-runtime TESTINIT='' "$helpers/mkbundle.sh" "$work/img/bundle" >/dev/null &&
	cp "$work/tcpbench" "$work/img/bundle/rootfs/bin/tcpbench" &&
	"$helpers/mkimage.sh" "$work/img/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null ||
	{ say "network.sh: cannot make the busybox image"; exit 1; }

kinds=""
for e in $engines; do
	case $e in
	berth)
		if [ ! -x "$berthd" ]; then
			say "berth: $berthd missing, skipped"
		elif ! "$berthd" --help 2>&1 | grep -q -- --nft-table; then
			say "berth: this berthd has no bridge networking options (--bridge-name, --nft-table), skipped"
		elif berthd_start; then
			kinds="$kinds berth"
		fi
		;;
	docker | docker-nop)
		if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null || [ -z "$DOCKER" ]; then
			say "$e: dockerd, containerd or the docker CLI not installed (apt-get install docker.io), skipped"
		elif [ "$e" = docker ] && dockerd_start docker "$ns_dk"; then
			kinds="$kinds docker"
		elif [ "$e" = docker-nop ] && dockerd_start docker-nop "$ns_dn" --userland-proxy=false; then
			kinds="$kinds docker-nop"
		fi
		;;
	podman)
		if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
			say "podman: not installed (apt-get install podman), skipped"
		elif podman_start; then
			kinds="$kinds podman"
		fi
		;;
	esac
done
[ -n "$kinds" ] || { say "network.sh: no engine started"; exit 1; }
has() { case " $kinds " in *" $1 "*) return 0 ;; esac; return 1; }

printf '# %s\n' "$("$berth" --version 2>/dev/null | head -1)"
if has docker || has docker-nop; then
	k=docker
	has docker || k=docker-nop
	printf '# docker CLI %s; dockerd %s, containerd %s, runc %s\n' \
		"$(cli $k version -f '{{.Client.Version}}' 2>/dev/null)" "$(cli $k version -f '{{.Server.Version}}' 2>/dev/null)" \
		"$(containerd --version | awk '{print $3}')" "$(runc --version | awk 'NR==1{print $3}')"
fi
has podman && printf '# podman %s (%s), conmon %s, runtime runc\n' "$(podman --version | awk '{print $3}')" \
	"$(cli podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)" "$(conmon --version | awk 'NR==1{print $3}')"
printf '# %s, %s CPUs, load average %s, %s; %s MiB per transfer, %s runs\n' "$(uname -r)" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$mib" "$runs"

# 1. run --rm on the default bridge network (docker-nop differs from docker
# only in published ports: not measured twice).
for k in $kinds; do
	[ "$k" = docker-nop ] && continue
	cmd="$(client_cmd "$k") run --rm $(run_opts "$k") busybox true"
	hyperfine -N --style none --runs "$hruns" --warmup 3 --export-json "$work/run-$k.json" \
		"$cmd" >/dev/null 2>"$work/run-$k.err" && continue
	$cmd >"$work/last" 2>&1 # hyperfine does not show the command's error
	say "$k: run --rm failed: $(tail -3 "$work/last")"
	rm -f "$work/run-$k.json"
done

# drop LIST WORD: LIST without WORD.
drop() { echo " $1 " | sed "s/ $2 / /"; }

# send KIND HOST PORT FILE: one transfer from KIND's host side; MB/s to FILE.
send_host() {
	local out
	out=$(in_ns "$1" "$work/tcpbench" send "$2" "$3" "$mib" 2>"$work/last") || return 1
	echo "$out" | awk '{print $3}' >>"$4"
}

# The ceiling: host loopback, no container.
lport=$(free_port berth)
"$work/tcpbench" sink "$lport" </dev/null >/dev/null 2>"$work/sink.log" &
sink_pid=$!

# 2. host -> container through a published port.
declare -A port
active=""
for k in $kinds; do
	port[$k]=$(free_port "$k")
	if cli "$k" run -d $(run_opts "$k") --name "bench-sink-$tag" -p "127.0.0.1:${port[$k]}:5001" \
		busybox tcpbench sink 5001 >"$work/last" 2>&1; then
		active="$active $k"
	else
		say "$k: cannot start the sink container with a published port: $(tail -3 "$work/last")"
	fi
done
for i in $(seq "$runs"); do
	send_host berth 127.0.0.1 "$lport" "$work/tp-loop" || say "loopback transfer failed: $(cat "$work/last")"
	for k in $active; do
		send_host "$k" 127.0.0.1 "${port[$k]}" "$work/tp-pub-$k" ||
			{ say "$k: transfer to the published port failed: $(cat "$work/last")"; rm -f "$work/tp-pub-$k"; active=$(drop "$active" "$k"); }
	done
done
stop_pid "$sink_pid" 2
sink_pid=""
for k in $kinds; do
	cli "$k" rm -f "bench-sink-$tag" >/dev/null 2>&1
done

# 3. container -> container on a user-defined network, by name; an engine
# whose name resolution fails is measured by address and marked. berth's
# network gets the bridge name bn<random>, to be removed if left behind.
declare -A target
active=""
for k in $kinds; do
	[ "$k" = docker-nop ] && continue
	opts=""
	[ "$k" = berth ] && opts="-o com.docker.network.bridge.name=$br_net"
	if ! cli "$k" network create $opts "$net_name" >"$work/last" 2>&1; then
		say "$k: network create failed: $(tail -3 "$work/last")"
		continue
	fi
	if ! cli "$k" run -d $(run_opts "$k") --network "$net_name" --name "bench-nsink-$tag" busybox tcpbench sink 5001 \
		>"$work/last" 2>&1; then
		say "$k: cannot start the sink container on $net_name: $(tail -3 "$work/last")"
		continue
	fi
	target[$k]=bench-nsink-$tag
	if ! cli "$k" run --rm $(run_opts "$k") --network "$net_name" busybox \
		tcpbench send "bench-nsink-$tag" 5001 1 10 >"$work/last" 2>&1; then
		target[$k]=$(cli "$k" inspect -f "{{(index .NetworkSettings.Networks \"$net_name\").IPAddress}}" "bench-nsink-$tag")
		say "$k: containers do not resolve each other's names on $net_name, measured by address ${target[$k]}: $(tail -2 "$work/last" | tr '\n' ' ')"
		echo "${target[$k]}" >"$work/byaddr-$k"
	fi
	active="$active $k"
done
for i in $(seq "$runs"); do
	for k in $active; do
		if cli "$k" run --rm $(run_opts "$k") --network "$net_name" busybox \
			tcpbench send "${target[$k]}" 5001 "$mib" 20 >"$work/last" 2>&1; then
			awk 'NF == 3 {v = $3} END {print v}' "$work/last" >>"$work/tp-net-$k"
		else
			say "$k: container to container transfer failed: $(tail -3 "$work/last")"
			rm -f "$work/tp-net-$k"
			active=$(drop "$active" "$k")
		fi
	done
done
for k in $kinds; do
	cli "$k" rm -f "bench-nsink-$tag" >/dev/null 2>&1
	cli "$k" network rm "$net_name" >/dev/null 2>&1
done

# Report.
median_ms() { [ -f "$1" ] && jq '.results[0].median * 1000' "$1"; }
median() { [ -s "$1" ] && sort -g "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
range() { [ -s "$1" ] && sort -g "$1" | awk 'NR == 1 {a = $1} {b = $1} END {printf "%s-%s", a, b}'; }
fmt() { if [ -n "$1" ]; then printf "${2:-%.1f}" "$1"; else printf 'n/a'; fi; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%.3fx' "$(echo "$1 / $2" | bc -l)"; else printf 'n/a'; fi; }

declare -A run pub net rpub rnet
# shellcheck disable=SC2034 # read through row()'s nameref
for k in berth docker docker-nop podman; do
	run[$k]=$(median_ms "$work/run-$k.json")
	pub[$k]=$(median "$work/tp-pub-$k")
	net[$k]=$(median "$work/tp-net-$k")
	rpub[$k]=$(range "$work/tp-pub-$k")
	rnet[$k]=$(range "$work/tp-net-$k")
done
printf '\n| benchmark | berth | docker (userland proxy) | docker (--userland-proxy=false) | podman | berth/docker | berth/podman |\n'
printf '|---|---|---|---|---|---|---|\n'
row() {
	local name=$1 f=$2
	local -n v=$3
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(fmt "${v[berth]}" "$f")" \
		"$(fmt "${v[docker]}" "$f")" "$(fmt "${v[docker-nop]}" "$f")" "$(fmt "${v[podman]}" "$f")" \
		"$(ratio "${v[berth]}" "${v[docker]}")" "$(ratio "${v[berth]}" "${v[podman]}")"
}
row "run --rm busybox true (default bridge), median ms" %.1f run
row "host -> container, published port on 127.0.0.1, MB/s" %.0f pub
row "container -> container, user-defined network, MB/s" %.0f net
printf '| MB/s min-max: published port / user network | %s / %s | %s / %s | %s / %s | %s / %s | | |\n' \
	"${rpub[berth]:-n/a}" "${rnet[berth]:-n/a}" "${rpub[docker]:-n/a}" "${rnet[docker]:-n/a}" \
	"${rpub[docker-nop]:-n/a}" "${rnet[docker-nop]:-n/a}" "${rpub[podman]:-n/a}" "${rnet[podman]:-n/a}"
printf '\nCeiling, tcpbench over the host loopback without a container: %s MB/s (median; %s).\n' \
	"$(fmt "$(median "$work/tp-loop")" %.0f)" "$(range "$work/tp-loop")"
for k in berth docker podman; do
	[ -f "$work/byaddr-$k" ] && printf '%s: container to container by address (no name resolution on its network).\n' "$k"
done
printf 'hyperfine: %s runs each, 3 warm-up; transfers: %s MiB each, median of %s, round robin.\n' "$hruns" "$mib" "$runs"
printf 'Load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
