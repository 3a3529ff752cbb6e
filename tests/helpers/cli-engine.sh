#!/bin/bash
# A private engine for the berth CLI tests: containerd and dockerd (Debian's
# docker.io, API 1.41) confined the way tests/e2e/090-engines.bats does it, or
# later berthd. Everything lives under DIR; nothing is pulled from a network.
#
#   cli-engine.sh start DIR [dockerd|berthd]   start it; prints the socket path
#   cli-engine.sh stop DIR                     stop it by PID, remove what it left
#
# The daemons run in a mount namespace of their own with an empty tmpfs on
# /run (berthd in a network namespace of its own too), keep their roots, state and sockets in DIR, make no network interface,
# touch no host setting and put their cgroups under /berth-test-cli-*. The image
# berth.test/busybox:latest is made with tests/helpers/mkimage.sh and loaded
# (a DIR/busybox.tar put there beforehand is loaded instead).
# Environment: BERTH_BUILD (build directory, for berth-runtime and berthd),
# CLI_TEST_IMAGE (the image's name), CLI_ENGINE_CGROUP_PARENT (the containers'
# cgroup parent, default /berth-test-cli-PID; bench/engines.sh sets it).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=${CLI_TEST_IMAGE:-berth.test/busybox:latest}
cgroup_parent() { echo "${CLI_ENGINE_CGROUP_PARENT:-/berth-test-cli-$$}"; }

pid_alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

stop_pid() {
	local i
	pid_alive "${1:-}" || return 0
	kill -TERM "$1" 2>/dev/null
	for i in $(seq $(($2 * 10))); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	return 1
}

# detached CMD...: exec CMD with no descriptor above 2.
detached() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -le 2 ] || eval "exec $fd>&-"
	done
	exec setsid "$@"
}

make_image() {
	local dir=$1 build=${BERTH_BUILD:-$here/../../build}
	[ -f "$dir/busybox.tar" ] && return 0
	BERTH_RUNTIME=$build/berth-runtime TESTINIT= "$here/mkbundle.sh" "$dir/bundle" >/dev/null &&
		"$here/mkimage.sh" "$dir/bundle/rootfs" "$dir/busybox.tar" "$IMAGE" &&
		rm -rf "$dir/bundle"
}

start_containerd() {
	local dir=$1 d=$1/containerd i
	mkdir -p "$d"
	cat >"$d/config.toml" <<-EOF
	version = 2
	root = "$d/root"
	state = "$d/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
	  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
	  "io.containerd.snapshotter.v1.devmapper"]
	[grpc]
	  address = "$d/containerd.sock"
	[ttrpc]
	  address = "$d/containerd.sock.ttrpc"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$d/opt"
	EOF
	(detached unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755,size=16m berth-cli-engine /run && exec containerd --config "$1"' \
		sh "$d/config.toml" </dev/null >"$d/log" 2>&1) &
	echo $! >"$dir/containerd.pid"
	for i in $(seq 100); do
		pid_alive "$(cat "$dir/containerd.pid")" || break
		if [ -S "$d/containerd.sock" ] &&
			timeout 5 ctr --address "$d/containerd.sock" version >/dev/null 2>&1; then
			readlink "/proc/$(cat "$dir/containerd.pid")/ns/mnt" >"$dir/mntns"
			return 0
		fi
		sleep 0.1
	done
	echo "containerd did not start: $(tail -5 "$d/log")" >&2
	return 1
}

