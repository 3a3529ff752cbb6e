#!/bin/bash
# Engine benchmarks, side by side in one run, with ratios:
#   bench/engines.sh BUILD
# berthd, dockerd (Debian's docker.io, with its own containerd) and podman, each
# on the same locally made busybox image (tests/helpers/mkbundle.sh and
# mkimage.sh, loaded with `docker load` / `podman load`):
# 1. `run --rm --network none busybox true` end to end, hyperfine medians:
#    berth CLI -> berthd, docker CLI -> berthd, docker CLI -> dockerd, podman;
# 2. throughput of N containers (`run -d --network none busybox sleep 1000`)
#    started by C concurrent clients, containers/s (median of ROUNDS rounds);
# 3. with the N containers of the last round running: PSS (smaps_rollup) of
#    the engine-side processes per container: berthd + berth-monitors (not the
#    containers); dockerd + containerd + containerd-shims; podman's conmons;
# 4. `ps -a` with the N containers, hyperfine medians.
# Every engine is private: temporary data root, exec root and socket under
# WORK, its own cgroup parent, no network interface, nothing pulled. berthd and
# dockerd (with containerd) are started by tests/helpers/cli-engine.sh, in a
# mount namespace of their own; podman gets --root/--runroot/--tmpdir in WORK.
# An engine that cannot be installed or started is reported and skipped.
#
# Environment: BENCH_ENGINE_RUNS (hyperfine runs, default 30), BENCH_CONTAINERS
# (N, default 50), BENCH_CLIENTS (C, default 4), BENCH_ROUNDS (default 3),
# BENCH_ENGINES (default "berth docker podman"), DOCKER (docker CLI).
set -uo pipefail
build=$(realpath "${1:?usage: bench/engines.sh BUILD}")
here=$(dirname "$(realpath "$0")")
helpers=$here/../tests/helpers
runs=${BENCH_ENGINE_RUNS:-30}
nctr=${BENCH_CONTAINERS:-50}
clients=${BENCH_CLIENTS:-4}
rounds=${BENCH_ROUNDS:-3}
engines=${BENCH_ENGINES:-berth docker podman}
DOCKER=${DOCKER:-$(command -v docker)}
berth=$build/src/cli/berth
work=$(mktemp -d /var/tmp/berth-bench-engines.XXXXXX)
cd "$work" || exit 1 # conmon fails in a removed working directory (bench/run.sh's)
PODMAN_CG=/berth-bench-podman
# shellcheck source=../tests/helpers/cli-engine.sh
export BERTH_BUILD=$build
CLI_TEST_IMAGE=busybox:latest . "$helpers/cli-engine.sh"

say() { printf '%s\n' "$*" >&2; }

PODMAN_CLI="podman --root $work/podman/root --runroot $work/podman/runroot --tmpdir $work/podman/tmp --cgroup-manager cgroupfs --events-backend file --runtime runc"
PODMAN_RUN="--pull never --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --cgroup-parent $PODMAN_CG"

cleanup() {
	local m d
	if [ -d "$work/podman/root" ] && command -v podman >/dev/null; then
		timeout 120 $PODMAN_CLI rm -af -t 0 >/dev/null 2>&1
	fi
	engine_stop "$work/berth" >/dev/null 2>&1
	engine_stop "$work/docker" >/dev/null 2>&1
	for m in $(awk -v r="$work/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*"$PODMAN_CG" /sys/fs/cgroup"$PODMAN_CG"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$work"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The client command line of each client kind.
client_cmd() {
	case $1 in
	berth) echo "$berth -H unix://$work/berth/engine.sock" ;;
	docker-berthd) echo "$DOCKER -H unix://$work/berth/engine.sock" ;;
	docker) echo "$DOCKER -H unix://$work/docker/engine.sock" ;;
	podman) echo "$PODMAN_CLI" ;;
	esac
}
run_opts() { if [ "$1" = podman ]; then echo "$PODMAN_RUN"; else echo "--network none"; fi; }

# Start the engines; the image tarball is made once and loaded into each.
mkdir -p "$work/img" "$work/berth" "$work/docker" "$work/podman"
BERTH_RUNTIME=$build/berth-runtime TESTINIT='' "$helpers/mkbundle.sh" "$work/img/bundle" >/dev/null &&
	"$helpers/mkimage.sh" "$work/img/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null ||
	{ say "engines.sh: cannot make the busybox image"; exit 1; }
