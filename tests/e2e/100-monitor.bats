#!/usr/bin/env bats
# berth-monitor: a container's stdio, json-file log, exit file, attach and
# exec clients and control connections, driven by tests/helpers/monitor-client
# in the daemon's place (src/monitor/monitor.h has the protocol).

load helpers

MONITOR=$BUILD/src/monitor/berth-monitor
CLIENT=$BUILD/src/monitor/monitor-client

# mon_setup ARGS...: a bundle whose process runs ARGS, and the monitor's paths.
mon_setup() {
	setup_bundle "$@"
	MDIR=$BATS_TEST_TMPDIR/mon
	CLOG=$BATS_TEST_TMPDIR/ctr-json.log
	SOCK=$MDIR/monitor.sock
	EV=$BATS_TEST_TMPDIR/events
	mkdir -p "$MDIR"
}

mon_args() {
	echo "$MONITOR" --id "$ID" --runtime "$RUNTIME" --runtime-root "$STATE" \
		--bundle "$BUNDLE" --dir "$MDIR"
}

# client [OPTIONS] spawn|connect ...: the helper, with a time limit.
client() {
	"$CLIENT" -t 20 "$@"
}

# mon_bg [CLIENT-OPTIONS] -- [MONITOR-OPTIONS]: a "daemon" in the background
# that spawned the monitor; its messages go to $EV.
mon_bg() {
	local copts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		copts+=("$1")
		shift
	done
	shift
	client "${copts[@]}" spawn $(mon_args) "$@" >"$EV" 2>&1 </dev/null &
	CLIENT_PID=$!
}

event() {
	grep -q "^$1" "$EV"
}

# process_json FILE ARGS...: the bundle's process with other args, for exec.
process_json() {
	local file=$1
	shift
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	jq --argjson a "$args" '.process | .args = $a' "$BUNDLE/config.json" >"$file"
}

monitor_gone() {
	local pid
	pid=$(cat "$MDIR/monitor.pid" 2>/dev/null) || return 0
	[ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

# Nothing left: no monitor, no socket, no runtime state, no cgroup.
assert_clean() {
	wait_for monitor_gone
	[ ! -e "$SOCK" ]
	[ ! -e "$MDIR/console.sock" ]
	[ -z "$(rt list -q)" ]
	[ -z "$(cgroup_dirs)" ]
}

teardown() {
	local pid
	[ -n "${CLIENT_PID:-}" ] && kill "$CLIENT_PID" 2>/dev/null
	pid=$(cat "${MDIR:-/nonexistent}/monitor.pid" 2>/dev/null) &&
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = berth-monitor ] && kill -9 "$pid"
	cleanup_containers
	local d
	for d in $(cgroup_dirs); do
		rmdir "$d" 2>/dev/null
	done
	return 0
}

@test "output goes to a json-file log; the exit code to the exit file and MON_EXITED" {
	mon_setup sh -c 'echo hello; echo "a\"b<&>	x" >&2; printf "\377\n"; printf partial; exit 3'
	run client spawn $(mon_args) --log "$CLOG"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^STARTED\ a=0\ b=[1-9][0-9]*\ c=0 ]]
	[[ "$output" == *"EXITED a=0 b=0 c=3 text="* ]]
	read -r code ns oom <"$MDIR/exit"
	[ "$code" = 3 ] && [ "$oom" = 0 ]
	[ $(((ns / 1000000000) - $(date +%s))) -le 1 ]
	# docker's json-file: three keys, Go's RFC3339Nano, Go's escaping
	jq -e -s 'length == 4' "$CLOG"
	jq -e 'keys_unsorted == ["log","stream","time"]' "$CLOG"
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*[1-9])?Z$")' "$CLOG"
	[ "$(jq -r 'select(.stream == "stdout") | .log' "$CLOG" | head -1)" = hello ]
	[ "$(jq -a -c -s 'map(select(.stream == "stdout") | .log)' "$CLOG")" = '["hello\n","\ufffd\n","partial"]' ]
	grep -qF '{"log":"a\"b\u003c\u0026\u003e\u0009x\n","stream":"stderr","time":"' "$CLOG"
	assert_clean
}

@test "a missing executable fails the start with 127 and the runtime's message" {
	mon_setup nosuchcmd
	run client spawn $(mon_args)
	[ "$status" -eq 0 ]
	[[ "$output" == *"START_FAILED a=0 b=0 c=127 text="*"executable file not found"* ]]
	[[ "$(head -1 "$MDIR/exit")" == "127 "* ]]
	grep -q '^error: .*nosuchcmd.*executable file not found' "$MDIR/exit"
	assert_clean
}

