#!/usr/bin/env bats
# Interactive use through a real berthd, with the berth CLI (b) and the docker
# CLI 28 (dk): terminals (script(1) gives the CLI a pty of 30 rows and 100
# columns), window size and resize, raw mode, detach keys, attach, exec,
# signals passed on to the container, stdin closed at EOF, and the
# multiplexed streams of containers without a tty.

load daemon

bats_require_minimum_version 1.5.0

teardown() {
	local id
	for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	return 0
}

# cli_cmd CLI: the command line of the berth (b) or docker (dk) CLI, for
# programs that cannot call a shell function (script, timeout, kill).
cli_cmd() {
	case $1 in
	b) echo "$BERTH -H unix://$SOCK" ;;
	dk) echo "env DOCKER_HOST=unix://$SOCK $DOCKER" ;;
	esac
}

# in_pty INPUT CMD: run the shell command CMD on a pty of 30x100 made by
# script(1), feeding it what the shell snippet INPUT prints; output without \r.
in_pty() {
	local input=$1 cmd=$2
	run --separate-stderr timeout 30 script -eqc "stty rows 30 cols 100; $cmd" /dev/null < <(eval "$input")
	output=${output//$'\r'/}
	lines=()
	[ -z "$output" ] || mapfile -t lines <<<"$output"
}

# when_running NAME: wait until container NAME runs (used in INPUT, before keys).
when_running() {
	local i
	for i in $(seq 100); do
		[ "$(b inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && break
		sleep 0.1
	done
	sleep 0.5
}

@test "run -it: a terminal of the caller's size, TERM, the caller's terminal restored" {
	for cli in b dk; do
		in_pty "sleep 5" "s=\$(stty -g); $(cli_cmd $cli) run --rm -it busybox sh -c 'stty size; tty; echo \$TERM; [ -t 0 ] && echo stdin-tty; exit 3'; rc=\$?; [ \"\$s\" = \"\$(stty -g)\" ] && echo restored; exit \$rc"
		[ "$status" -eq 3 ]
		[ "${lines[0]}" = "30 100" ]
		[ "${lines[1]}" = /dev/pts/0 ]
		[ "${lines[2]}" = xterm ]
		[ "${lines[3]}" = stdin-tty ]
		[ "${lines[4]}" = restored ]
	done
}

@test "run -t without -i: a tty for output, lines end in CR LF" {
	for cli in b dk; do
		run -0 $cli run --rm -t busybox sh -c 'tty; echo x'
		[ "$output" = "$(printf '/dev/pts/0\r\nx\r')" ]
		# not a terminal on the caller's side: run -it refuses as docker does
		run -1 --separate-stderr $cli run --rm -it busybox true </dev/null
		[ "$stderr" = "the input device is not a TTY" ]
	done
}

@test "run -it: the window size follows the caller's terminal" {
	for cli in b dk; do
		in_pty "sleep 8" "(sleep 2; stty rows 40 cols 120 </dev/tty) & $(cli_cmd $cli) run --rm -it busybox sh -c 'stty size; sleep 3; stty size'"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "30 100" ]
		[ "${lines[1]}" = "40 120" ]
	done
}

@test "run -it: raw terminal, keys reach the container's tty (ctrl-c included)" {
	for cli in b dk; do
		in_pty "when_running raw-$cli; printf 'abc\\r'; sleep 0.5; printf '\\003'; sleep 3" \
			"$(cli_cmd $cli) run --rm -it --name raw-$cli busybox sh -c 'trap \"echo got-int; exit 5\" INT; read line; echo \"line=\$line\"; while :; do sleep 0.1; done'"
		[ "$status" -eq 5 ]
		[[ "$output" == *"line=abc"* ]]
		[[ "$output" == *"got-int"* ]]
	done
}

@test "run -it: ctrl-p ctrl-q detaches, the container keeps running" {
	for cli in b dk; do
		in_pty "when_running dt-$cli; printf '\\020\\021'; sleep 5" \
			"$(cli_cmd $cli) run -it --name dt-$cli busybox sh -c 'echo started; sleep 60'"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = started ]
		run -0 $cli inspect -f '{{.State.Running}}' "dt-$cli"
		[ "$output" = true ]
		# --detach-keys: ctrl-p alone is then an ordinary key
		in_pty "when_running dk2-$cli; printf '\\020x'; sleep 0.5; printf '\\030'; sleep 5" \
			"$(cli_cmd $cli) run -it --detach-keys ctrl-x --name dk2-$cli busybox sh -c 'echo started; sleep 60'"
		[ "$status" -eq 0 ]
		run -0 $cli inspect -f '{{.State.Running}}' "dk2-$cli"
		[ "$output" = true ]
		# a shell at its prompt survives too (no ctrl-d typed into it on detach)
		in_pty "when_running sh-$cli; printf '\\020\\021'; sleep 5" "$(cli_cmd $cli) run -it --name sh-$cli busybox sh"
		[ "$status" -eq 0 ]
		sleep 0.5
		run -0 $cli inspect -f '{{.State.Running}}' "sh-$cli"
		[ "$output" = true ]
		run -0 $cli exec "sh-$cli" echo still-there
		[ "$output" = still-there ]
	done
}

