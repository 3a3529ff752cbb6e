#!/bin/sh
# Run every fuzz target of a fuzz build for SECONDS each, from its corpus.
# Prints TAP: a target that crashes, leaks or times out fails.
#   run.sh FUZZ_BUILD SECONDS
build=$1 secs=${2:-20}
here=$(dirname "$(realpath "$0")")
n=0
for target in $(find "$build" -name 'fuzz-*' -type f -perm -u+x -not -path '*.p/*' | sort); do
	name=$(basename "$target")
	corpus=$(mktemp -d /tmp/berth-fuzz.XXXXXX)
	cp "$here/corpus-${name#fuzz-}"/* "$corpus"/ 2>/dev/null
	n=$((n + 1))
	if "$target" -max_total_time="$secs" -max_len=16384 -timeout=10 "$corpus" >"$corpus.log" 2>&1; then
		echo "ok $n - $name ($(grep -o 'Done [0-9]* runs' "$corpus.log"))"
	else
		echo "not ok $n - $name"
		tail -30 "$corpus.log" | sed 's/^/# /'
	fi
	rm -rf "$corpus" "$corpus.log"
done
