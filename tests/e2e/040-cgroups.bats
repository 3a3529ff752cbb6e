#!/usr/bin/env bats
# Resources on the host's cgroups (v1 controllers, and the unified hierarchy of
# a hybrid host): limits that really bite, pause and resume, cleanup.

load helpers

# cg_file CONTROLLER FILE: the container's file in a v1 hierarchy (or unified).
cg_file() {
	local d
	for d in /sys/fs/cgroup/$1 /sys/fs/cgroup; do
		[ -e "$d${CGPATH}/$2" ] && { echo "$d${CGPATH}/$2"; return 0; }
	done
	return 1
}

@test "a memory limit really kills a process that exceeds it" {
	setup_bundle testinit alloc 64
	cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	run_ct
	[ "$status" -eq 137 ]
	[[ "$output" != *"allocated 64"* ]]
	setup_bundle testinit alloc 8
	cfg '.linux.resources.memory = {"limit": 33554432}'
	run_ct
	[ "$status" -eq 0 ]
	[ "$output" = "allocated 8" ]
}

@test "a pids limit really stops fork" {
	setup_bundle testinit forks 20
	cfg '.linux.resources.pids = {"limit": 5}'
	run_ct
	[[ "$output" == *"forked 4 errno 11"* ]]
}

@test "cpu, cpuset, memory and blkio settings land in the cgroup files" {
	setup_bundle sleep 100
	cfg '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"} |
	     .linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swappiness": 10} |
	     .linux.resources.blockIO = {"weight": 300}'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	if f=$(cg_file cpu cpu.shares); then
		[ "$(cat "$f")" = 512 ]
		[ "$(cat "$(cg_file cpu cpu.cfs_quota_us)")" = 50000 ]
		[ "$(cat "$(cg_file cpu cpu.cfs_period_us)")" = 100000 ]
		[ "$(cat "$(cg_file memory memory.limit_in_bytes)")" = 67108864 ]
		[ "$(cat "$(cg_file memory memory.soft_limit_in_bytes)")" = 33554432 ]
		[ "$(cat "$(cg_file memory memory.swappiness)")" = 10 ]
		[ "$(cat "$(cg_file cpuset cpuset.cpus)")" = 0 ]
	else
		[ "$(cat "$(cg_file cpu cpu.max)")" = "50000 100000" ]
		[ "$(cat "$(cg_file memory memory.max)")" = 67108864 ]
	fi
	if f=$(cg_file blkio blkio.weight) || f=$(cg_file blkio blkio.bfq.weight); then
		grep -q 300 "$f"
	fi
	pid=$(rt state "$ID" | jq .pid)
	grep -q "berth-test/$ID" /proc/$pid/cgroup
	rt delete -f "$ID"
	[ -z "$(cgroup_dirs)" ]
}

@test "the devices cgroup refuses a device that the rules do not allow" {
	setup_bundle sh -c 'mknod /tmp/loop0 b 7 0 2>/dev/null; head -c 1 /tmp/loop0 >/dev/null 2>&1 && echo opened || echo denied'
	cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}] | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	run_ct
	[ "$status" -eq 0 ]
	[[ "$output" == *denied* ]]
}

@test "hugepage limits go to the hierarchy that has hugetlb" {
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this kernel"
	setup_bundle sleep 100
	cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	f=$(cg_file hugetlb hugetlb.2MB.limit_in_bytes || cg_file unified hugetlb.2MB.max || cg_file . hugetlb.2MB.max)
	[ "$(cat "$f")" = 4194304 ]
	rt delete -f "$ID"
}

@test "pause freezes and resume thaws" {
	setup_bundle sh -c 'i=0; while true; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	pid=$(rt state "$ID" | jq .pid)
	sleep 0.3
	rt pause "$ID"
	rt state "$ID" | jq -e '.status == "paused"'
	a=$(cat "$BUNDLE/rootfs/tmp/tick"); sleep 0.4; b=$(cat "$BUNDLE/rootfs/tmp/tick")
	[ "$a" = "$b" ]
	run rt exec "$ID" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"paused"* ]]
	rt resume "$ID"
	rt state "$ID" | jq -e '.status == "running"'
	sleep 0.4; c=$(cat "$BUNDLE/rootfs/tmp/tick")
	[ "$c" != "$b" ]
	run rt resume "$ID"
	[ "$status" -eq 1 ]
	rt delete -f "$ID"
	[ -z "$(cgroup_dirs)" ]
}

@test "delete --force of a paused container removes it" {
	setup_bundle sleep 100
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	rt pause "$ID"
	run rt delete --force "$ID"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs)" ]
}

@test "kill --all reaches processes outside the init's pid namespace" {
	setup_bundle sh -c 'sleep 100 & sleep 100 & wait'
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	rt run -d --bundle "$BUNDLE" "$ID" </dev/null
	wait_for nprocs_at_least 3
	pids=$(rt ps --format json "$ID" | jq -r '.[]')
	rt kill --all "$ID" KILL
	for p in $pids; do wait_for sh -c "! [ -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"; done
	rt delete -f "$ID"
	[ -z "$(cgroup_dirs)" ]
}

@test "a unified (cgroup v2) key on a host without it is refused and leaves nothing" {
	mountpoint -q /sys/fs/cgroup/unified || [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "no cgroup2 here"
	setup_bundle true
	cfg '.linux.resources.unified = {"memory.high": "1000000"}'
	run_ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"memory.high"* ]]
	[ -z "$(cgroup_dirs)" ]
	[ ! -d "$STATE/$ID" ]
}
