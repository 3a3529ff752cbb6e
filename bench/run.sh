#!/bin/bash
# Benchmarks, side by side in one run, with ratios.
#   bench/run.sh BUILD
# Runtime: 100 sequential `run` of busybox `true`, and 100 create+start+delete,
# for berth-runtime, crun and runc from Debian; peak RSS of one `run` each.
#
# crun 1.8 refuses hybrid cgroup hosts, so every runtime runs inside one
# private mount namespace in which /sys/fs/cgroup/unified is unmounted (a pure
# cgroup v1 layout, the same for all three). berth-runtime is also measured on
# the host's own hybrid layout.
set -euo pipefail
build=$(realpath "${1:?usage: bench/run.sh BUILD}")
here=$(dirname "$(realpath "$0")")
runs=${BENCH_RUNS:-100}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export BERTH_RUNTIME=$build/berth-runtime TESTINIT=$build/tests/testinit

"$here/../tests/helpers/mkbundle.sh" "$work/bundle" true >/dev/null
jq '.linux.cgroupsPath = "/berth-bench/ctr"' "$work/bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

declare -A bin=( [berth]=$build/berth-runtime [crun]=$(command -v crun) [runc]=$(command -v runc) )
echo "# berth-runtime $("${bin[berth]}" --version | head -1 | awk '{print $3}'), $(crun --version | head -1), $(runc --version | head -1)"
echo "# kernel $(uname -r), $(nproc) CPUs, $runs runs each"

inner=$work/inner.sh
cat > "$inner" <<INNER
#!/bin/bash
set -euo pipefail
cd "$work/bundle"
$( [ "${2:-}" = host ] || echo 'umount /sys/fs/cgroup/unified 2>/dev/null || true' )
for rt in ${RUNTIMES:-berth crun runc}; do
	b=\${rt}_bin
	case \$rt in berth) b=${bin[berth]};; crun) b=${bin[crun]};; runc) b=${bin[runc]};; esac
	root=$work/state-\$rt
	hyperfine -N --style none --runs $runs --warmup 5 --export-json $work/run-\$rt\${SUFFIX:-}.json \
		"\$b --root \$root run --bundle $work/bundle bench-\$rt" >/dev/null
	hyperfine --style none --runs $runs --warmup 5 --export-json $work/csd-\$rt\${SUFFIX:-}.json \
		"\$b --root \$root create --bundle $work/bundle bench-\$rt && \$b --root \$root start bench-\$rt && \$b --root \$root delete --force bench-\$rt" >/dev/null
	/usr/bin/time -f %M -o $work/rss-\$rt\${SUFFIX:-}.txt \$b --root \$root run --bundle $work/bundle bench-\$rt
done
INNER
chmod +x "$inner"
unshare -m --propagation private "$inner"
RUNTIMES=berth SUFFIX=-hybrid bash -c "sed 's#umount /sys/fs/cgroup/unified.*##' '$inner' > '$work/inner-host.sh'; bash '$work/inner-host.sh'"

median() { jq '.results[0].median * 1000' "$1"; }
printf '\n| benchmark | berth-runtime | crun | runc | berth/crun | berth/runc |\n|---|---|---|---|---|---|\n'
for kind in run csd; do
	b=$(median "$work/$kind-berth.json"); c=$(median "$work/$kind-crun.json"); r=$(median "$work/$kind-runc.json")
	name=$([ $kind = run ] && echo "run true (median ms)" || echo "create+start+delete (median ms)")
	printf '| %s | %.2f | %.2f | %.2f | %.2fx | %.2fx |\n' "$name" "$b" "$c" "$r" \
		"$(echo "$b / $c" | bc -l)" "$(echo "$b / $r" | bc -l)"
done
rb=$(cat "$work/rss-berth.txt"); rc=$(cat "$work/rss-crun.txt"); rr=$(cat "$work/rss-runc.txt")
printf '| peak RSS of run (KiB) | %s | %s | %s | %.2fx | %.2fx |\n' "$rb" "$rc" "$rr" \
	"$(echo "$rb / $rc" | bc -l)" "$(echo "$rb / $rr" | bc -l)"
printf '\nberth-runtime on the hybrid host layout: run %.2f ms, create+start+delete %.2f ms (median)\n' \
	"$(median "$work/run-berth-hybrid.json")" "$(median "$work/csd-berth-hybrid.json")"
rmdir /sys/fs/cgroup/*/berth-bench 2>/dev/null || true