@test "attach without a tty: stdcopy frames per stream" {
	mon_setup sh -c 'echo out; sleep 0.2; echo err2 >&2; sleep 0.2; echo more'
	run client -a oes -o "$BATS_TEST_TMPDIR/raw" -O "$BATS_TEST_TMPDIR/dec" spawn $(mon_args)
	[ "$status" -eq 0 ]
	[[ "$output" != *BAD_FRAME* ]]
	[ "$(od -An -tx1 -N12 "$BATS_TEST_TMPDIR/raw" | tr -d ' \n')" = 01000000000000046f75740a ]
	[ "$(od -An -tx1 -j12 -N8 "$BATS_TEST_TMPDIR/raw" | tr -d ' \n')" = 0200000000000005 ]
	[ "$(cat "$BATS_TEST_TMPDIR/dec.out")" = "$(printf 'out\nmore')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/dec.err")" = err2 ]
	# a client that asked for stdout only gets no stderr frame
	run client -a os -O "$BATS_TEST_TMPDIR/only" spawn $(mon_args)
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/only.out")" = "$(printf 'out\nmore')" ]
	[ ! -s "$BATS_TEST_TMPDIR/only.err" ]
	assert_clean
}

@test "attach with stdin and stdin-once: the client's EOF closes the container's stdin" {
	mon_setup cat
	run bash -c "printf 'ping\npong\n' | $CLIENT -t 20 -i -a ios -O $BATS_TEST_TMPDIR/dec spawn $(mon_args) --stdin --stdin-once"
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXITED a=0 b=0 c=0"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/dec.out")" = "$(printf 'ping\npong')" ]
	assert_clean
}

@test "tty: raw output, and MON_RESIZE sets the terminal's size" {
	mon_setup sh -c 'sleep 0.5; stty size; tty; exit 2'
	cfg '.process.terminal = true'
	run client -a ost -r 30x100 -o "$BATS_TEST_TMPDIR/raw" spawn $(mon_args) --tty --log "$CLOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXITED a=0 b=0 c=2"* ]]
	head -c 8 "$BATS_TEST_TMPDIR/raw" | cmp - <(printf '30 100\r\n')
	grep -q '^/dev/pts/[0-9]' "$BATS_TEST_TMPDIR/raw"
	[ "$(jq -r -s '.[0].log' "$CLOG")" = "30 100"$'\r' ]
	assert_clean
}

@test "detach keys end an attachment, not the container; a broken sequence is passed on" {
	mon_setup cat
	cfg '.process.terminal = true'
	mon_bg -q STARTED -- --tty --stdin
	wait "$CLIENT_PID"
	wait_for test -S "$SOCK"
	run bash -c "{ printf 'a\001b\n'; sleep 0.5; printf '\001x'; sleep 1; } | $CLIENT -t 20 -i -a iost -k ctrl-a,x -o $BATS_TEST_TMPDIR/raw -q CLIENT_EOF connect $SOCK"
	[ "$status" -eq 0 ]
	[[ "$output" == *CLIENT_EOF* ]]
	grep -q 'a^Ab' "$BATS_TEST_TMPDIR/raw"
	[ "$(ct_status)" = running ]
	run client -H -q STATE connect "$SOCK"
	[[ "$output" =~ STATE\ a=2\ b=[1-9] ]]
	# the default keys: ctrl-p, ctrl-q
	run bash -c "{ printf 'zz\020\021'; sleep 1; } | $CLIENT -t 20 -i -a iost -q CLIENT_EOF connect $SOCK"
	[ "$status" -eq 0 ]
	[ "$(ct_status)" = running ]
	rt kill "$ID" KILL
	wait_for test -f "$MDIR/exit"
	[[ "$(cat "$MDIR/exit")" == "137 "* ]]
	assert_clean
}