kinds=""
for e in $engines; do
	case $e in
	berth)
		ln "$work/busybox.tar" "$work/berth/busybox.tar"
		if [ ! -x "$build/src/daemon/berthd" ]; then
			say "berth: $build/src/daemon/berthd missing, skipped"
		elif CLI_ENGINE_CGROUP_PARENT=/berth-bench engine_start "$work/berth" berthd >/dev/null; then
			kinds="$kinds berth docker-berthd"
		else
			say "berth: berthd did not start, skipped"
		fi
		;;
	docker)
		ln "$work/busybox.tar" "$work/docker/busybox.tar"
		if ! command -v dockerd >/dev/null || ! command -v containerd >/dev/null; then
			say "docker: dockerd or containerd not installed (apt-get install docker.io), skipped"
		elif CLI_ENGINE_CGROUP_PARENT=/berth-bench-docker engine_start "$work/docker" dockerd >/dev/null; then
			kinds="$kinds docker"
		else
			say "docker: dockerd did not start, skipped"
		fi
		;;
	podman)
		if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
			say "podman: not installed (apt-get install podman), skipped"
		elif timeout 120 $PODMAN_CLI load -i "$work/busybox.tar" >"$work/podman.log" 2>&1 &&
			timeout 60 $PODMAN_CLI run --rm $PODMAN_RUN busybox true >>"$work/podman.log" 2>&1; then
			kinds="$kinds podman"
		else
			say "podman: cannot load or run the image, skipped: $(tail -3 "$work/podman.log")"
		fi
		;;
	esac
done
[ -n "$kinds" ] || { say "engines.sh: no engine started"; exit 1; }
[ -z "$DOCKER" ] && kinds=$(echo "$kinds" | sed 's/ docker-berthd//; s/ docker\b//')

printf '# %s\n' "$("$berth" --version 2>/dev/null | head -1)"
case $kinds in *' docker'*)
	printf '# docker CLI %s; dockerd %s, containerd %s, runc %s\n' \
		"$("$DOCKER" -H "unix://$work/docker/engine.sock" version -f '{{.Client.Version}}' 2>/dev/null)" \
		"$("$DOCKER" -H "unix://$work/docker/engine.sock" version -f '{{.Server.Version}}' 2>/dev/null)" \
		"$(containerd --version | awk '{print $3}')" "$(runc --version | awk 'NR==1{print $3}')"
	;;
esac
case $kinds in *podman*)
	printf '# podman %s, conmon %s, runtime runc\n' "$(podman --version | awk '{print $3}')" \
		"$(conmon --version | awk 'NR==1{print $3}')"
	;;
esac
printf '# %s, %s CPUs, load average %s, %s\n' "$(uname -r)" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')"

# 1. run --rm, end to end.
for k in $kinds; do
	cmd="$(client_cmd "$k") run --rm $(run_opts "$k") busybox true"
	hyperfine -N --style none --runs "$runs" --warmup 3 --export-json "$work/run-$k.json" \
		"$cmd" >/dev/null 2>"$work/run-$k.err" ||
		{ say "$k: run --rm failed: $(tail -3 "$work/run-$k.err")"; rm -f "$work/run-$k.json"; }
done

# start_many KIND: start $nctr containers from $clients concurrent clients;
# prints the wall time in seconds.
start_many() {
	local k=$1 c t0 t1 cmd pids=""
	cmd="$(client_cmd "$k") run -d $(run_opts "$k") busybox sleep 1000"
	t0=$(date +%s%N)
	for c in $(seq 0 $((clients - 1))); do
		(
			i=$c
			while [ "$i" -lt "$nctr" ]; do
				$cmd >/dev/null 2>>"$work/start-$k.err" || echo x >>"$work/start-$k.fail"
				i=$((i + clients))
			done
		) &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	t1=$(date +%s%N)
	echo "($t1 - $t0) / 1000000000" | bc -l
}

remove_all() {
	local cli ids
	cli=$(client_cmd "$1")
	ids=$($cli ps -aq 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || timeout 300 $cli rm -f $ids >/dev/null 2>&1
}

pss() { awk '/^Pss:/ {s += $2} END {print s + 0}'; }

# engine_pids KIND: the engine-side processes of an engine.
engine_pids() {
	local p ns exe
	case $1 in
	berth | docker-berthd)
		ns=$(cat "$work/berth/mntns")
		cat "$work/berth/engine.pid"
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
			exe=$(readlink "$p/exe" 2>/dev/null)
			[ "${exe##*/}" = berth-monitor ] && echo "${p#/proc/}"
		done
		;;
	docker)
		ns=$(cat "$work/docker/mntns")
		cat "$work/docker/engine.pid" "$work/docker/containerd.pid"
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
			exe=$(readlink "$p/exe" 2>/dev/null)
			case ${exe##*/} in containerd-shim*) echo "${p#/proc/}" ;; esac
		done
		;;
	podman)
		for p in /proc/[0-9]*; do
			[ "$(cat "$p/comm" 2>/dev/null)" = conmon ] &&
				tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$work/podman/" && echo "${p#/proc/}"
		done
		;;
	esac
}