@test "attach: to a tty container; detaching prints 'read escape sequence' and exits 1" {
	for cli in b dk; do
		run -0 $cli run -dit --name "at-$cli" busybox sh
		in_pty "sleep 1; printf 'echo hi-\$((6*7))\\r'; sleep 1; printf '\\020\\021'; sleep 5" \
			"$(cli_cmd $cli) attach at-$cli"
		[ "$status" -eq 1 ]
		[[ "$output" == *"hi-42"* ]]
		[ "$stderr" = "" ]
		[[ "$output" == *"read escape sequence" ]]
		run -0 $cli inspect -f '{{.State.Running}}' "at-$cli"
		[ "$output" = true ]
		# exit from the attached shell: attach returns its exit code
		in_pty "sleep 1; printf 'exit 9\\r'; sleep 5" "$(cli_cmd $cli) attach at-$cli"
		[ "$status" -eq 9 ]
		run -0 $cli inspect -f '{{.State.Status}} {{.State.ExitCode}}' "at-$cli"
		[ "$output" = "exited 9" ]
		run -1 --separate-stderr $cli attach "at-$cli"
		[ "$stderr" = "You cannot attach to a stopped container, start it first" ]
	done
}

@test "attach: a container without a tty, streams apart, its exit code" {
	for cli in b dk; do
		run -0 $cli run -d --name "an-$cli" busybox sh -c 'sleep 1; echo out; echo err >&2; exit 4'
		run -4 --separate-stderr $cli attach "an-$cli"
		[ "$output" = out ]
		[ "$stderr" = err ]
		run -0 $cli run -di --name "ai-$cli" busybox sh -c 'read x; echo "read $x"'
		# the end of attach's stdin ends the attachment (not stdin-once):
		# the line reaches the container, the output may come after
		run -0 $cli attach "ai-$cli" <<<"line"
		for i in $(seq 30); do [ "$($cli logs "ai-$cli")" = "read line" ] && break; sleep 0.1; done
		run -0 $cli logs "ai-$cli"
		[ "$output" = "read line" ]
	done
}

@test "run -i: stdin is closed at EOF, exit code and output" {
	for cli in b dk; do
		run -0 timeout 10 bash -c "echo hi | $(cli_cmd $cli) run --rm -i busybox cat"
		[ "$output" = hi ]
		run -0 timeout 10 bash -c "printf 'a\nb\n' | $(cli_cmd $cli) run --rm -i busybox sh -c 'wc -l; exit 0'"
		[ "$(echo $output)" = 2 ]
		run -7 timeout 10 bash -c "echo 7 | $(cli_cmd $cli) run --rm -i busybox sh -c 'read n; exit \$n'"
		# without -i the container's stdin is empty, not the caller's
		run -0 timeout 10 bash -c "echo hi | $(cli_cmd $cli) run --rm busybox cat"
		[ -z "$output" ]
	done
}

