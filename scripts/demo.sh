#!/bin/sh
# The demo: make a busybox bundle and run a container with berth-runtime.
# (The daemon and the berth CLI are not built yet; this shows the runtime.)
set -eu
build=$(realpath "${1:-build}")
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
export BERTH_RUNTIME="$build/berth-runtime" TESTINIT="$build/tests/testinit"
"$(dirname "$0")/../tests/helpers/mkbundle.sh" "$work/bundle" \
	sh -c 'echo "Hello from a berth container: $(hostname), pid $$, $(uname -sr)"; id'
echo "+ berth-runtime run --bundle $work/bundle demo"
"$BERTH_RUNTIME" --root "$work/state" run --bundle "$work/bundle" "demo-$$"