# 2-4. For each engine: rounds of concurrent starts; memory and ps -a with the
# containers of the last round (for berthd: started by the berth CLI).
for k in $kinds; do
	rm -f "$work/start-$k.fail"
	idle=0
	[ "$k" = podman ] || idle=$(engine_pids "$k" | sed 's|.*|/proc/&/smaps_rollup|' | xargs cat 2>/dev/null | pss)
	echo "$idle" >"$work/idle-$k"
	for _ in $(seq "$rounds"); do
		remove_all "$k"
		start_many "$k" >>"$work/start-$k.txt"
	done
	if [ -s "$work/start-$k.fail" ]; then
		say "$k: $(wc -l <"$work/start-$k.fail") of $((nctr * rounds)) starts failed: $(tail -2 "$work/start-$k.err")"
		rm -f "$work/start-$k.txt"
	fi
	[ "$k" = docker-berthd ] && { remove_all "$k"; continue; }
	sleep 2
	pids=$(engine_pids "$k")
	echo "$pids" | wc -l >"$work/nproc-$k"
	echo "$pids" | sed 's|.*|/proc/&/smaps_rollup|' | xargs cat 2>/dev/null | pss >"$work/pss-$k"
	n=$($(client_cmd "$k") ps -aq | wc -l)
	echo "$n" >"$work/count-$k"
	for c in $k $([ "$k" = berth ] && echo docker-berthd); do
		hyperfine -N --style none --runs "$runs" --warmup 3 --export-json "$work/ps-$c.json" \
			"$(client_cmd "$c") ps -a" >/dev/null 2>"$work/ps-$c.err" ||
			{ say "$c: ps -a failed: $(tail -3 "$work/ps-$c.err")"; rm -f "$work/ps-$c.json"; }
	done
	remove_all "$k"
done

# Report.
label() {
	case $1 in
	berth) echo "berth CLI -> berthd" ;;
	docker-berthd) echo "docker CLI -> berthd" ;;
	docker) echo "docker CLI -> dockerd" ;;
	podman) echo "podman" ;;
	esac
}
median_ms() { [ -f "$1" ] && jq '.results[0].median * 1000' "$1"; }
throughput() {
	[ -f "$work/start-$1.txt" ] || return 0
	sort -g "$work/start-$1.txt" | awk -v n="$nctr" '{t[NR] = $1} END {print n / t[int((NR + 1) / 2)]}'
}
per_ctr() { [ -f "$work/pss-$1" ] && echo "$(cat "$work/pss-$1") / $(cat "$work/count-$1") / 1024" | bc -l; }
marginal() {
	[ -f "$work/pss-$1" ] &&
		echo "($(cat "$work/pss-$1") - $(cat "$work/idle-$1")) / $(cat "$work/count-$1") / 1024" | bc -l
}
# fmt VALUE [FORMAT]: the value, or "n/a".
fmt() { if [ -n "$1" ]; then printf "${2:-%.1f}" "$1"; else printf 'n/a'; fi; }
# ratio A B: A/B as "0.12x", or "n/a".
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%.3fx' "$(echo "$1 / $2" | bc -l)"; else printf 'n/a'; fi; }

declare -A run ps tp mem marg
# shellcheck disable=SC2034 # read through row()'s nameref
for k in berth docker-berthd docker podman; do
	run[$k]=$(median_ms "$work/run-$k.json")
	ps[$k]=$(median_ms "$work/ps-$k.json")
	tp[$k]=$(throughput "$k")
	mem[$k]=$(per_ctr "$k")
	marg[$k]=$(marginal "$k")
done
printf '\n| benchmark | berth CLI -> berthd | docker CLI -> berthd | docker CLI -> dockerd | podman | berth/docker | berth/podman |\n'
printf '|---|---|---|---|---|---|---|\n'
row() {
	local name=$1 f=$2
	local -n v=$3
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(fmt "${v[berth]}" "$f")" \
		"$(fmt "${v[docker-berthd]}" "$f")" "$(fmt "${v[docker]}" "$f")" "$(fmt "${v[podman]}" "$f")" \
		"$(ratio "${v[berth]}" "${v[docker]}")" "$(ratio "${v[berth]}" "${v[podman]}")"
}
row "run --rm --network none busybox true, median ms" %.1f run
row "$nctr x run -d by $clients clients, containers/s" %.1f tp
row "engine PSS per container ($nctr running), MB" %.3f mem
row "engine PSS per container above idle, MB" %.3f marg
row "ps -a with $nctr containers, median ms" %.1f ps
printf '\nPSS: berth = berthd + berth-monitors; docker = dockerd + containerd + containerd-shims;\n'
printf 'podman = conmons. Processes counted with %s containers:' "$nctr"
for k in berth docker podman; do
	[ -f "$work/nproc-$k" ] && printf ' %s %s (idle engine %s kB),' "$k" "$(cat "$work/nproc-$k")" "$(cat "$work/idle-$k")"
done
printf '\nhyperfine: %s runs each, 3 warm-up; throughput: median of %s rounds.\n' "$runs" "$rounds"
printf 'Load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
