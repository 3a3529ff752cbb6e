#!/bin/bash
# stats benchmark, berth against docker and podman side by side:
#   bench/stats.sh BUILD
# N containers (busybox sleep) running under each engine, then
# `stats --no-stream` (all running containers) timed R times, round robin
# between the engines; the median wall time of each and the ratios
# berth/docker and berth/podman. dockerd answers a stats request with stream=0 after its
# collector's next tick (two samples a second apart, for a CPU %); berthd
# keeps the previous sample of each container and waits at most a short
# window for a second one; podman reads the cgroups itself; all CPU
# percentages are real deltas.
#
# The engines are confined by bench/confined-engines.sh: dockerd and podman
# in network namespaces of their own, berthd with bridge bs<random>, --bip 10.213.240.1/24
# and nftables table berth_bench_st; nothing is left behind.
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
bench_name='st'
berth_bip=10.213.240.1/24
berth_pool=base=10.213.244.0/22,size=24
# shellcheck source=SCRIPTDIR/confined-engines.sh
. "$bdir/confined-engines.sh"

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
if podman_start; then kinds="$kinds podman"; fi
[ -n "$kinds" ] || { say "stats.sh: no engine started"; exit 1; }
for k in $kinds; do
	for i in $(seq "$ncts"); do
		# shellcheck disable=SC2046
		cli "$k" run -d $(run_opts "$k") --name "bench-st-$tag-$i" busybox sleep 100000 >/dev/null ||
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
case " $kinds " in *" podman "*)
	printf '# podman %s, conmon %s, runtime runc\n' "$(podman --version | awk '{print $3}')" \
		"$(conmon --version | awk 'NR==1{print $3}')" ;;
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

report_header "stats, median wall time (s)"
report_row "stats --no-stream, $ncts containers" stats
