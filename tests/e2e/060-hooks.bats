#!/usr/bin/env bats
# All six hook kinds: order, the state on stdin, timeouts and failures.

load helpers

# A host-side hook script that appends "<kind> <status> <pid>" to a log.
make_hook() {
	HOOK=$BATS_TEST_TMPDIR/hook.sh
	HOOKLOG=$BATS_TEST_TMPDIR/hooks.log
	cat > "$HOOK" <<'SH'
#!/bin/sh
state=$(cat)
echo "$1 $(echo "$state" | jq -r '.status + " " + (.pid|tostring) + " " + .id')" >> "$2"
SH
	chmod +x "$HOOK"
}

@test "hooks run in order with the right state on stdin" {
	setup_bundle true
	make_hook
	# createContainer and startContainer run in the container's namespaces: their
	# path must exist there too, so they use the container's own sh.
	mkdir -p "$BUNDLE/rootfs/hooklog"
	cfg --arg h "$HOOK" --arg l "$HOOKLOG" '.hooks = {
		"prestart": [{"path": $h, "args": ["hook", "prestart", $l]}],
		"createRuntime": [{"path": $h, "args": ["hook", "createRuntime", $l]}],
		"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo createContainer >> \($l)"]}],
		"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer > /hooklog/start"]}],
		"poststart": [{"path": $h, "args": ["hook", "poststart", $l]}],
		"poststop": [{"path": $h, "args": ["hook", "poststop", $l]}]}'
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	pid=$(rt state "$ID" | jq .pid)
	rt start "$ID"
	wait_status stopped
	rt delete "$ID"
	cat "$HOOKLOG"
	[ "$(sed -n 1p "$HOOKLOG")" = "prestart creating $pid $ID" ]
	[ "$(sed -n 2p "$HOOKLOG")" = "createRuntime creating $pid $ID" ]
	[ "$(sed -n 3p "$HOOKLOG")" = "createContainer" ]
	[ "$(sed -n 4p "$HOOKLOG")" = "poststart running $pid $ID" ]
	[ "$(sed -n 5p "$HOOKLOG")" = "poststop stopped 0 $ID" ]
	[ "$(cat "$BUNDLE/rootfs/hooklog/start")" = startContainer ]
}

@test "a failing prestart hook fails create and leaves nothing behind" {
	setup_bundle true
	cfg '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo broken hook >&2; exit 3"]}]}'
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"prestart hook #0"*"exited with status 3"*"broken hook"* ]]
	[ ! -d "$STATE/$ID" ]
	[ -z "$(cgroup_dirs)" ]
}

@test "a hook that outlives its timeout is killed and fails create" {
	setup_bundle true
	cfg '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
	start=$(date +%s)
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"did not finish within 1 seconds"* ]]
	[ $(( $(date +%s) - start )) -lt 10 ]
	[ ! -d "$STATE/$ID" ]
}

@test "a failing poststart hook is only a warning" {
	setup_bundle sleep 100
	cfg '.hooks = {"poststart": [{"path": "/bin/false"}]}'
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	run rt start "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"poststart hook #0"* ]]
	rt state "$ID" | jq -e '.status == "running"'
	rt delete -f "$ID"
}

@test "hook env and args are passed" {
	setup_bundle true
	cfg --arg o "$BATS_TEST_TMPDIR/env.out" '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo $0 $FOO > \($o)", "zero"], "env": ["FOO=bar"]}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/env.out")" = "zero bar" ]
}
