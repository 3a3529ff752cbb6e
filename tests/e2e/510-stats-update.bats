#!/usr/bin/env bats
# stats and update end to end: the stats JSON in dockerd's shape read from
# the container's cgroup (v1 on this host) and network namespace, figures
# that move (cpu, memory, network, pids), both CLIs' tables and templates,
# stopped containers, streaming; update written to the live cgroup, kept in
# HostConfig across a daemon restart, refused as dockerd refuses it. Network
# traffic stays between containers on this file's own bridge.

load helpers
load daemon

api() {
	curl -sf --unix-socket "$SOCK" "http://x$1"
}

cid() {
	b inspect -f '{{.Id}}' "$1"
}

cg() { # cg CONTROLLER CONTAINER FILE
	cat "/sys/fs/cgroup/$1$CGPARENT/$(cid "$2")/$3"
}

@test "stats: a busy container shows cpu, an allocating one memory, pids counted" {
	b run -d --name busy busybox sh -c 'while :; do :; done'
	b run -d --name idle busybox sleep 1000
	sleep 0.3
	j=$(api "/containers/busy/stats?stream=0")
	jq -e '.cpu_stats.cpu_usage.total_usage > .precpu_stats.cpu_usage.total_usage
		and .cpu_stats.system_cpu_usage > .precpu_stats.system_cpu_usage' <<<"$j"
	pct=$(b stats --no-stream --format '{{.CPUPerc}}' busy)
	awk -v p="${pct%\%}" 'BEGIN { exit !(p > 10) }'
	pct=$(dk stats --no-stream --format '{{.CPUPerc}}' busy)
	awk -v p="${pct%\%}" 'BEGIN { exit !(p > 10) }'
	# memory: 40 MB in a tmpfs of the container count against its cgroup
	b run -d --name alloc --tmpfs /big busybox sleep 1000
	m0=$(api "/containers/alloc/stats?stream=0" | jq .memory_stats.usage)
	b exec alloc sh -c 'head -c 41943040 /dev/zero > /big/x'
	m1=$(api "/containers/alloc/stats?stream=0" | jq .memory_stats.usage)
	[ "$((m1 - m0))" -ge 40000000 ]
	mem=$(b stats --no-stream --format '{{.MemUsage}}' alloc)
	[[ "$mem" =~ ^4[0-9]\.[0-9]+MiB\ /\  ]]
	# pids: a shell and two sleeps
	b run -d --name pids busybox sh -c 'sleep 1000 & sleep 1000 & wait'
	pids3() { [ "$(api "/containers/pids/stats?stream=0&one-shot=1" | jq .pids_stats.current)" = 3 ]; }
	wait_for pids3
	[ "$(b stats --no-stream --format '{{.PIDs}}' pids)" = 3 ]
	[ "$(dk stats --no-stream --format '{{.PIDs}}' pids)" = 3 ]
	b rm -f busy idle alloc pids
}

@test "stats: network counters of a container talking to another one" {
	b run -d --name peer busybox sleep 1000
	b run -d --name talker busybox sleep 1000
	ip=$(b inspect -f '{{.NetworkSettings.IPAddress}}' peer)
	j0=$(api "/containers/talker/stats?stream=0&one-shot=1")
	b exec talker ping -c 5 -i 0.2 -s 1000 "$ip"
	j1=$(api "/containers/talker/stats?stream=0&one-shot=1")
	rx0=$(jq .networks.eth0.rx_bytes <<<"$j0") rx1=$(jq .networks.eth0.rx_bytes <<<"$j1")
	tx0=$(jq .networks.eth0.tx_bytes <<<"$j0") tx1=$(jq .networks.eth0.tx_bytes <<<"$j1")
	[ "$((rx1 - rx0))" -ge 5000 ]
	[ "$((tx1 - tx0))" -ge 5000 ]
	[ "$(jq '.networks.eth0.rx_packets - '"$(jq .networks.eth0.rx_packets <<<"$j0")" <<<"$j1")" -ge 5 ]
	# the CLIs sum it in kB
	[[ "$(b stats --no-stream --format '{{.NetIO}}' talker)" =~ ^[0-9.]+kB\ /\ [0-9.]+kB$ ]]
	[[ "$(dk stats --no-stream --format '{{.NetIO}}' talker)" =~ ^[0-9.]+kB\ /\ [0-9.]+kB$ ]]
	b rm -f peer talker
}

