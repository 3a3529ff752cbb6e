#!/bin/bash
# Run every test and print the summary line "N passed, N failed[, N skipped]".
#   run.sh [--unit-only|--e2e-only] BUILD [ASAN_BUILD]
# Unit tests run in BUILD and, when given, in the sanitizer build ASAN_BUILD.
# End-to-end tests (tests/e2e/*.bats) run as root against BUILD's binaries.
set -u
mode=all
case ${1:-} in --unit-only) mode=unit; shift ;; --e2e-only) mode=e2e; shift ;; esac
build=$(realpath "${1:?usage: run.sh BUILD [ASAN_BUILD]}")
asan=${2:+$(realpath "$2")}
here=$(dirname "$(realpath "$0")")
passed=0 failed=0 skipped=0
failures=()

# Count TAP lines of one stream: "ok", "not ok", "ok ... # skip".
tally() {
	local name=$1 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"not ok "*) failed=$((failed + 1)); failures+=("$name: ${line#not ok }") ;;
		"ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

run_unit() {
	local dir=$1 label=$2 t out rc
	for t in $(find "$dir" -name 'test-*' -type f -perm -u+x -not -path '*.p/*' | sort); do
		out=$("$t" 2>&1); rc=$?
		if [ $rc -eq 77 ]; then
			echo "ok - $label $(basename "$t") # skip (needs root)"
			skipped=$((skipped + 1))
			continue
		fi
		tally "$label $(basename "$t")" < <(printf '%s\n' "$out" | sed "s/^\(not ok\|ok\) \([0-9]*\) - /\1 \2 - $label $(basename "$t") /")
		if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
			failed=$((failed + 1)); failures+=("$label $(basename "$t"): exited $rc")
		fi
	done
}

if [ "$mode" != e2e ]; then
	echo "# style"
	tally style < <("$here/../scripts/check-style.sh")
	echo "# unit tests ($build)"
	run_unit "$build" unit
	if [ -n "$asan" ]; then
		echo "# unit tests under ASan+UBSan ($asan)"
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_unit "$asan" asan
	fi
fi

if [ "$mode" != e2e ] && [ -n "${FUZZ_BUILD:-}" ]; then
	echo "# fuzz smoke (${FUZZ_SECONDS:-20} s per target)"
	tally fuzz < <("$here/fuzz/run.sh" "$FUZZ_BUILD" "${FUZZ_SECONDS:-20}")
fi

if [ "$mode" != unit ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "ok - e2e # skip (end-to-end tests need root)"
		skipped=$((skipped + 1))
	else
		echo "# end-to-end tests"
		export BERTH_BUILD="$build"
		tally e2e < <(bats --tap "$here"/e2e/*.bats 2>&1)
		# The berth CLI against the docker CLI once more, both on berthd.
		echo "# the berth and docker CLIs on berthd"
		tally e2e-berthd < <(BERTH_CLI_ENGINE=berthd bats --tap "$here"/e2e/110-cli-vs-dockerd.bats 2>&1)
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
