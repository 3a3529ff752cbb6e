#!/usr/bin/env bats
# config.json "process": args, env, cwd, user, umask, rlimits, capabilities,
# noNewPrivileges, oomScoreAdj; and hostname/domainname.

load helpers

@test "env, cwd and args reach the process" {
	setup_bundle sh -c 'echo "$GREETING $0 $(pwd)"' arg0
	cfg '.process.env += ["GREETING=hi"] | .process.cwd = "/tmp"'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "hi arg0 /tmp" ]
}

@test "a missing cwd is created inside the root" {
	setup_bundle testinit cwd
	cfg '.process.cwd = "/new/dir"'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "/new/dir" ]
	[ -d "$BUNDLE/rootfs/new/dir" ]
}

@test "user, groups and umask" {
	setup_bundle sh -c 'testinit ids; umask; touch /tmp/f; stat -c %a /tmp/f'
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 63}'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid 1000 gid 1000 groups 5,65534" ]
	[ "${lines[1]}" = "0077" ]
	[ "${lines[2]}" = "600" ]
}

@test "rlimits are applied" {
	setup_bundle sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
	cfg '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":100,"hard":200},{"type":"RLIMIT_CORE","soft":0,"hard":0}]'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	[ "${lines[2]}" = 0 ]
}

@test "raising a hard rlimit without CAP_SYS_RESOURCE is refused by name" {
	capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
	(( (0x$capeff >> 24) & 1 )) && skip "this host's root has CAP_SYS_RESOURCE"
	hard=$(ulimit -Hn)
	setup_bundle true
	cfg ".process.rlimits = [{\"type\":\"RLIMIT_NOFILE\",\"soft\":$((hard + 1)),\"hard\":$((hard + 1))}]"
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.rlimits[0]: cannot raise the hard limit of RLIMIT_NOFILE"* ]]
	[[ "$output" == *"CAP_SYS_RESOURCE"* ]]
	[ ! -d "$STATE/$ID" ]
}

@test "dropped capabilities are absent from /proc/self/status" {
	setup_bundle grep Cap /proc/self/status
	cfg '.process.capabilities = {"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"],"permitted":["CAP_KILL","CAP_CHOWN"],"inheritable":["CAP_KILL"],"ambient":["CAP_KILL"]}'
	run_ct
	[ "$status" -eq 0 ]
	# CAP_CHOWN = bit 0, CAP_KILL = bit 5
	[[ "$output" == *"CapBnd:	0000000000000021"* ]]
	# root: after exec the kernel makes the effective set equal to the permitted set
	[[ "$output" == *"CapEff:	0000000000000021"* ]]
	[[ "$output" == *"CapPrm:	0000000000000021"* ]]
	[[ "$output" == *"CapInh:	0000000000000020"* ]]
	[[ "$output" == *"CapAmb:	0000000000000020"* ]]
}

@test "a dropped capability really is gone: chown fails without CAP_CHOWN" {
	setup_bundle sh -c 'touch /tmp/x; chown 1:1 /tmp/x && echo chowned || echo refused'
	cfg '.process.capabilities = {"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}'
	run_ct
	[[ "$output" == *refused* ]]
}

@test "noNewPrivileges and oomScoreAdj" {
	setup_bundle sh -c 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj'
	cfg '.process.noNewPrivileges = true | .process.oomScoreAdj = 500'
	run_ct
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"NoNewPrivs:	1"* ]]
	[ "${lines[1]}" = 500 ]
	setup_bundle sh -c 'grep NoNewPrivs /proc/self/status'
	cfg '.process.noNewPrivileges = false'
	run_ct
	[[ "$output" == *"NoNewPrivs:	0"* ]]
}

@test "hostname and domainname" {
	setup_bundle sh -c 'hostname; cat /proc/sys/kernel/domainname'
	cfg '.hostname = "box1" | .domainname = "example.test"'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = example.test ]
}

@test "an AppArmor profile is refused by name on a kernel without AppArmor" {
	[ -e /sys/module/apparmor/parameters/enabled ] && skip "this kernel has AppArmor"
	setup_bundle true
	cfg '.process.apparmorProfile = "docker-default"'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.apparmorProfile"*"docker-default"* ]]
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
	setup_bundle uname -m
	cfg '.linux.personality = {"domain": "LINUX32"}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
}

@test "the process gets a terminal through the console socket" {
	setup_bundle sh -c 'tty; echo cols $(stty size)'
	cfg '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
	sock=$BATS_TEST_TMPDIR/console.sock
	"$BUILD/tests/recvtty" "$sock" > "$BATS_TEST_TMPDIR/tty.out" &
	recv=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/tty.out"
	rt create --bundle "$BUNDLE" --console-socket "$sock" "$ID" >/dev/null 2>&1 </dev/null
	rt start "$ID"
	wait "$recv"
	cat "$BATS_TEST_TMPDIR/tty.out"
	grep -q '/dev/pts/0' "$BATS_TEST_TMPDIR/tty.out"
	grep -q 'cols 30 100' "$BATS_TEST_TMPDIR/tty.out"
	rt delete -f "$ID"
}

@test "a terminal without a console socket is refused when detaching" {
	setup_bundle true
	cfg '.process.terminal = true'
	run_detached rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket"* ]]
}
