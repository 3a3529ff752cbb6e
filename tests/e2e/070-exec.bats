#!/usr/bin/env bats
# exec: joins every namespace and the cgroup of the container, applies the
# process options, returns the exit code.

load helpers

start_sleeper() {
	setup_bundle testinit pause
	"$@"
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	PID=$(rt state "$ID" | jq .pid)
}

@test "exec joins every namespace of the container" {
	start_sleeper true
	run rt exec "$ID" sh -c 'for n in cgroup ipc mnt net pid uts; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	[ "$status" -eq 0 ]
	for n in cgroup ipc mnt net pid uts; do
		want="$n $(readlink /proc/$PID/ns/$n)"
		[[ "$output" == *"$want"* ]]
	done
	rt delete -f "$ID"
}

@test "exec joins a user namespace and the time namespace too" {
	[ -e /proc/self/ns/time ] || skip "no time namespace"
	start_sleeper cfg '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime":{"secs":100000,"nanosecs":0}}'
	run rt exec "$ID" sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$PID/ns/time)" ]
	[ "${lines[1]}" -ge 100000 ]
	rt delete -f "$ID"
}

@test "exec runs in the container's cgroup and sees its processes" {
	start_sleeper true
	run rt exec "$ID" sh -c 'cat /proc/self/cgroup | grep memory; ps -o pid,comm | grep testinit'
	[ "$status" -eq 0 ]
	[[ "$output" == *"memory:/"* ]]
	[[ "$output" == *"1 testinit"* ]]
	rt delete -f "$ID"
}

@test "exec returns the process's exit code, with env, cwd and user" {
	start_sleeper true
	run rt exec --env FOO=bar --cwd /tmp --user 1000:1000 "$ID" sh -c 'echo $FOO $(pwd) $(id -u):$(id -g); exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "bar /tmp 1000:1000" ]
	rt delete -f "$ID"
}

@test "exec --process takes a whole process object" {
	start_sleeper true
	cat > "$BATS_TEST_TMPDIR/p.json" <<JSON
{"args": ["sh", "-c", "echo from process file; grep CapBnd /proc/self/status"], "cwd": "/", "env": ["PATH=/bin"],
 "user": {"uid": 0, "gid": 0}, "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}
JSON
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "from process file" ]
	[[ "${lines[1]}" == *0000000000000020* ]]
	rt delete -f "$ID"
}

@test "exec -d detaches and writes a pid file" {
	start_sleeper true
	run_detached rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 100
	[ "$status" -eq 0 ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	sleep 0.3
	# alive, not a zombie: it must outlive the runtime that started it
	grep -q '^State:.*S (sleeping)' /proc/$epid/status
	[ "$(readlink /proc/$epid/ns/pid)" = "$(readlink /proc/$PID/ns/pid)" ]
	rt delete -f "$ID"
}

@test "exec is subject to the container's seccomp filter" {
	start_sleeper cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":42}]}'
	run rt exec "$ID" testinit mkdir /tmp/x
	[ "$output" = "errno 42" ]
	rt delete -f "$ID"
}

@test "exec with a tty through a console socket" {
	start_sleeper true
	sock=$BATS_TEST_TMPDIR/exec.sock
	"$BUILD/tests/recvtty" "$sock" > "$BATS_TEST_TMPDIR/tty.out" &
	recv=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/tty.out"
	rt exec -t --console-socket "$sock" "$ID" tty
	wait "$recv"
	grep -q '/dev/pts/' "$BATS_TEST_TMPDIR/tty.out"
	rt delete -f "$ID"
}

@test "exec --process with a terminal applies its consoleSize" {
	start_sleeper true
	sock=$BATS_TEST_TMPDIR/exec.sock
	cat > "$BATS_TEST_TMPDIR/process.json" <<'JSON'
{"terminal": true, "consoleSize": {"height": 33, "width": 111}, "user": {"uid": 0, "gid": 0},
 "args": ["stty", "size"], "env": ["PATH=/bin"], "cwd": "/"}
JSON
	"$BUILD/tests/recvtty" "$sock" > "$BATS_TEST_TMPDIR/tty.out" &
	recv=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/tty.out"
	rt exec --console-socket "$sock" --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	wait "$recv"
	grep -q '^33 111' "$BATS_TEST_TMPDIR/tty.out"
	rt delete -f "$ID"
}

@test "exec into a missing working directory fails and does not make it" {
	start_sleeper true
	run rt exec --cwd /no/such/dir "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.cwd: enter '/no/such/dir'"* ]]
	run rt exec "$ID" test -e /no/such/dir
	[ "$status" -eq 1 ]
	rt delete -f "$ID"
}

@test "exec into a stopped container, or a missing command, is an error" {
	start_sleeper true
	run rt exec "$ID" nosuchcmd
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "nosuchcmd": executable file not found in $PATH'* ]]
	rt kill "$ID" KILL
	wait_status stopped
	run rt exec "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	rt delete "$ID"
}

@test "exec -t in the foreground relays the terminal itself" {
	start_sleeper true
	run script -qec "$RUNTIME --root $STATE exec -t $ID sh -c 'tty; exit 4'" /dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == */dev/pts/0* ]]
	run bash -c "echo 'echo hi-\$((6*7)); exit' | script -qec '$RUNTIME --root $STATE exec -t $ID sh' /dev/null"
	[[ "$output" == *hi-42* ]]
	rt delete -f "$ID"
}

@test "run with a terminal in the foreground relays it" {
	setup_bundle sh -c 'tty; echo in-run; exit 2'
	cfg '.process.terminal = true'
	run script -qec "$RUNTIME --root $STATE run --bundle $BUNDLE $ID" /dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *in-run* ]]
}
