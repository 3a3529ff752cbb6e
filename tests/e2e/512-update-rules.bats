#!/usr/bin/env bats
# update follows dockerd's rules, checked against dockerd 20.10 and moby's
# source: values refused by verifyContainerSettings are a 400 with the bare
# message; conflicts with the container's current settings are a 409
# "Cannot update container ID: ..."; a memory limit above the memory-swap
# dockerd keeps (twice the memory given alone at create, none without a
# limit) needs --memory-swap in the same update; cpusets are checked against
# the host's; the answer's Warnings is null when there are none.

load helpers
load daemon

cid() { b inspect -f '{{.Id}}' "$1"; }

api_update() {
	curl -s -X POST -H 'Content-Type: application/json' -d "$2" \
		--unix-socket "$SOCK" "http://d/v1.45/containers/$1/update" -w ' %{http_code}' | tr -d '\n'
}

@test "update: values dockerd refuses are 400 with its bare message, in both CLIs" {
	b run -d --name v1 -m 64m busybox sleep 1000 >/dev/null
	have=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus 2>/dev/null || cat /sys/devices/system/cpu/online)
	for cli in b dk; do
		run $cli update -m 1m v1
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: Minimum memory limit allowed is 6MB" ]
		run $cli update --cpus 0.5 --cpu-quota 50000 v1
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: Conflicting options: Nano CPUs and CPU Quota cannot both be set" ]
		run $cli update --cpu-period 500 v1
		[ "$output" = "Error response from daemon: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)" ]
		run $cli update --cpuset-cpus 1000 v1
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: Requested CPUs are not available - requested 1000, available: $have" ]
		run $cli update --cpuset-cpus 0- v1
		[ "$output" = "Error response from daemon: Invalid value 0- for cpuset cpus" ]
		run $cli update --cpuset-mems 0,64 v1
		[[ "$output" == "Error response from daemon: Requested memory nodes are not available - requested 0,64, available: "* ]]
	done
	run api_update v1 '{"Memory": 1000}'
	[ "$output" = '{"message":"Minimum memory limit allowed is 6MB"} 400' ]
	[ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.CpusetCpus}}' v1)" = "67108864 " ]
}

@test "update: a memory limit above the kept memory-swap is a 409 conflict, as dockerd" {
	b run -d --name m0 busybox sleep 1000 >/dev/null
	b run -d --name m64 -m 64m busybox sleep 1000 >/dev/null
	msg="Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
	for cli in b dk; do
		# no limit at create: dockerd keeps MemorySwap 0, so -m alone conflicts
		run $cli update -m 32m m0
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: Cannot update container $(cid m0): $msg" ]
	done
	run api_update m0 '{"Memory": 33554432}'
	[ "$output" = "{\"message\":\"Cannot update container $(cid m0): $msg\"} 409" ]
	# with --memory-swap it goes through, to the live cgroup
	run b update -m 32m --memory-swap 64m m0
	[ "$status" -eq 0 ]
	[ "$output" = m0 ]
	d=/sys/fs/cgroup/memory$CGPARENT/$(cid m0)
	[ "$(cat "$d/memory.limit_in_bytes")" = 33554432 ]
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 67108864 ]
	# -m 64m alone: memory-swap 128m as dockerd keeps it; up to it -m alone works
	run dk update -m 100m m64
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' m64)" = "104857600 134217728" ]
	run b update -m 200m m64
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: Cannot update container $(cid m64): $msg" ]
	run b update -m 200m --memory-swap -1 m64
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' m64)" = "209715200 -1" ]
	[ "$(cat "/sys/fs/cgroup/memory$CGPARENT/$(cid m64)/memory.limit_in_bytes")" = 209715200 ]
}

@test "update: dockerd's answer shape, Warnings null" {
	b run -d --name warn busybox sleep 1000 >/dev/null
	run api_update warn '{"CpuShares": 512}'
	[ "$output" = '{"Warnings":null} 200' ]
	run api_update nosuch '{"CpuShares": 512}'
	[ "$output" = '{"message":"No such container: nosuch"} 404' ]
	[ "$(cat "/sys/fs/cgroup/cpu$CGPARENT/$(cid warn)/cpu.shares")" = 512 ]
}
