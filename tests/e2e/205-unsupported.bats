#!/usr/bin/env bats
# What berth has not built yet is refused with a message that names it, through
# the berth CLI and through the docker CLI (the daemon answers 501 for the
# Docker API paths it knows and has not built, 404 for paths that are no API).

load helpers
load daemon

setup_file() {
	start_berthd
}

teardown_file() {
	cleanup_berthd
}

@test "the berth CLI names the verbs it does not support yet" {
	for verb in build plugin; do
		run b "$verb" x
		[ "$status" -ne 0 ]
		[[ "$output" == *"berth: '$verb' is not supported yet"* ]] || { echo "$verb: $output"; false; }
	done
}

@test "the docker CLI gets 'not supported yet' from berthd for unbuilt features" {
	local -A want=(
		["plugin ls"]=plugin
		["search x"]=search ["swarm init"]=swarm
	)
	local cmd
	for cmd in "${!want[@]}"; do
		# shellcheck disable=SC2086 # the command line is split on purpose
		run dk $cmd
		[ "$status" -ne 0 ]
		[[ "$output" == *"berth: '${want[$cmd]}' is not supported yet"* ]] ||
			{ echo "$cmd: $output"; false; }
	done
}

@test "the API answers 501 for unbuilt endpoints and 404 for unknown paths" {
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://berth/v1.45/plugins
	[ "$output" = 501 ]
	run curl -s --unix-socket "$SOCK" http://berth/v1.45/plugins
	[ "$output" = '{"message":"berth: '\''plugin'\'' is not supported yet"}' ]
	run curl -s -w ' %{http_code}' --unix-socket "$SOCK" http://berth/v1.45/nothing/here
	[ "$output" = '{"message":"page not found"}
 404' ]
	b version >/dev/null
}
