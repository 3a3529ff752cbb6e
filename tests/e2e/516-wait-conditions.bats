#!/usr/bin/env bats
# wait with its conditions through the Engine API (POST
# /containers/{id}/wait?condition=not-running|next-exit|removed) and the two
# CLIs: what returns at once, what waits for the next exit or the removal,
# the exit code and dockerd's errors.

load helpers
load daemon

bats_require_minimum_version 1.5.0

# wait_bg NAME CONDITION: POST .../wait in the background, its answer in
# $BATS_TEST_TMPDIR/NAME.json; the curl's PID in $BATS_TEST_TMPDIR/NAME.pid.
wait_bg() {
	curl -s -X POST --unix-socket "$SOCK" "http://d/v1.45/containers/$1/wait?condition=$2" \
		>"$BATS_TEST_TMPDIR/$1-$2.json" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/$1-$2.pid"
}

answered() { [ -s "$BATS_TEST_TMPDIR/$1-$2.json" ]; }

teardown() {
	local p
	for p in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in $(b ps -aq 2>/dev/null); do b rm -f "$p" >/dev/null 2>&1; done
	return 0
}

@test "wait: not-running answers at once for a stopped container, with its code" {
	b run --name w1 busybox sh -c 'exit 3' || true
	run -0 curl -s -X POST --unix-socket "$SOCK" "http://d/v1.45/containers/w1/wait"
	[ "$output" = '{"StatusCode":3,"Error":null}' ]
	run -0 curl -s -X POST --unix-socket "$SOCK" "http://d/v1.45/containers/w1/wait?condition=not-running"
	[ "$output" = '{"StatusCode":3,"Error":null}' ]
	for cli in b dk; do
		run $cli wait w1
		[ "$status" -eq 0 ]
		[ "$output" = 3 ]
	done
}

@test "wait: next-exit waits for the next run's end; not-running for the running one" {
	b create --name w2 busybox sh -c 'sleep 0.5; exit 7' >/dev/null
	wait_bg w2 next-exit
	sleep 0.3
	# created, not started: next-exit is still waiting
	! answered w2 next-exit
	b start w2 >/dev/null
	wait_bg w2 not-running
	wait_for answered w2 next-exit
	wait_for answered w2 not-running
	[ "$(cat "$BATS_TEST_TMPDIR/w2-next-exit.json")" = '{"StatusCode":7,"Error":null}' ]
	[ "$(cat "$BATS_TEST_TMPDIR/w2-not-running.json")" = '{"StatusCode":7,"Error":null}' ]
	# both CLIs wait for a running container and print its code
	b start w2 >/dev/null
	run -0 dk wait w2
	[ "$output" = 7 ]
	b start w2 >/dev/null
	run -0 b wait w2
	[ "$output" = 7 ]
}

@test "wait: removed answers when the container is removed, not when it stops" {
	b run -d --name w3 busybox sleep 1000 >/dev/null
	wait_bg w3 removed
	b stop -t 0 w3 >/dev/null
	sleep 0.3
	! answered w3 removed
	b rm w3 >/dev/null
	wait_for answered w3 removed
	[ "$(cat "$BATS_TEST_TMPDIR/w3-removed.json")" = '{"StatusCode":137,"Error":null}' ]
	# --rm: removed after the exit
	b run -d --rm --name w4 busybox sh -c 'sleep 0.5; exit 4' >/dev/null
	wait_bg w4 removed
	wait_for answered w4 removed
	[ "$(cat "$BATS_TEST_TMPDIR/w4-removed.json")" = '{"StatusCode":4,"Error":null}' ]
	run b inspect w4
	[ "$status" -eq 1 ]
}

@test "wait: a bad condition and a missing container get dockerd's errors" {
	b create --name w5 busybox true >/dev/null
	run -0 curl -s -o "$BATS_TEST_TMPDIR/bad.json" -w '%{http_code}' -X POST --unix-socket "$SOCK" \
		"http://d/v1.45/containers/w5/wait?condition=sometime"
	[ "$output" = 400 ]
	[ "$(cat "$BATS_TEST_TMPDIR/bad.json")" = '{"message":"invalid condition: \"sometime\""}' ]
	for cli in b dk; do
		run $cli wait nosuch
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: No such container: nosuch" ]
	done
	# several: the codes, then (as docker does) the errors; status 1
	b run --name w6 busybox sh -c 'exit 2' || true
	b run --name w7 busybox true
	for cli in b dk; do
		run $cli wait w6 nosuch w7
		[ "$status" -eq 1 ]
		[ "$output" = "$(printf '2\n0\nError response from daemon: No such container: nosuch')" ]
	done
}
