# Sourced by bench/network.sh and bench/confined-engines.sh: a dockerd
# (Debian's docker.io) with a containerd of its own, confined: its own network
# namespace, mount namespace, data root, exec root, socket, bridge (--bip
# 10.213.96.1/24) and cgroup parent; nothing touches docker0 or the host's
# iptables. The caller defines work, NS_MOUNTS, say, detached, pid_alive and
# client_cmd (KIND's CLI on $work/KIND/engine.sock); its cleanup stops the
# daemons by the PIDs in $work/KIND (engine_stop) and deletes NS.

# dockerd_confined_start KIND NS CGROUP_PARENT [DOCKERD OPTIONS...]: containerd
# and dockerd in the network namespace NS (made here) and a mount namespace
# of their own ($NS_MOUNTS), roots, state and socket under $work/KIND,
# containers under CGROUP_PARENT; the image ($work/busybox.tar) loaded.
dockerd_confined_start() {
	local k=$1 ns=$2 cg=$3 dir=$work/$1 i
	shift 3
	ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	mkdir -p "$dir/containerd" "$dir/docker"
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
	mkdir -p "$dir/cg"
	(detached nsenter --net="/run/netns/$ns" unshare --mount --propagation private sh -c \
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
	echo "$cg" >"$dir/cgroup-parent"
	echo "{\"deprecated-key-path\": \"$dir/docker/key.json\"}" >"$dir/docker/daemon.json"
	(detached nsenter --target "$(cat "$dir/containerd.pid")" --mount --net -- dockerd \
		--config-file "$dir/docker/daemon.json" --data-root "$dir/docker/data" \
		--exec-root "$dir/docker/exec" --pidfile "$dir/docker/dockerd.pid" \
		--host "unix://$dir/engine.sock" --containerd "$dir/containerd/containerd.sock" \
		--bip 10.213.96.1/24 --default-address-pool base=10.213.104.0/21,size=24 \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$cg" "$@" \
		</dev/null >"$dir/docker/log" 2>&1) &
	echo $! >"$dir/engine.pid"
	for i in $(seq 300); do
		pid_alive "$(cat "$dir/engine.pid")" || break
		if [ -S "$dir/engine.sock" ] && timeout 10 $(client_cmd "$k") version >/dev/null 2>&1; then
			timeout 60 $(client_cmd "$k") load -i "$work/busybox.tar" >/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	say "$k: dockerd did not start: $(tail -3 "$dir/docker/log")"
	return 1
}