start_dockerd() {
	local dir=$1 d=$1/docker i
	mkdir -p "$d"
	echo "{\"deprecated-key-path\": \"$d/key.json\"}" >"$d/daemon.json"
	(detached nsenter --target "$(cat "$dir/containerd.pid")" --mount -- dockerd \
		--config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" \
		--pidfile "$d/dockerd.pid" --host "unix://$dir/engine.sock" \
		--containerd "$dir/containerd/containerd.sock" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$(cgroup_parent)" \
		</dev/null >"$d/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	cgroup_parent >"$dir/cgroup-parent"
	for i in $(seq 300); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		[ -S "$dir/engine.sock" ] &&
			timeout 10 docker --host "unix://$dir/engine.sock" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "dockerd did not start: $(tail -5 "$d/log")" >&2
	return 1
}

start_berthd() {
	local dir=$1 build=${BERTH_BUILD:-$here/../../build} i berthd
	berthd=$build/src/daemon/berthd
	[ -x "$berthd" ] || berthd=$build/berthd
	mkdir -p "$dir/berthd"
	# berthd also gets a network namespace of its own: its default bridge,
	# nftables table and ip_forward live and die there. With
	# CLI_ENGINE_HOST_NET=1 (registries on the host's loopback) it stays in
	# the host's, with a bridge and table of its own removed by engine_stop.
	local net=--net netargs=()
	if [ -n "${CLI_ENGINE_HOST_NET:-}" ]; then
		net=
		netargs=(--bridge-name "bce$$" --nft-table "berth_cli$$" --bip 10.213.120.1/24
			--ip-forward=false)
		echo "bce$$ berth_cli$$" >"$dir/host-net"
	fi
	(detached unshare --mount $net --propagation private sh -c \
		'ip link set lo up && mount -t tmpfs -o mode=0755,size=16m berth-cli-engine /run && exec "$@"' sh \
		"$berthd" --data-root "$dir/berthd/data" --exec-root "$dir/berthd/exec" \
		--host "unix://$dir/engine.sock" --cgroup-parent "$(cgroup_parent)" "${netargs[@]}" \
		</dev/null >"$dir/berthd/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	cgroup_parent >"$dir/cgroup-parent"
	for i in $(seq 100); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		[ -S "$dir/engine.sock" ] && readlink "/proc/$(cat "$dir/engine.pid")/ns/mnt" >"$dir/mntns" &&
			return 0
		sleep 0.1
	done
	echo "berthd did not start: $(tail -5 "$dir/berthd/log")" >&2
	return 1
}

engine_start() {
	local dir=$1 kind=${2:-dockerd}
	mkdir -p "$dir"
	echo "$kind" >"$dir/kind"
	make_image "$dir" || return 1
	case $kind in
	dockerd)
		start_containerd "$dir" && start_dockerd "$dir" || return 1
		timeout 60 docker --host "unix://$dir/engine.sock" load -i "$dir/busybox.tar" >/dev/null ||
			return 1
		;;
	berthd)
		start_berthd "$dir" || return 1
		timeout 60 docker --host "unix://$dir/engine.sock" load -i "$dir/busybox.tar" >/dev/null ||
			return 1
		;;
	*)
		echo "unknown engine '$kind'" >&2
		return 1
		;;
	esac
	echo "$dir/engine.sock"
}

engine_stop() {
	local dir=$1 ns p i ids
	[ -d "$dir" ] || return 0
	if [ -S "$dir/engine.sock" ] && pid_alive "$(cat "$dir/engine.pid" 2>/dev/null)"; then
		ids=$(timeout 30 docker --host "unix://$dir/engine.sock" ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || timeout 60 docker --host "unix://$dir/engine.sock" rm -f $ids >/dev/null 2>&1
	fi
	stop_pid "$(cat "$dir/engine.pid" 2>/dev/null)" 20
	stop_pid "$(cat "$dir/containerd.pid" 2>/dev/null)" 10
	ns=$(cat "$dir/mntns" 2>/dev/null)
	if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/mnt)" ]; then
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && stop_pid "${p#/proc/}" 2
		done
	fi
	p=$(cat "$dir/cgroup-parent" 2>/dev/null)
	if [ -n "$p" ]; then
		for i in /sys/fs/cgroup/*"$p" /sys/fs/cgroup"$p"; do
			[ -d "$i" ] || continue
			find "$i" -name cgroup.procs -exec cat {} + 2>/dev/null |
				while read -r p; do kill -KILL "$p" 2>/dev/null; done
			find "$i" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
	fi
	if [ -f "$dir/host-net" ]; then
		read -r p i <"$dir/host-net"
		ip link del "$p" 2>/dev/null
		nft delete table ip "$i" 2>/dev/null
	fi
	rm -rf "$dir"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start) engine_start "$2" "${3:-dockerd}" ;;
	stop) engine_stop "$2" ;;
	*)
		echo "usage: cli-engine.sh start DIR [dockerd|berthd] | stop DIR" >&2
		exit 2
		;;
	esac
fi
