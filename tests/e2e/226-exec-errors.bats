#!/usr/bin/env bats
# exec's failures give docker's exit codes through both CLIs: 126 when the
# command cannot be run where it was asked to, 127 when it does not exist.

load helpers
load daemon
bats_require_minimum_version 1.5.0

setup_file() {
	start_berthd
	load_busybox
	b run -d --name xe busybox sleep 1000 >/dev/null
}

teardown_file() {
	cleanup_berthd
}

@test "exec -w into a missing directory is 126 and makes no directory" {
	for cli in b dk; do
		run "$cli" exec -w /no/such/dir xe true
		[ "$status" -eq 126 ]
		[[ "$output" == *"/no/such/dir"* ]]
	done
	run b exec xe test -e /no/such/dir
	[ "$status" -eq 1 ]
	# run -w still makes its directory, as docker does
	[ "$(b run --rm -w /made/here busybox pwd)" = /made/here ]
}

@test "exec of a missing command is 127" {
	for cli in b dk; do
		run -127 "$cli" exec xe no-such-command
		[ "$status" -eq 127 ]
		[[ "$output" == *'"no-such-command": executable file not found'* ]]
	done
}
