#!/usr/bin/env bats
# stats on a pure cgroup v2 host: berthd runs in a private mount namespace
# whose /sys/fs/cgroup is cgroup2 (as tests/e2e/045-cgroup-v2.bats makes one),
# so the runtime puts containers in the unified hierarchy and the stats come
# from its files (cpu.stat in microseconds; memory.current, memory.stat,
# pids.current and io.stat where this host lets cgroup2 have the controller).
# From the host the unified hierarchy is /sys/fs/cgroup/unified (hybrid) or
# /sys/fs/cgroup (v2).

load helpers
load daemon

setup_file() {
	grep -q cgroup2 /proc/filesystems || skip "this kernel has no cgroup2"
	# berthd started through a wrapper that gives it the cgroup2-only view
	local real=$BERTHD
	BERTHD=$BATS_FILE_TMPDIR/berthd-v2
	cat >"$BERTHD" <<-EOF
	#!/bin/sh
	exec unshare -m --propagation private sh -c 'umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec "\$0" "\$@"' "$real" "\$@"
	EOF
	chmod +x "$BERTHD"
	export BERTHD
	start_berthd
	load_busybox
}

teardown_file() {
	cleanup_berthd
}

# The unified directory of container $1 as the host sees it.
v2_dir() {
	local base=/sys/fs/cgroup/unified
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && base=/sys/fs/cgroup
	echo "$base$CGPARENT/$(b inspect -f '{{.Id}}' "$1")"
}

# v2_has CONTROLLER: whether the container cgroups get that controller.
v2_has() {
	local base=/sys/fs/cgroup/unified
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && base=/sys/fs/cgroup
	grep -qw "$1" "$base/cgroup.controllers"
}

stats_json() {
	curl -sf --unix-socket "$SOCK" "http://d/v1.45/containers/$1/stats?stream=0"
}

@test "v2: the container's cgroup is in the unified hierarchy and stats read its cpu.stat" {
	b run -d --name v2busy busybox sh -c 'while :; do :; done' >/dev/null
	dir=$(v2_dir v2busy)
	[ -f "$dir/cpu.stat" ]
	grep -q usage_usec "$dir/cpu.stat"
	sleep 0.5
	run stats_json v2busy
	[ "$status" -eq 0 ]
	echo "$output" | jq -c .cpu_stats
	file_ns=$(($(awk '$1 == "usage_usec" {print $2}' "$dir/cpu.stat") * 1000))
	total=$(echo "$output" | jq .cpu_stats.cpu_usage.total_usage)
	pre=$(echo "$output" | jq .precpu_stats.cpu_usage.total_usage)
	# total_usage is usage_usec in ns, read before the file here
	[ "$total" -gt 0 ]
	[ "$total" -le "$file_ns" ]
	[ $((total % 1000)) -eq 0 ]
	[ "$pre" -gt 0 ]
	[ "$total" -gt "$pre" ]
	# v2 has no per-cpu usage; user and kernel time from user_usec/system_usec
	[ "$(echo "$output" | jq '.cpu_stats.cpu_usage | has("percpu_usage")')" = false ]
	[ "$(echo "$output" | jq '.cpu_stats.cpu_usage.usage_in_usermode')" -gt 0 ]
	[ "$(echo "$output" | jq .cpu_stats.online_cpus)" -eq "$(grep -c '^cpu[0-9]' /proc/stat)" ]
	[ "$(echo "$output" | jq .cpu_stats.system_cpu_usage)" -gt "$(echo "$output" | jq .precpu_stats.system_cpu_usage)" ]
	[ "$(echo "$output" | jq -r .name)" = /v2busy ]
	# network from the container's namespace, whatever the cgroup version
	[ "$(echo "$output" | jq '.networks.eth0 | has("rx_bytes")')" = true ]
}

@test "v2: the docker CLI and berth show a CPU % above zero for a busy container" {
	for cli in b dk; do
		run $cli stats --no-stream --format '{{.Name}} {{.CPUPerc}}' v2busy
		echo "$cli: $output"
		[ "$status" -eq 0 ]
		[[ "$output" =~ ^v2busy\ [0-9]+\.[0-9]{2}%$ ]]
		[ "${output#v2busy }" != 0.00% ]
	done
}

@test "v2: memory from memory.current and memory.stat (anon, inactive_file) when cgroup2 has the controller" {
	v2_has memory || skip "this host gives the memory controller to cgroup v1"
	b run -d --name v2mem busybox sleep 1000 >/dev/null
	dir=$(v2_dir v2mem)
	run stats_json v2mem
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq .memory_stats.usage)" -gt 0 ]
	[ "$(echo "$output" | jq '.memory_stats.stats | has("anon") and has("inactive_file")')" = true ]
	[ "$(echo "$output" | jq '.memory_stats | has("max_usage")')" = false ]
	[ -f "$dir/memory.current" ]
}

@test "v2: pids from pids.current when cgroup2 has the controller" {
	v2_has pids || skip "this host gives the pids controller to cgroup v1"
	b run -d --name v2pids busybox sh -c 'sleep 1000 & sleep 1000' >/dev/null
	sleep 0.3
	run stats_json v2pids
	[ "$(echo "$output" | jq .pids_stats.current)" -eq 3 ]
}

@test "v2: a stopped container gets docker's zeroed stats" {
	b create --name v2stopped busybox true >/dev/null
	run stats_json v2stopped
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .read)" = 0001-01-01T00:00:00Z ]
	[ "$(echo "$output" | jq .cpu_stats.cpu_usage.total_usage)" -eq 0 ]
	[ "$(echo "$output" | jq -c .memory_stats)" = '{}' ]
}