@test "the log rotates at max-size, keeping max-file files, and replays across them" {
	mon_setup sh -c 'i=0; while [ $i -lt 60 ]; do echo "line $i"; i=$((i+1)); done; sleep 1'
	mon_bg -- --log "$CLOG" --log-max-size 500 --log-max-file 3
	wait_for grep -q 'line 59' "$CLOG"
	[ -f "$CLOG.1" ] && [ -f "$CLOG.2" ] && [ ! -e "$CLOG.3" ]
	for f in "$CLOG" "$CLOG.1" "$CLOG.2"; do
		jq -e . "$f" >/dev/null
		[ "$(stat -c %s "$f")" -lt 600 ]
	done
	kept=$(cat "$CLOG.2" "$CLOG.1" "$CLOG" | jq -j .log)
	first=$(head -1 <<<"$kept" | cut -d' ' -f2)
	[ "$kept" = "$(seq "$first" 59 | sed 's/^/line /')" ]
	run client -a ol -O "$BATS_TEST_TMPDIR/dec" -q CLIENT_EOF connect "$SOCK"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/dec.out")" = "$kept" ]
	wait "$CLIENT_PID"
	assert_clean
}

@test "MON_ATTACH_LOGS replays the log in the client's framing, then follows" {
	mon_setup sh -c 'echo one; echo two >&2; sleep 1; echo three'
	mon_bg -- --log "$CLOG"
	wait_for grep -q two "$CLOG"
	run client -a oel -O "$BATS_TEST_TMPDIR/logs" -q CLIENT_EOF connect "$SOCK"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/logs.out")" = one ]
	[ "$(cat "$BATS_TEST_TMPDIR/logs.err")" = two ]
	run client -a oels -O "$BATS_TEST_TMPDIR/follow" -q CLIENT_EOF connect "$SOCK"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/follow.out")" = "$(printf 'one\nthree')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/follow.err")" = two ]
	wait "$CLIENT_PID"
	assert_clean
}

@test "exec without a tty: frames, stdin, and the exit file before the stream ends" {
	mon_setup sleep 30
	mon_bg --
	wait_for event STARTED
	process_json "$BATS_TEST_TMPDIR/p1.json" sh -c 'echo out; echo err >&2; exit 5'
	run client -H -x "e1:$BATS_TEST_TMPDIR/p1.json:oes" -O "$BATS_TEST_TMPDIR/x1" \
		-E "$MDIR/exec-e1.exit" -q CLIENT_EOF connect "$SOCK"
	[ "$status" -eq 0 ]
	[[ "$output" =~ EXEC_STARTED\ a=0\ b=[1-9][0-9]*\ c=0\ text=e1 ]]
	[[ "$output" == *"EXEC_EXITED a=0 b=0 c=5 text=e1"*"CLIENT_EOF exitfile=5"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/x1.out")" = out ]
	[ "$(cat "$BATS_TEST_TMPDIR/x1.err")" = err ]
	process_json "$BATS_TEST_TMPDIR/p2.json" cat
	run bash -c "printf 'to cat\n' | $CLIENT -t 20 -i -x e2:$BATS_TEST_TMPDIR/p2.json:ioes -O $BATS_TEST_TMPDIR/x2 -E $MDIR/exec-e2.exit -q CLIENT_EOF connect $SOCK"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CLIENT_EOF exitfile=0"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/x2.out")" = "to cat" ]
	[ -z "$(ls "$MDIR" | grep -E 'exec-.*\.(pid|log|sock)$')" ]
	# a missing executable
	process_json "$BATS_TEST_TMPDIR/p3.json" nosuchcmd
	run client -H -x "e3:$BATS_TEST_TMPDIR/p3.json:oes" -q EXEC_FAILED connect "$SOCK"
	[[ "$output" == *"EXEC_FAILED a=0 b=0 c=127 text=e3 "*"not found"* ]]
	[ "$(cat "$MDIR/exec-e3.exit")" = 127 ]
	rt kill "$ID" KILL
	wait "$CLIENT_PID"
	event "EXITED a=0 b=0 c=137"
	assert_clean
}

@test "exec with a tty: raw output and MON_EXEC_RESIZE" {
	mon_setup sleep 30
	mon_bg --
	wait_for event STARTED
	process_json "$BATS_TEST_TMPDIR/p.json" sh -c 'sleep 0.5; stty size; tty; exit 2'
	jq '.terminal = true' "$BATS_TEST_TMPDIR/p.json" >"$BATS_TEST_TMPDIR/pt.json"
	run client -H -x "t1:$BATS_TEST_TMPDIR/pt.json:ost" -R 40x120 -o "$BATS_TEST_TMPDIR/raw" \
		-E "$MDIR/exec-t1.exit" -q CLIENT_EOF connect "$SOCK"
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXEC_EXITED a=0 b=0 c=2 text=t1"*"CLIENT_EOF exitfile=2"* ]]
	head -c 8 "$BATS_TEST_TMPDIR/raw" | cmp - <(printf '40 120\r\n')
	grep -q '^/dev/pts/[0-9]' "$BATS_TEST_TMPDIR/raw"
	rt kill "$ID" KILL
	wait "$CLIENT_PID"
	assert_clean
}

