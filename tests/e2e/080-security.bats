#!/usr/bin/env bats
# Escape attempts: the runtime binary through /proc/PID/exe (CVE-2019-5736),
# leaked descriptors and a working directory outside the root (CVE-2024-21626),
# mount targets through symlinks (see 030-rootfs).

load helpers

@test "no descriptor of the runtime reaches the container" {
	setup_bundle testinit fds
	run bash -c "exec 3</etc/passwd 4</etc/hostname 7>/dev/null; '$RUNTIME' --root '$STATE' run --bundle '$BUNDLE' '$ID'"
	[ "$status" -eq 0 ]
	[ "$output" = end ]
}

@test "--preserve-fds passes exactly the given descriptors" {
	setup_bundle testinit fds
	run bash -c "exec 3</etc/hostname 4</etc/passwd 5</etc/passwd; '$RUNTIME' --root '$STATE' run --preserve-fds 2 --bundle '$BUNDLE' '$ID'"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd 3 /etc/hostname" ]
	[ "${lines[1]}" = "fd 4 /etc/passwd" ]
	[ "${lines[2]}" = end ]
}

@test "a working directory through a leaked descriptor cannot leave the root" {
	for n in 3 4 5 6 7 8; do
		setup_bundle testinit cwd
		cfg ".process.cwd = \"/proc/self/fd/$n\""
		run bash -c "exec 7</sys/fs/cgroup 8</; '$RUNTIME' --root '$STATE' run --bundle '$BUNDLE' '$ID'"
		# Either refused, or (if the kernel resolved it inside the container) a path in the root.
		if [ "$status" -eq 0 ]; then
			[[ "$output" == /* ]]
			[[ "$output" != *unreachable* ]]
			[ ! -e "$output/memory" ] || [[ "$output" == /sys/fs/cgroup* ]]
		else
			[[ "$output" == *"process.cwd"* ]]
		fi
		rm -rf "$BUNDLE"
	done
}

@test "a container cannot open the runtime binary for writing through /proc/PID/exe" {
	sum_before=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
	setup_bundle testinit exe-writer 4
	cfg '.linux.namespaces |= map(select(.type != "pid"))' # see the runtime's processes too
	rt run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" </dev/null
	# exec into the container repeatedly while it tries to grab our binary
	for i in $(seq 30); do rt exec "$ID" sleep 0.02 || true; done
	wait_status stopped
	sleep 0.2
	rt delete -f "$ID"
	[ "$(sha256sum "$RUNTIME" | cut -d' ' -f1)" = "$sum_before" ]
	grep -q none "$BATS_TEST_TMPDIR/out"
	! grep -q wrote "$BATS_TEST_TMPDIR/out"
}

@test "an init visible to other processes runs from a sealed copy of the runtime" {
	setup_bundle testinit pause
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	pid=$(rt state "$ID" | jq .pid)
	[[ "$(readlink /proc/$pid/exe)" == *memfd:berth-runtime* ]]
	rt delete -f "$ID"
}

@test "an init in its own pid namespace is not dumpable until it execs" {
	setup_bundle testinit pause
	rt create --bundle "$BUNDLE" "$ID" >/dev/null 2>&1 </dev/null
	pid=$(rt state "$ID" | jq .pid)
	# Not dumpable: even uid 0 without CAP_SYS_PTRACE cannot follow its exe link.
	run setpriv --bounding-set -all --inh-caps -all readlink /proc/$pid/exe
	[ "$status" -ne 0 ]
	run readlink /proc/$pid/exe
	[ "$status" -eq 0 ]
	rt start "$ID"
	[[ "$(readlink /proc/$pid/exe)" == */testinit ]]
	rt delete -f "$ID"
}
