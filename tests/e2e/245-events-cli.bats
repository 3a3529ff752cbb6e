#!/usr/bin/env bats
# berth events prints what docker events prints, line for line, for the same
# daemon and the same window of time; --format, filters and bad times too.

load helpers
load daemon

@test "events: the same lines, JSON and templates as the docker CLI" {
	local t0 t1
	# nanoseconds: setup_file's image load must not fall in the window
	t0=$(date +%s.%N)
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

# A --until one second ahead: docker's durations ("0s") are whole seconds,
# which would leave out the events of the current second.
soon() {
	echo $(($(date +%s) + 1))
}

@test "events: the history outlives a daemon restart, also after SIGKILL" {
	local t0
	t0=$(date +%s)
	b run --rm --name evr1 busybox true
	stop_berthd TERM
	start_berthd
	run b events --since "$t0" --until "$(soon)" -f container=evr1 --format '{{.Action}}'
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | xargs)" = "create start die destroy" ]
	b create --name evr2 busybox true >/dev/null
	stop_berthd KILL
	start_berthd
	run dk events --since "$t0" --until "$(soon)" -f container=evr2 --format '{{.Action}}'
	[ "$status" -eq 0 ]
	[ "$output" = "create" ]
	# the same JSON as before the restart: what the ring held is what was written
	run b events --since "$t0" --until "$(soon)" -f container=evr1 --format '{{json .}}'
	[ "$(echo "$output" | head -1 | jq -r .Actor.Attributes.name)" = evr1 ]
	b rm evr2 >/dev/null
}

@test "events: a torn last line in the history file is skipped, the rest is read" {
	local t0
	t0=$(date +%s)
	b create --name evt1 busybox true >/dev/null
	stop_berthd KILL
	printf '{"Type":"container","Action":"cre' >> "$DROOT/events.log"
	start_berthd
	run b events --since "$t0" --until "$(soon)" -f container=evt1 --format '{{.Action}}'
	[ "$status" -eq 0 ]
	[ "$output" = "create" ]
	b rm evt1 >/dev/null
	# the event after the torn line was written whole
	stop_berthd KILL
	start_berthd
	run b events --since "$t0" --until "$(soon)" -f container=evt1 --format '{{.Action}}'
	[ "$(echo "$output" | xargs)" = "create destroy" ]
}

@test "events: network, type and scope filters as docker's" {
	local t0
	t0=$(date +%s)
	b network create evnet >/dev/null
	b network rm evnet >/dev/null
	run b events --since "$t0" --until "$(soon)" -f network=evnet --format '{{.Type}} {{.Action}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'network create\nnetwork destroy')" ]
	[ "$(dk events --since "$t0" --until "$(soon)" -f network=evnet --format '{{.Type}} {{.Action}}')" = "$output" ]
	run b events --since "$t0" --until "$(soon)" -f scope=swarm
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run b events --since "$t0" --until "$(soon)" -f type=network -f scope=local --format '{{.Action}}'
	[ "$(echo "$output" | xargs)" = "create destroy" ]
}

@test "events: image tag, untag, save, load, import and delete as dockerd logs them" {
	local t0 id
	t0=$(date +%s.%N)
	id=$(b image inspect -f '{{.Id}}' busybox)
	b tag busybox evimg:one
	b save -o "$BATS_TEST_TMPDIR/one.tar" evimg:one
	b rmi evimg:one >/dev/null
	b load -i "$BATS_TEST_TMPDIR/one.tar" >/dev/null
	b rmi evimg:one >/dev/null
	mkdir -p "$BATS_TEST_TMPDIR/root" && echo hi > "$BATS_TEST_TMPDIR/root/f"
	tar -C "$BATS_TEST_TMPDIR/root" -cf "$BATS_TEST_TMPDIR/root.tar" .
	local imp
	imp=$(b import "$BATS_TEST_TMPDIR/root.tar")
	b rmi "$imp" >/dev/null
	run b events --since "$t0" --until "$(soon)" -f type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	local want
	want=$(printf '%s\n' "tag evimg:one" "save $id" "untag $id" "load $id" "untag $id" \
		"import $imp" "delete $imp")
	[ "$output" = "$want" ]
	# the image's id is the actor, in the legacy fields too
	run b events --since "$t0" --until "$(soon)" -f event=tag --format '{{.ID}} {{.Status}} {{.Actor.ID}}'
	[ "$output" = "$id tag $id" ]
	[ "$(dk events --since "$t0" --until "$(soon)" -f event=tag --format '{{.ID}} {{.Status}} {{.Actor.ID}}')" = "$output" ]
}

@test "container prune: filters, real reclaimed space, the prune event" {
	local t0 keep gone
	t0=$(date +%s.%N)
	keep=$(b create -l keep=1 busybox true)
	gone=$(b run -d -l tmp=1 busybox sh -c 'dd if=/dev/zero of=/big bs=1024 count=300 2>/dev/null')
	b wait "$gone" >/dev/null
	run b container prune -f --filter label!=keep
	[ "$status" -eq 0 ]
	[[ "$output" == *"$gone"* ]]
	[[ "$output" != *"$keep"* ]]
	[[ "$output" == *"Total reclaimed space: 307"* ]]
	# no id in the legacy fields (Go's omitempty): {{.ID}} is empty
	run b events --since "$t0" --until "$(soon)" -f type=container -f event=prune --format '{{.Actor.Attributes.reclaimed}} {{.ID}}.'
	[ "$status" -eq 0 ]
	[[ "$output" == *" ." ]]
	[ "${output%% *}" -ge 307200 ]
	run dk container prune -f --filter until=0s --filter label=nomatch
	[ "$status" -eq 0 ]
	b inspect "$keep" >/dev/null
	run dk container prune -f --filter bogus=1
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid filter 'bogus'"* ]]
	b rm "$keep" >/dev/null
}