@test "signals: SIGTERM to the CLI reaches the container (--sig-proxy default)" {
	for cli in b dk; do
		$(cli_cmd $cli) run --rm --name "sp-$cli" busybox sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' \
			>"$BATS_TEST_TMPDIR/out-$cli" 2>&1 3>&- &
		pid=$!
		for i in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out-$cli" && break; sleep 0.1; done
		kill -TERM "$pid"
		st=0
		wait "$pid" || st=$?
		[ "$st" -eq 9 ]
		[ "$(cat "$BATS_TEST_TMPDIR/out-$cli")" = "$(printf 'ready\ngot-term')" ]
		$(cli_cmd $cli) run --rm --name "su-$cli" busybox sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done' \
			>"$BATS_TEST_TMPDIR/out2-$cli" 2>&1 3>&- &
		pid=$!
		for i in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out2-$cli" && break; sleep 0.1; done
		kill -USR1 "$pid"
		for i in $(seq 50); do grep -q got-usr1 "$BATS_TEST_TMPDIR/out2-$cli" && break; sleep 0.1; done
		grep -q got-usr1 "$BATS_TEST_TMPDIR/out2-$cli"
		run -0 $cli kill "su-$cli"
		st=0
		wait "$pid" || st=$?
		[ "$st" -eq 137 ]
	done
}

@test "signals: --sig-proxy=false leaves the container alone" {
	for cli in b dk; do
		$(cli_cmd $cli) run --sig-proxy=false --name "np-$cli" busybox sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' \
			>"$BATS_TEST_TMPDIR/out-$cli" 2>&1 3>&- &
		pid=$!
		for i in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out-$cli" && break; sleep 0.1; done
		kill -TERM "$pid"
		sleep 0.5
		run -0 $cli inspect -f '{{.State.Running}}' "np-$cli"
		[ "$output" = true ]
		run -0 $cli logs "np-$cli"
		[ "$output" = ready ]
		# berth's CLI dies of the signal; docker's waits for a third one
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" || true
	done
}

