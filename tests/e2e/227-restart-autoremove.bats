#!/usr/bin/env bats
# restart of a --rm container restarts it (as dockerd: auto-removal waits for
# an exit that is not part of a restart), and stop then removes it.

load helpers
load daemon

@test "restart keeps a --rm container, stop removes it, the daemon lives" {
	for cli in b dk; do
		"$cli" run -d --rm --name "rr-$cli" busybox sleep 1000 >/dev/null
		pid1=$(b inspect -f '{{.State.Pid}}' "rr-$cli")
		run "$cli" restart -t 0 "rr-$cli"
		[ "$status" -eq 0 ]
		[ "$output" = "rr-$cli" ]
		[ "$(b inspect -f '{{.State.Status}}' "rr-$cli")" = running ]
		[ "$(b inspect -f '{{.State.Pid}}' "rr-$cli")" != "$pid1" ]
		run "$cli" stop -t 0 "rr-$cli"
		[ "$status" -eq 0 ]
		wait_for sh -c '! "$0" -H "unix://$1" inspect "$2" >/dev/null 2>&1' "$BERTH" "$SOCK" "rr-$cli"
		kill -0 "$(cat "$BATS_FILE_TMPDIR/berthd.pid")"
	done
}
