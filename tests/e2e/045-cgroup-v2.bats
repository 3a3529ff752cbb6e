#!/usr/bin/env bats
# A pure cgroup v2 host, made in a private mount namespace by mounting cgroup2
# at /sys/fs/cgroup: the runtime must detect it and use v2 files (freeze,
# kill, eBPF device filter, hugetlb when the controller is there).

load helpers

# v2 SCRIPT: run SCRIPT with bash in a mount namespace whose /sys/fs/cgroup is cgroup2.
v2() {
	unshare -m --propagation private bash -c "
		set -e
		umount -R /sys/fs/cgroup
		mount -t cgroup2 none /sys/fs/cgroup
		rt() { '$RUNTIME' --root '$STATE' \"\$@\"; }
		$1"
}

setup() {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && return 0
	grep -q cgroup2 /proc/filesystems || skip "this kernel has no cgroup2"
}

@test "v2: run, freeze and thaw, kill --all, delete removes the cgroup" {
	setup_bundle sh -c 'i=0; while true; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
	run v2 "
		rt run -d --bundle '$BUNDLE' '$ID' </dev/null >/dev/null 2>&1
		pid=\$(rt state '$ID' | jq .pid)
		grep -q '^0::$CGPATH\$' /proc/\$pid/cgroup && echo in-cgroup
		[ -f /sys/fs/cgroup$CGPATH/cgroup.freeze ] && echo v2-files
		sleep 0.3
		rt pause '$ID'
		rt state '$ID' | jq -r .status
		grep -q 'frozen 1' /sys/fs/cgroup$CGPATH/cgroup.events && echo frozen
		a=\$(cat '$BUNDLE/rootfs/tmp/tick'); sleep 0.3; b=\$(cat '$BUNDLE/rootfs/tmp/tick')
		[ \"\$a\" = \"\$b\" ] && echo still
		rt resume '$ID'
		sleep 0.3; c=\$(cat '$BUNDLE/rootfs/tmp/tick')
		[ \"\$c\" != \"\$b\" ] && echo moving
		rt kill --all '$ID' KILL
		for i in \$(seq 50); do [ \"\$(rt state '$ID' | jq -r .status)\" = stopped ] && break; sleep 0.1; done
		rt delete '$ID'
		[ ! -d /sys/fs/cgroup$CGPATH ] && echo removed
	"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'in-cgroup\nv2-files\npaused\nfrozen\nstill\nmoving\nremoved')" ]
}

@test "v2: the eBPF device filter denies what the rules deny" {
	setup_bundle sh -c 'mknod /tmp/loop0 b 7 0 2>/dev/null; head -c 1 /tmp/loop0 >/dev/null 2>&1 && echo opened || echo denied; head -c 1 /dev/zero | wc -c'
	cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}] | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	run v2 "rt run --bundle '$BUNDLE' '$ID'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = denied ]
	[ "${lines[1]}" = 1 ]
}

@test "v2: a limit whose controller this host does not offer is refused by name" {
	grep -qw pids /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null && skip "pids is available in cgroup v2 here"
	setup_bundle true
	cfg '.linux.resources.pids = {"limit": 10}'
	run v2 "rt run --bundle '$BUNDLE' '$ID'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.pids"* ]]
	[ ! -d "$STATE/$ID" ]
}

@test "v2: a cgroup namespace shows the container at the root" {
	setup_bundle cat /proc/self/cgroup
	run v2 "rt run --bundle '$BUNDLE' '$ID'"
	[ "$status" -eq 0 ]
	# the kernel lists its v1 hierarchies too; the unified line is rooted at the container
	[ "${lines[-1]}" = "0::/" ]
}

@test "v2: unified keys are written verbatim" {
	setup_bundle sleep 100
	cfg '.linux.resources.unified = {"cgroup.max.descendants": "3", "cgroup.max.depth": "2"}'
	run v2 "
		rt run -d --bundle '$BUNDLE' '$ID' </dev/null >/dev/null 2>&1
		cat /sys/fs/cgroup$CGPATH/cgroup.max.descendants /sys/fs/cgroup$CGPATH/cgroup.max.depth
		rt delete -f '$ID'"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3\n2')" ]
}