@test "detached exec: no client, its exit code still reported and recorded" {
	mon_setup sleep 30
	mon_bg --
	wait_for event STARTED
	process_json "$BATS_TEST_TMPDIR/p.json" sh -c 'echo hi >/tmp/x; exit 7'
	run client -H -x "d1:$BATS_TEST_TMPDIR/p.json:d" -q EXEC_EXITED connect "$SOCK"
	[ "$status" -eq 0 ]
	[[ "$output" =~ EXEC_STARTED\ a=0\ b=[1-9][0-9]*\ c=0\ text=d1 ]]
	[[ "$output" == *"EXEC_EXITED a=0 b=0 c=7 text=d1"* ]]
	[ "$(cat "$MDIR/exec-d1.exit")" = 7 ]
	[ "$(cat "$BUNDLE/rootfs/tmp/x")" = hi ]
	rt kill "$ID" KILL
	wait "$CLIENT_PID"
	assert_clean
}

@test "a restarted daemon gets MON_STATE on monitor.sock, while running and after the exit" {
	mon_setup sh -c 'yes abcdefghij | head -c 400000; sleep 1; exit 4'
	# an attach client that reads nothing for 4 s keeps the monitor after the exit
	mon_bg -a os -d 4000 -O "$BATS_TEST_TMPDIR/dec" --
	wait_for test -S "$SOCK"
	[ "$(stat -c %a "$SOCK")" = 600 ]
	run client -H -q STATE connect "$SOCK"
	[[ "$output" =~ STATE\ a=2\ b=[1-9][0-9]*\ c=0 ]]
	wait_for test -f "$MDIR/exit"
	run client -H -q STATE connect "$SOCK"
	[[ "$output" =~ STATE\ a=3\ b=[1-9][0-9]*\ c=4 ]]
	wait "$CLIENT_PID"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/dec.out")" = 400000 ]
	assert_clean
}

@test "the monitor outlives its parent, and holds none of its stdio" {
	mon_setup sh -c 'sleep 1; echo late; exit 6'
	run client -q STARTED spawn $(mon_args) --log "$CLOG"
	[ "$status" -eq 0 ]
	pid=$(cat "$MDIR/monitor.pid")
	kill -0 "$pid"
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ]
	done
	[ "$(ls "/proc/$pid/fd" | wc -l)" -lt 12 ]
	wait_for test -f "$MDIR/exit"
	[[ "$(cat "$MDIR/exit")" == "6 "* ]]
	[ "$(jq -r .log "$CLOG")" = late ]
	assert_clean
}

@test "no descriptor of the monitor or its clients reaches the container" {
	mon_setup sleep 30
	mon_bg -a ioes -- --stdin --log "$CLOG"
	wait_for event STARTED
	pid=$(cat "$MDIR/init.pid")
	[ "$(ls "/proc/$pid/fd" | sort | tr '\n' ' ')" = "0 1 2 " ]
	[[ "$(readlink "/proc/$pid/fd/1")" == pipe:* ]]
	rt kill "$ID" KILL
	wait "$CLIENT_PID"
	assert_clean
}

@test "a client that reads nothing is dropped; the container never waits for it" {
	mon_setup sh -c 'yes 0123456789abcdefghi | head -c 3000000; echo done'
	run client -a os -d 3000 -O "$BATS_TEST_TMPDIR/dec" spawn $(mon_args) --log "$CLOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXITED a=0 b=0 c=0"*CLIENT_EOF* ]]
	size=$(stat -c %s "$BATS_TEST_TMPDIR/dec.out")
	[ "$size" -gt 0 ] && [ "$size" -lt 3000000 ]
	[ "$(tail -1 "$CLOG" | jq -r .log)" = done ]
	assert_clean
}

@test "an OOM kill is reported in MON_EXITED and the exit file" {
	[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/memory.max ] || skip "no memory controller"
	mon_setup sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	run client spawn $(mon_args)
	[ "$status" -eq 0 ]
	[[ "$output" == *"EXITED a=1 b=0 c=137"* ]]
	read -r code ns oom <"$MDIR/exit"
	[ "$code" = 137 ] && [ "$oom" = 1 ]
	assert_clean
}
