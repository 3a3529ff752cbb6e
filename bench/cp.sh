#!/bin/bash
# cp benchmark, berth against docker and podman side by side:
#   bench/cp.sh BUILD
# A 200 MB directory (200 files of 1 MiB of random bytes, and 100 small
# files in a subdirectory) copied with `cp` into a running container
# (host -> container) and back out (container -> host), N runs of each,
# round robin between the engines; the median wall time of each and the
# ratios berth/docker and berth/podman. Before each copy the page cache is dropped and the
# source read once (see fresh_cache below).
#
# The engines are confined by bench/confined-engines.sh: dockerd and podman
# in network namespaces of their own, berthd with bridge bc<random> and nftables table
# berth_bench_cp; nothing is left behind.
#
# Environment: BENCH_CP_RUNS (N, default 5), BENCH_CP_FILES (1 MiB files,
# default 200), DOCKER.
set -uo pipefail
build=$(realpath "${1:?usage: bench/cp.sh BUILD}")
bdir=$(dirname "$(realpath "$0")")
helpers=$bdir/../tests/helpers
runs=${BENCH_CP_RUNS:-5}
nfiles=${BENCH_CP_FILES:-200}
DOCKER=${DOCKER:-$(command -v docker)}
bench_name='cp'
berth_bip=10.213.112.1/24
berth_pool=base=10.213.116.0/22,size=24
# shellcheck source=SCRIPTDIR/confined-engines.sh
. "$bdir/confined-engines.sh"

# The image and the data.
mkdir -p "$work/img" "$work/data/small" "$work/out"
BERTH_RUNTIME=$build/berth-runtime TESTINIT='' "$helpers/mkbundle.sh" "$work/img/bundle" >/dev/null &&
	"$helpers/mkimage.sh" "$work/img/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null ||
	{ say "cp.sh: cannot make the busybox image"; exit 1; }
for i in $(seq "$nfiles"); do
	head -c 1048576 /dev/urandom >"$work/data/f$i"
done
for i in $(seq 100); do
	echo "small file $i" >"$work/data/small/s$i"
done

kinds=""
if [ -x "$berthd" ] && berthd_start; then kinds="$kinds berth"; fi
if command -v dockerd >/dev/null && command -v containerd >/dev/null && [ -n "$DOCKER" ]; then
	dockerd_start && kinds="$kinds docker"
else
	say "docker: dockerd, containerd or the docker CLI not installed, skipped"
fi
if podman_start; then kinds="$kinds podman"; fi
[ -n "$kinds" ] || { say "cp.sh: no engine started"; exit 1; }
for k in $kinds; do
	# shellcheck disable=SC2046
	cli "$k" run -d $(run_opts "$k") --name "bench-cp-$tag" busybox sleep 100000 >/dev/null ||
		{ say "$k: cannot start the container"; exit 1; }
done

printf '# %s\n' "$("$berth" --version 2>/dev/null | head -1)"
case " $kinds " in *" docker "*)
	printf '# docker CLI %s; dockerd %s, containerd %s\n' "$(cli docker version -f '{{.Client.Version}}')" \
		"$(cli docker version -f '{{.Server.Version}}')" "$(containerd --version | awk '{print $3}')" ;;
esac
case " $kinds " in *" podman "*)
	printf '# podman %s, conmon %s, runtime runc\n' "$(podman --version | awk '{print $3}')" \
		"$(conmon --version | awk 'NR==1{print $3}')" ;;
esac
printf '# %s, %s CPUs, load average %s, %s; %s MB directory (%s x 1 MiB + 100 small files), %s runs\n' \
	"$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$(du -sm "$work/data" | cut -f1)" "$nfiles" "$runs"

# Nothing is deleted between runs (ext4's inode allocator slows down right
# after many deletions, which would weigh on whichever engine comes next);
# the copies go at the end with everything else.
# timed FILE CMD...: append CMD's wall time in seconds to FILE.
timed() {
	local f=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$work/last" || { say "failed: $* : $(tail -3 "$work/last")"; return 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$f"
}

# Each copy starts from the same page cache, for both engines alike: the
# clean cache of the earlier copies is dropped (the gigabytes they leave make
# every later copy slower, for both engines, through reclaim; this host's
# DAMON pages cold cache out on its own), then the source is read once, so
# that a copy measures the engine, not the disk.
fresh_cache() { sync && echo 1 >/proc/sys/vm/drop_caches; }
warm_host() { fresh_cache; cat "$work"/data/f* "$work"/data/small/* >/dev/null; }
warm_container() {
	fresh_cache
	cli "$1" exec "bench-cp-$tag" sh -c "cat /data$2/f* /data$2/small/* >/dev/null"
}
for i in $(seq "$runs"); do
	for k in $kinds; do
		warm_host
		timed "$work/in-$k" cli "$k" cp "$work/data" "bench-cp-$tag:/data$i"
		sync
	done
	for k in $kinds; do
		warm_container "$k" "$i"
		timed "$work/out-$k" cli "$k" cp "bench-cp-$tag:/data$i" "$work/out/$k-$i"
		cmp -s "$work/data/f1" "$work/out/$k-$i/f1" || say "$k: copied data differs"
		sync
	done
done

report_header "cp, median wall time (s)"
report_row "host -> container" in
report_row "container -> host" out
