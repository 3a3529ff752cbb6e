#!/bin/sh
# Style checks run by `make check`: clang-format clean, and the size caps of
# STYLE.md (.c files at most 1000 lines, headers at most 150). Prints TAP.
cd "$(dirname "$0")/.." || exit 1
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null)
n=0
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
if command -v clang-format >/dev/null; then
	bad=$(for f in $files; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
	[ -z "$bad" ] && pass "clang-format" || fail "clang-format: $(echo $bad)"
else
	n=$((n + 1)); echo "ok $n - clang-format # skip (not installed)"
fi
big=$(for f in $files; do
	lines=$(wc -l < "$f")
	case $f in
	*.h) [ "$lines" -le 150 ] || echo "$f:$lines" ;;
	*) [ "$lines" -le 1000 ] || echo "$f:$lines" ;;
	esac
done)
[ -z "$big" ] && pass "file size caps" || fail "file size caps: $(echo $big)"
