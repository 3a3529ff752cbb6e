#!/usr/bin/env bats
# The json-file log through berthd: --log-opt max-size and max-file rotate it
# (the monitor writes it), docker's LogPath names it, and `logs` reads what
# is kept, through both CLIs.

load helpers
load daemon

@test "max-size and max-file rotate the json-file log" {
	local id lp
	id=$(b run -d --name rot --log-opt max-size=2k --log-opt max-file=3 busybox \
		sh -c 'i=0; while [ $i -lt 400 ]; do echo "line $i of the rotation test"; i=$((i+1)); done')
	[ "$(b wait rot)" = 0 ]
	lp=$(dk inspect -f '{{.LogPath}}' rot)
	[ "$lp" = "$DROOT/containers/$id/$id-json.log" ]
	[ -f "$lp" ] && [ -f "$lp.1" ] && [ -f "$lp.2" ]
	[ ! -e "$lp.3" ]
	local f size
	for f in "$lp" "$lp.1" "$lp.2"; do
		# as docker's: a file rotates once it reached max-size, so it can
		# pass it by the one entry that made it reach it
		size=$(stat -c %s "$f")
		[ "$size" -le $((2048 + 100)) ]
		head -1 "$f" | jq -e '.log and .stream == "stdout" and .time' >/dev/null
	done
	# the newest lines are kept, the oldest are gone, in both CLIs
	for cli in b dk; do
		run "$cli" logs rot
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "line 399 of the rotation test" ]
		[[ "$output" != *"line 0 of"* ]]
	done
	run b logs --tail 2 rot
	[ "$output" = "line 398 of the rotation test
line 399 of the rotation test" ]
	b rm rot >/dev/null
	[ ! -e "$lp" ]
}

@test "bad log options are refused at create, and nothing is created" {
	# (dockerd takes a bad max-size at create and fails the start; berthd says so at
	# once). create exits 1 on a daemon error, as docker create does.
	run b create --log-opt max-size=lots busybox true
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid max-size 'lots'"* ]]
	run dk create --log-opt max-file=0 --log-opt max-size=1m busybox true
	[ "$status" -eq 1 ]
	[[ "$output" == *"max-file cannot be less than 1"* ]]
	run dk create --log-opt nope=1 busybox true
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown log opt 'nope' for json-file log driver"* ]]
	run b create --log-driver syslog busybox true
	[ "$status" -eq 1 ]
	[[ "$output" == *"the 'syslog' logging driver is not supported yet"* ]]
	[ -z "$(b ps -aq)" ]
	# what docker's json-file accepts is accepted
	id=$(b create --log-opt max-size=1M --log-opt max-file=2 --log-opt tag=x --log-opt compress=false busybox true)
	b rm "$id" >/dev/null
}
