# Sourced by bench/cp.sh and bench/stats.sh: berthd, a confined dockerd and
# a confined podman side by side, confined as bench/network.sh confines
# them. dockerd (Debian's docker.io, with its own containerd) runs in a
# network namespace of its own made here, with its own data root, exec root,
# socket and bridge (--bip 10.213.96.1/24); podman (with runc and conmon)
# runs every command inside a holder process's network and mount namespaces,
# with its own storage root, run root, network configuration and cgroup
# parent; berthd runs in its own mount namespace with its own bridge
# b<x><random>, nftables table berth_bench_<name> and cgroups
# /berth-bench-<name>*. Nothing touches docker0 or the host's iptables; the
# EXIT trap removes everything: containers, daemons and podman's processes
# (by their PIDs), namespaces, berthd's bridge and table, mounts, cgroups,
# directories.
#
# The caller sets build, bdir (bench/), helpers, bench_name (a short word: cp, st),
# berth_bip and berth_pool (berthd's --bip and --default-address-pool).
# Defined here: work (the scratch directory, made the current one), say,
# client_cmd, cli, run_opts (podman's extra run options), dockerd_start,
# podman_start and berthd_start (each loads $work/busybox.tar, which the
# caller makes first).
berth=$build/src/cli/berth
berthd=$build/src/daemon/berthd
work=$(mktemp -d "/var/tmp/berth-bench-$bench_name.XXXXXX")
cd "$work" || exit 1
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns_dk=b${bench_name:0:1}dk$tag
ns_pm=b${bench_name:0:1}pm$tag
podman_cg=/berth-bench-$bench_name-podman
br_berth=b${bench_name:0:1}$tag
nft_table=berth_bench_$bench_name
fwd0=$(cat /proc/sys/net/ipv4/ip_forward)
export BERTH_BUILD=$build
# shellcheck source=../tests/helpers/cli-engine.sh
CLI_TEST_IMAGE=busybox:latest . "$helpers/cli-engine.sh"

say() { printf '%s\n' "$*" >&2; }
# shellcheck source=SCRIPTDIR/podman-holder.sh
. "$bdir/podman-holder.sh"
# shellcheck source=SCRIPTDIR/dockerd-confined.sh
. "$bdir/dockerd-confined.sh"

client_cmd() {
	case $1 in
	berth) echo "$berth -H unix://$work/berth/engine.sock" ;;
	docker) echo "$DOCKER -H unix://$work/docker/engine.sock" ;;
	podman) podman_client ;;
	esac
}
# The options every engine's `run` needs here (podman: its cgroup parent).
# (podman's default rlimits are above what this host lets a process set)
run_opts() {
	[ "$1" = podman ] && echo "--pull never --cgroup-parent $podman_cg" \
		"--ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
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
	podman_holder_stop
	for k in berth docker; do
		CLI_ENGINE_CGROUP_PARENT=/berth-bench-$bench_name engine_stop "$work/$k" >/dev/null 2>&1
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
	for d in /sys/fs/cgroup/*/berth-bench-$bench_name* /sys/fs/cgroup/berth-bench-$bench_name*; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NS_MOUNTS="mount --rbind /sys/fs/cgroup \"\$1\" && mount -t sysfs berth-bench-$bench_name /sys &&
	mount --move \"\$1\" /sys/fs/cgroup && mount -t tmpfs -o mode=0755,size=64m berth-bench-$bench_name /run"

dockerd_start() { dockerd_confined_start docker "$ns_dk" "/berth-bench-$bench_name-docker"; }

# The median of the numbers in FILE ("-" when there are none), and a ratio
# of two of them ("-" when one is missing).
median() {
	[ -s "$1" ] || { echo -; return; }
	sort -g "$1" | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ratio() { if [ "$1" != - ] && [ "$2" != - ]; then printf '%.2fx' "$(echo "scale=4; $1 / $2" | bc)"; else echo -; fi; }
# report_row LABEL PREFIX: the medians of $work/PREFIX-{berth,docker,podman}
# in seconds and berth's ratios to docker and podman.
report_header() {
	printf '%-34s %9s %9s %9s %12s %12s\n' "$1" berth docker podman berth/docker berth/podman
}
report_row() {
	local b dk pm
	b=$(median "$work/$2-berth") dk=$(median "$work/$2-docker") pm=$(median "$work/$2-podman")
	printf '%-34s %9s %9s %9s %12s %12s\n' "$1" "$(secs "$b")" "$(secs "$dk")" "$(secs "$pm")" \
		"$(ratio "$b" "$dk")" "$(ratio "$b" "$pm")"
}
secs() { if [ "$1" = - ]; then echo -; else printf '%.3f' "$1"; fi; }

# podman_start: podman confined (bench/podman-holder.sh) on its own subnets.
podman_start() { podman_holder_start 10.213.88.0/24 10.213.92.0/22 "$(run_opts podman)"; }

berthd_start() {
	local dir=$work/berth i
	mkdir -p "$dir/berthd"
	echo /berth-bench-$bench_name >"$dir/cgroup-parent"
	(detached unshare --mount --propagation private sh -c \
		"mount -t tmpfs -o mode=0755,size=16m berth-bench-$bench_name /run && exec \"\$@\"" sh \
		"$berthd" --data-root "$dir/berthd/data" --exec-root "$dir/berthd/exec" \
		--host "unix://$dir/engine.sock" --cgroup-parent /berth-bench-$bench_name \
		--bridge-name "$br_berth" --bip "$berth_bip" \
		--default-address-pool "$berth_pool" --nft-table "$nft_table" \
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
