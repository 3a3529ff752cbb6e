#!/bin/bash
# Benchmarks, side by side in one run, with ratios:
#   bench/run.sh BUILD
# The runtime against crun and runc (below), then the engines, berthd against
# dockerd and podman (bench/engines.sh).
# - 100 sequential `run` of a busybox `true` container, and 100
#   create+start+delete (a /bin/sh script running the three commands, the
#   same script for each runtime), for berth-runtime, crun and runc;
# - peak RSS of one `run` of each.
# All three use the same bundle (berth-runtime's example spec: new pid, net,
# ipc, uts, mount and cgroup namespaces, a devices cgroup, the usual mounts)
# and keep their state on tmpfs under /run, as they do by default.
#
# crun 1.8 refuses hybrid cgroup hosts ("cgroups in hybrid mode not
# supported"), so the comparison runs inside one private mount namespace in
# which /sys/fs/cgroup/unified is unmounted: a pure cgroup v1 layout, the same
# for all three. berth-runtime is measured on the host's hybrid layout too.
set -euo pipefail
build=$(realpath "${1:?usage: bench/run.sh BUILD}")
here=$(dirname "$(realpath "$0")")
runs=${BENCH_RUNS:-100}
work=$(mktemp -d /run/berth-bench.XXXXXX)
cleanup() {
	for d in "$work"/state-*; do
		[ -d "$d" ] || continue
	done
	rm -rf "$work"
	for d in /sys/fs/cgroup/*/berth-bench /sys/fs/cgroup/berth-bench; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}
trap cleanup EXIT
export BERTH_RUNTIME=$build/berth-runtime TESTINIT=$build/tests/testinit
"$here/../tests/helpers/mkbundle.sh" "$work/bundle" true >/dev/null
jq '.linux.cgroupsPath = "/berth-bench/ctr"' "$work/bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

berth=$build/berth-runtime crun=$(command -v crun) runc=$(command -v runc)
echo "# $("$berth" --version | head -1); $(crun --version | head -1); $(runc --version | head -1)"
echo "# $(uname -r), $(nproc) CPUs, $runs runs each, $(date -u +%Y-%m-%d)"

# measure SUFFIX RUNTIMES...: hyperfine JSON and time(1) RSS for each runtime.
measure() {
	local suffix=$1 name bin root
	shift
	for name in "$@"; do
		bin=${!name}
		root=$work/state-$name
		cd "$work/bundle"
		hyperfine -N --style none --runs "$runs" --warmup 5 \
			--export-json "$work/run-$name$suffix.json" \
			"$bin --root $root run bench-$name" >/dev/null
		printf '#!/bin/sh\nset -e\n%s --root %s create bench-%s\n%s --root %s start bench-%s\n%s --root %s delete --force bench-%s\n' \
			"$bin" "$root" "$name" "$bin" "$root" "$name" "$bin" "$root" "$name" > "$work/csd-$name.sh"
		chmod +x "$work/csd-$name.sh"
		hyperfine -N --style none --runs "$runs" --warmup 5 \
			--export-json "$work/csd-$name$suffix.json" "$work/csd-$name.sh" >/dev/null
		/usr/bin/time -f %M -o "$work/rss-$name$suffix.txt" "$bin" --root "$root" run "bench-$name"
	done
}
export -f measure
export work runs berth crun runc
unshare -m --propagation private bash -c 'umount /sys/fs/cgroup/unified; measure "" berth crun runc'
measure -hybrid berth

median() { jq '.results[0].median * 1000' "$1"; }
ratio() { echo "$1 / $2" | bc -l; }
printf '\n| benchmark (cgroup v1 layout) | berth-runtime | crun | runc | berth/crun | berth/runc |\n'
printf '|---|---|---|---|---|---|\n'
for kind in run csd; do
	b=$(median "$work/$kind-berth.json"); c=$(median "$work/$kind-crun.json"); r=$(median "$work/$kind-runc.json")
	label="run busybox true, median ms"
	[ $kind = csd ] && label="create+start+delete, median ms"
	printf '| %s | %.2f | %.2f | %.2f | %.2fx | %.2fx |\n' "$label" "$b" "$c" "$r" "$(ratio "$b" "$c")" "$(ratio "$b" "$r")"
done
rb=$(cat "$work/rss-berth.txt") rc=$(cat "$work/rss-crun.txt") rr=$(cat "$work/rss-runc.txt")
printf '| peak RSS of one run, KiB | %s | %s | %s | %.2fx | %.2fx |\n' "$rb" "$rc" "$rr" "$(ratio "$rb" "$rc")" "$(ratio "$rb" "$rr")"
printf '\nberth-runtime on the host hybrid layout: run %.2f ms, create+start+delete %.2f ms (medians), peak RSS %s KiB\n' \
	"$(median "$work/run-berth-hybrid.json")" "$(median "$work/csd-berth-hybrid.json")" "$(cat "$work/rss-berth-hybrid.txt")"

echo
cleanup
"$here/engines.sh" "$build"
