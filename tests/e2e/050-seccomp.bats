#!/usr/bin/env bats
# seccomp: configured errno, default action, argument conditions, kill actions,
# and Docker's default profile converted to OCI form.

load helpers

@test "a seccomp rule returns the configured errno" {
	setup_bundle testinit mkdir /tmp/d
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":42}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "errno 42" ]
}

@test "the default action with defaultErrnoRet" {
	setup_bundle testinit syscall personality
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[{"names":["execve","brk","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","mprotect","readlink","uname","write","exit_group","getuid","futex","newfstatat","fstat","getrandom","mmap","munmap","ioctl","rt_sigprocmask","rt_sigaction","capget","capset","setgroups","setresuid","setresgid","prctl","getcwd","close","close_range","fcntl","getppid","getpid","openat","read","lseek"],"action":"SCMP_ACT_ALLOW"}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "errno 38" ]
}

@test "argument conditions select which calls are refused" {
	setup_bundle sh -c 'testinit syscall personality; uname -m'
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "errno 13" ]
	[ "${lines[1]}" = x86_64 ]
}

@test "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	setup_bundle testinit mkdir /tmp/d
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL_PROCESS"}]}'
	run_ct
	[ "$status" -eq 159 ]
}

@test "seccomp with noNewPrivileges and a non-root user" {
	setup_bundle testinit mkdir /tmp/d
	cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true |
	     .linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":7}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "errno 7" ]
}

@test "Docker's default profile: unshare and mount are refused, normal work goes on" {
	setup_bundle sh -c 'testinit syscall unshare; testinit syscall mount; echo ok > /tmp/x; cat /tmp/x'
	profile=$(jq -c '{defaultAction, defaultErrnoRet,
		architectures: [.archMap[] | select(.architecture == "SCMP_ARCH_X86_64") | .architecture, .subArchitectures[]],
		syscalls: [.syscalls[] | select(((.includes.caps // []) | length) == 0) |
			select(((.includes.arches // []) | length) == 0 or (.includes.arches | index("amd64"))) |
			{names, action} + (if .errnoRet then {errnoRet} else {} end) + (if .args then {args} else {} end)]}' \
		"$BATS_TEST_DIRNAME/../data/docker-default-seccomp.json")
	cfg --argjson p "$profile" '.linux.seccomp = $p'
	run_ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "errno 1" ]
	[ "${lines[1]}" = "errno 1" ]
	[ "${lines[2]}" = ok ]
}

@test "an unknown architecture is refused by field path" {
	setup_bundle true
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_NOPE"]}'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_NOPE'"* ]]
	[ ! -d "$STATE/$ID" ]
}

@test "SCMP_ACT_NOTIFY hands the listener to the agent, which answers the calls" {
	setup_bundle testinit mkdir /tmp/d
	sock=$BATS_TEST_TMPDIR/agent.sock
	"$BUILD/tests/seccomp-agent" "$sock" 18 > "$BATS_TEST_TMPDIR/agent.out" &
	agent=$!
	wait_for grep -q listening "$BATS_TEST_TMPDIR/agent.out"
	cfg --arg s "$sock" '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":$s,"listenerMetadata":"hello","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}'
	run_ct
	kill $agent 2>/dev/null || true
	cat "$BATS_TEST_TMPDIR/agent.out"
	[ "$status" -eq 0 ]
	[ "$output" = "errno 18" ]
	grep '^state ' "$BATS_TEST_TMPDIR/agent.out" | cut -d' ' -f2- | jq -e --arg id "$ID" '.metadata == "hello" and .fds == ["seccompFd"] and .state.id == $id and .pid > 0'
	grep -q '^notified 83' "$BATS_TEST_TMPDIR/agent.out"
}

@test "SCMP_ACT_TRAP raises SIGSYS; SCMP_ACT_LOG with the log flag lets the call through" {
	setup_bundle testinit mkdir /tmp/d
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_TRAP"}]}'
	run_ct
	[ "$status" -eq 159 ]
	setup_bundle testinit mkdir /tmp/d
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_LOG"}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "SCMP_ACT_TRACE without a tracer fails the call with ENOSYS" {
	setup_bundle testinit mkdir /tmp/d
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_TRACE","errnoRet":5}]}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "errno 38" ]
}

@test "an unknown seccomp flag is refused by field path" {
	setup_bundle true
	cfg '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NOPE"]}'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.flags[0]"* ]]
}
