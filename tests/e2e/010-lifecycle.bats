#!/usr/bin/env bats
# The runc lifecycle: create, start, state, kill, delete, run, list, pid files,
# and that a failed create leaves nothing behind.

load helpers

@test "run in the foreground returns the container's exit code" {
	setup_bundle sh -c 'echo hello from busybox; exit 3'
	run_ct
	[ "$status" -eq 3 ]
	[[ "$output" == *"hello from busybox"* ]]
	# run deletes the container afterwards
	run rt state "$ID"
	[ "$status" -eq 1 ]
	[ -z "$(cgroup_dirs)" ]
}

@test "create, state, start, kill, delete" {
	setup_bundle testinit pause
	run_detached rt create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	[ "$status" -eq 0 ]
	run rt state "$ID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.status == "created"'
	pid=$(echo "$output" | jq .pid)
	[ "$pid" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
	[ -d /proc/$pid ]
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b'
	run rt start "$ID"
	[ "$status" -eq 0 ]
	run rt state "$ID"
	echo "$output" | jq -e '.status == "running"'
	grep -q testinit /proc/$pid/cmdline
	run rt start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start an already running container"* ]]
	run rt delete "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot delete container $ID that is not stopped: running"* ]]
	run rt kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status stopped
	run rt delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -d "$STATE/$ID" ]
	[ -z "$(cgroup_dirs)" ]
}

@test "kill delivers the named signal" {
	setup_bundle sh -c 'trap "echo got USR1 > /tmp/sig; exit 0" USR1; while true; do sleep 0.1; done'
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	rt start "$ID"
	pid=$(rt state "$ID" | jq .pid)
	sleep 0.3
	rt kill "$ID" SIGUSR1
	wait_status stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = "got USR1" ]
	run rt kill "$ID" 9
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run rt kill "$ID" NOSUCHSIG
	[ "$status" -eq 1 ]
}

@test "delete of a created container kills its init" {
	setup_bundle true
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	pid=$(rt state "$ID" | jq .pid)
	[ -d /proc/$pid ]
	rt delete "$ID"
	! [ -d "$STATE/$ID" ]
	wait_for sh -c "! grep -q '^State:.*[RS]' /proc/$pid/status 2>/dev/null"
	[ -z "$(cgroup_dirs)" ]
}

@test "delete --force stops a running container and removes its cgroup" {
	setup_bundle sleep 100
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	[ -n "$(cgroup_dirs)" ]
	run rt delete --force "$ID"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs)" ]
	[ ! -d "$STATE/$ID" ]
}

@test "run -d detaches and list shows the container" {
	setup_bundle sleep 100
	run_detached rt run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	run rt list
	[[ "$output" == *"$ID"*"running"* ]]
	run rt list --format json
	echo "$output" | jq -e --arg id "$ID" '.[] | select(.id == $id) | .status == "running"'
	run rt list -q
	[ "$output" = "$ID" ]
	rt delete -f "$ID"
}

@test "ps lists the container's processes" {
	setup_bundle sh -c 'sleep 100 & sleep 100 & wait'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	wait_for nprocs_at_least 3
	run rt ps "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "$(echo "$output" | grep -c ' sleep 100$')" -eq 2 ]
	rt delete -f "$ID"
}

@test "a container id can only be used once" {
	setup_bundle sleep 100
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id exists: $ID"* ]]
	rt delete -f "$ID"
}

@test "a missing executable fails create and leaves nothing behind" {
	setup_bundle /no/such/program
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "/no/such/program"'* ]]
	[ ! -d "$STATE/$ID" ]
	[ -z "$(cgroup_dirs)" ]
	setup_bundle nosuchcommand
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "nosuchcommand": executable file not found in $PATH'* ]]
	[ ! -d "$STATE/$ID" ]
}

@test "a malformed config.json names the field and leaves nothing" {
	setup_bundle true
	cfg '.process.user.uid = "root"'
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.user.uid: expected an unsigned integer"* ]]
	[ ! -d "$STATE/$ID" ]
	setup_bundle true
	cfg '.mounts[0].destination = "relative"'
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mounts[0].destination: 'relative' is not an absolute path"* ]]
	setup_bundle true
	echo '{"ociVersion": "1.0.0", ' > "$BUNDLE/config.json"
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json"* ]]
	[ ! -d "$STATE/$ID" ]
}

@test "a failing mount leaves no process, cgroup, mount or state behind" {
	setup_bundle true
	cfg '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/nonexistent-source", "options": ["bind"]}]'
	before=$(grep -c . /proc/self/mountinfo)
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent-source"* ]]
	[ ! -d "$STATE/$ID" ]
	[ -z "$(cgroup_dirs)" ]
	[ "$(grep -c . /proc/self/mountinfo)" -eq "$before" ]
	! pgrep -f "$BUNDLE" >/dev/null
}

@test "start reports a container that cannot start" {
	setup_bundle true
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	rt kill "$ID" KILL
	wait_status stopped
	run rt start "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
	rt delete "$ID"
}

@test "kill without a signal sends SIGTERM" {
	setup_bundle sh -c 'trap "echo got TERM > /tmp/sig; exit 0" TERM; while true; do sleep 0.1; done'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	sleep 0.3
	rt kill "$ID"
	wait_status stopped
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = "got TERM" ]
	rt delete "$ID"
}
