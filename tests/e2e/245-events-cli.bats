#!/usr/bin/env bats
# berth events prints what docker events prints, line for line, for the same
# daemon and the same window of time; --format, filters and bad times too.

load helpers
load daemon

@test "events: the same lines, JSON and templates as the docker CLI" {
	local t0 t1
	t0=$(date +%s)
	b run --rm --name evc1 -l ev=yes busybox true
	b create --name evc2 busybox true >/dev/null
	b rm evc2 >/dev/null
	sleep 1
	t1=$(date +%s)
	run b events --since "$t0" --until "$t1"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	[[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ container\ create\ [0-9a-f]{64}\ \(ev=yes,\ image=busybox,\ name=evc1\)$ ]]
	[[ "${lines[2]}" == *" container die "*"(ev=yes, exitCode=0, image=busybox, name=evc1)" ]]
	[ "$(dk events --since "$t0" --until "$t1")" = "$output" ]
	for f in '{{json .}}' json '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'; do
		[ "$(b events --since "$t0" --until "$t1" --format "$f")" = \
			"$(dk events --since "$t0" --until "$t1" --format "$f")" ]
	done
	run b events --since "$t0" --until "$t1" -f event=destroy -f container=evc2 --format '{{.Actor.Attributes.name}}'
	[ "$output" = evc2 ]
	run b events --since "$t0" --until "$t1" --format '{{.Nope}}'
	[ "$status" -ne 0 ]
}

@test "events: a bad time or filter is refused like docker" {
	run b events --since bogus
	[ "$status" -eq 1 ]
	[ "$output" = 'failed to parse value as time or duration: "bogus"' ]
	[ "$(dk events --since bogus 2>&1)" = "$output" ]
	run b events -f nope=1 --until 0s
	[ "$status" -eq 1 ]
	[[ "$output" == "Error response from daemon: "*"nope"* ]]
}

@test "events streams live until interrupted" {
	local out=$BATS_TEST_TMPDIR/live
	b events -f container=evc3 --format '{{.Action}}' >"$out" &
	local pid=$!
	sleep 0.3
	b run --rm --name evc3 busybox true
	wait_for grep -q destroy "$out"
	kill "$pid"
	wait "$pid" || true
	[ "$(cat "$out" | xargs)" = "create start die destroy" ]
}
