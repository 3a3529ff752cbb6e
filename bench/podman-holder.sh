# Sourced by bench/network.sh and bench/confined-engines.sh: podman, confined.
# Every podman command runs inside a holder process's network namespace
# ($ns_pm, made here) and private mount namespace (its own /var/lib, /dev/shm
# and CNI directory, the cgroup tree bound as $NS_MOUNTS does), with its own
# storage root, run root and network configuration under $work/podman.
#
# The caller defines work, ns_pm, NS_MOUNTS, say, detached, stop_pid and
# client_cmd (whose "podman" case enters the holder: see podman_client).

# The podman command line that enters the holder.
podman_client() {
	echo "nsenter --target $(cat "$work/podman/holder.pid") --mount --net -- env CONTAINERS_CONF=$work/podman/containers.conf podman --root $work/podman/root --runroot $work/podman/runroot --tmpdir $work/podman/tmp --cgroup-manager cgroupfs --events-backend file --runtime runc"
}

# podman_holder_start SUBNET POOL RUN_OPTS: the holder, podman's default
# network on SUBNET with POOL for more, the image ($work/busybox.tar) loaded
# and run once with RUN_OPTS.
podman_holder_start() {
	local dir=$work/podman backend=cni i
	command -v podman >/dev/null && command -v conmon >/dev/null && command -v runc >/dev/null ||
		{ say "podman: podman, conmon or runc not installed, skipped"; return 1; }
	mkdir -p "$dir/tmp" "$dir/cni" "$dir/cg"
	# netavark (podman's default since 4.0; with aardvark-dns, names on user
	# networks) when installed, else CNI (without the dnsname plugin: no names).
	[ -x /usr/lib/podman/netavark ] && [ -x /usr/lib/podman/aardvark-dns ] && backend=netavark
	cat >"$dir/containers.conf" <<-EOF
	[network]
	network_backend = "$backend"
	network_config_dir = "$dir/cni"
	cni_plugin_dirs = ["/usr/lib/cni"]
	default_subnet = "$1"
	default_subnet_pools = [{"base" = "$2", "size" = 24}]
	EOF
	ip netns add "$ns_pm" && ip -n "$ns_pm" link set lo up || return 1
	(detached nsenter --net="/run/netns/$ns_pm" unshare --mount --propagation private sh -c "$NS_MOUNTS"' &&
		for d in /var/lib /dev/shm; do mount -t tmpfs -o mode=0755,size=64m berth-bench-pm $d || exit 1; done
		chmod 1777 /dev/shm
		[ ! -d /etc/cni/net.d ] || mount -t tmpfs -o mode=0755,size=1m berth-bench-pm /etc/cni/net.d || exit 1
		touch "$2/ready"
		exec sleep infinity' sh "$dir/cg" "$dir" </dev/null >"$dir/holder.log" 2>&1) &
	echo $! >"$dir/holder.pid"
	for i in $(seq 50); do
		[ -f "$dir/ready" ] && break
		sleep 0.1
	done
	[ -f "$dir/ready" ] || { say "podman: cannot make its namespaces: $(cat "$dir/holder.log")"; return 1; }
	# shellcheck disable=SC2086
	timeout 120 $(podman_client) load -i "$work/busybox.tar" >"$dir/log" 2>&1 &&
		timeout 60 $(podman_client) run --rm $3 busybox true >>"$dir/log" 2>&1 && return 0
	say "podman: cannot load or run the image, skipped: $(tail -3 "$dir/log")"
	return 1
}

# podman_holder_stop [NETWORK]: podman's containers (and NETWORK) removed,
# whatever it left in the holder's mount namespace (conmons, aardvark-dns)
# and the holder stopped by PID, the namespace deleted.
podman_holder_stop() {
	local m d holder
	if [ -f "$work/podman/holder.pid" ] && pid_alive "$(cat "$work/podman/holder.pid")"; then
		holder=$(cat "$work/podman/holder.pid")
		timeout 120 $(podman_client) rm -af -t 0 >/dev/null 2>&1
		[ -z "${1:-}" ] || timeout 30 $(podman_client) network rm -f "$1" >/dev/null 2>&1
		m=$(readlink "/proc/$holder/ns/mnt")
		for d in /proc/[0-9]*; do
			[ "${d#/proc/}" != "$holder" ] &&
				[ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$m" ] && stop_pid "${d#/proc/}" 2
		done
		stop_pid "$holder" 5
	fi
	ip netns pids "$ns_pm" 2>/dev/null | while read -r m; do kill -KILL "$m" 2>/dev/null; done
	ip netns del "$ns_pm" 2>/dev/null
	return 0
}