@test "exec: -i, -t, -d, -u, -e, -w and exit codes" {
	b run -d --name ex --hostname exh -e A=1 busybox sleep 60 >/dev/null
	for cli in b dk; do
		run -0 $cli exec -u 1000:1000 -e FOO=bar -w /tmp ex sh -c 'id -u; echo $FOO; pwd; echo $HOSTNAME'
		[ "${lines[0]}" = 1000 ]
		[ "${lines[1]}" = bar ]
		[ "${lines[2]}" = /tmp ]
		[ "${lines[3]}" = "$(b inspect -f '{{.Config.Hostname}}' ex)" ]
		run -0 $cli exec -e B=2 -e A=3 ex env
		[ "$(echo $output)" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=exh A=3 B=2 HOME=/root" ]
		run -0 $cli exec -t -u nobody ex env
		[ "$(echo ${output//$'\r'/})" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=exh TERM=xterm A=1 HOME=/nonexistent" ]
		run -0 --separate-stderr $cli exec ex sh -c 'echo out; echo err >&2'
		[ "$output" = out ]
		[ "$stderr" = err ]
		run -5 $cli exec ex sh -c 'exit 5'
		run -0 timeout 10 bash -c "echo piped | $(cli_cmd $cli) exec -i ex cat"
		[ "$output" = piped ]
		run -0 $cli exec -d ex sh -c "sleep 0.3; echo done > /tmp/d-$cli"
		[ -z "$output" ]
		run -1 $cli exec ex cat "/tmp/d-$cli"
		sleep 0.6
		run -0 $cli exec ex cat "/tmp/d-$cli"
		[ "$output" = done ]
		run -0 $cli exec -t ex sh -c 'tty; echo x'
		[ "$output" = "$(printf '/dev/pts/0\r\nx\r')" ]
		run -127 $cli exec ex nonexist
		[[ "$output" == *'exec: "nonexist": executable file not found in $PATH'* ]]
		run -126 $cli exec ex /etc
		[[ "$output" == *"permission denied"* ]]
		run -126 $cli exec -u nouser ex true
		[ "$output" = "unable to find user nouser: no matching entries in passwd file"$'\r' ]
		run -1 --separate-stderr $cli exec nosuch true
		[ "$stderr" = "Error response from daemon: No such container: nosuch" ]
		run -0 $cli exec ex ps -o pid,args
		[[ "$output" != *"sh -c sleep 0.3"* ]]
	done
	b create --name exc busybox true >/dev/null
	run -1 --separate-stderr b exec exc true
	[[ "$stderr" == *"is not running"* ]]
}

@test "exec -it: the caller's terminal size, raw keys, detach" {
	b run -d --name et busybox sleep 60 >/dev/null
	for cli in b dk; do
		in_pty "sleep 5" "$(cli_cmd $cli) exec -it et sh -c 'stty size; tty; exit 6'"
		[ "$status" -eq 6 ]
		[ "${lines[0]}" = "30 100" ]
		[[ "${lines[1]}" == /dev/pts/* ]]
		in_pty "sleep 8" "(sleep 2; stty rows 40 cols 120 </dev/tty) & $(cli_cmd $cli) exec -it et sh -c 'stty size; sleep 3; stty size'"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "30 100" ]
		[ "${lines[1]}" = "40 120" ]
		in_pty "sleep 1.5; printf 'echo typed-\$((1+1))\\r'; sleep 0.5; printf 'exit 4\\r'; sleep 3" \
			"$(cli_cmd $cli) exec -it et sh"
		[ "$status" -eq 4 ]
		[[ "$output" == *"typed-2"* ]]
		in_pty "sleep 1.5; printf '\\020\\021'; sleep 5" "$(cli_cmd $cli) exec -it et sh"
		[ "$status" -eq 1 ]
		[[ "$output" == *"read escape sequence" ]]
	done
	run -0 b inspect -f '{{.State.Running}}' et
	[ "$output" = true ]
}

@test "start -ai: a tty container on the caller's terminal" {
	for cli in b dk; do
		# create has no terminal size (as docker's): start -ai sets it after the start
		run -0 $cli create -it --name "sa-$cli" busybox sh -c 'sleep 1; stty size; read x; echo "got $x"; exit 2'
		in_pty "sleep 2.5; printf 'yes\\r'; sleep 3" "$(cli_cmd $cli) start -ai sa-$cli"
		[ "$status" -eq 2 ]
		[ "${lines[0]}" = "30 100" ]
		[[ "$output" == *"got yes"* ]]
	done
}

@test "attach through the API before start keeps its detachKeys (SDK clients)" {
	cat >"$BATS_TEST_TMPDIR/attach.py" <<-'EOF'
	import socket, sys, time
	path, cid = sys.argv[1], sys.argv[2]
	def req(method, url, hijack=False):
	    s = socket.socket(socket.AF_UNIX)
	    s.connect(path)
	    h = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" % (method, url)
	    if hijack:
	        h += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
	    s.sendall(h.encode() + b"\r\n")
	    data = b""
	    while b"\r\n\r\n" not in data:
	        data += s.recv(4096)
	    return s, data.split(b"\r\n")[0].decode()
	def drain(s, secs):
	    s.settimeout(secs)
	    try:
	        while s.recv(4096):
	            pass
	        return "eof"
	    except socket.timeout:
	        return "open"
	a, st = req("POST", "/containers/%s/attach?detachKeys=ctrl-x&stdin=1&stdout=1&stream=1" % cid, True)
	print(st)
	s, st = req("POST", "/containers/%s/start" % cid)
	print(st)
	time.sleep(0.5)
	a.sendall(b"\x10\x11")
	print("after ctrl-p ctrl-q:", drain(a, 1))
	a.sendall(b"\x18")
	print("after ctrl-x:", drain(a, 5))
	EOF
	id=$(b create -it busybox sh)
	run -0 timeout 20 python3 "$BATS_TEST_TMPDIR/attach.py" "$SOCK" "$id"
	[ "${lines[0]}" = "HTTP/1.1 101 UPGRADED" ]
	[[ "${lines[1]}" == "HTTP/1.1 204 "* ]]
	[ "${lines[2]}" = "after ctrl-p ctrl-q: open" ]
	[ "${lines[3]}" = "after ctrl-x: eof" ]
	run -0 b inspect -f '{{.State.Running}}' "$id"
	[ "$output" = true ]
}
