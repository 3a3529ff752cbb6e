#!/usr/bin/env bats
# stats and update end to end: the stats JSON in dockerd's shape read from
# the container's cgroup (v1 on this host) and network namespace, figures
# that move (cpu, memory, network, pids), both CLIs' tables and templates,
# stopped containers, streaming; update written to the live cgroup, kept in
# HostConfig across a daemon restart, refused as dockerd refuses it. Network
# traffic stays between containers on this file's own bridge.

load helpers
load daemon

bats_require_minimum_version 1.5.0

api() {
	curl -sf --unix-socket "$SOCK" "http://x$1"
}

cid() {
	b inspect -f '{{.Id}}' "$1"
}

cg() { # cg CONTROLLER CONTAINER FILE
	cat "/sys/fs/cgroup/$1$CGPARENT/$(cid "$2")/$3"
}

# Every test removes its containers, also when it fails (with the daemon
# started again if the test failed while it was stopped).
teardown() {
	local p
	[ -f "$BATS_FILE_TMPDIR/berthd.pid" ] || start_berthd >/dev/null 2>&1 || true
	for p in $(cat "$BATS_TEST_TMPDIR"/bg.pid 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	for p in $(b ps -aq 2>/dev/null); do b rm -f "$p" >/dev/null 2>&1; done
	return 0
}

# bg FILE CMD...: CMD in the background, its output in FILE, fd 3 closed,
# killed by teardown if the test does not. No timeout(1) around it: a SIGKILL
# of timeout would leave CMD running.
bg() {
	local out=$1
	shift
	"$@" >"$out" 2>&1 3>&- </dev/null &
	BG_PID=$!
	echo "$BG_PID" >>"$BATS_TEST_TMPDIR/bg.pid"
}

# stop_bg PID...: kill background commands, quietly.
stop_bg() {
	local p
	for p in "$@"; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null || true
	done
}

# frames FILE: the number of complete frames of a streaming stats CLI.
frames() {
	grep -o $'\e\\[J' "$1" 2>/dev/null | wc -l
}

# last_frame FILE: the last complete frame of a streaming stats CLI, without
# its control sequences.
last_frame() {
	awk 'BEGIN { RS = "\033\\[J" } { f = $0 } END { print f }' "$1" | tr -d '\033' | sed 's/\[H//g; s/ \[K$//'
}

# The stable columns of a stats table: ID, NAME, the limit of MEM USAGE / LIMIT
# and PIDS (of idle containers), the header squeezed.
stable_cols() {
	sed -n '1s/  */ /gp' <<<"$1"
	awk -F '   +' 'NR > 1 { sub(/^.* \/ /, "", $4); print $1, $2, $4, $NF }' <<<"$1" | sort
}

# The HostConfig limits update changes, in one line.
limits() {
	b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpusetCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.BlkioWeight}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' "$1"
}

# The same limits as the container's v1 cgroup files hold them.
cg_limits() {
	echo "$(cg memory "$1" memory.limit_in_bytes) $(cg memory "$1" memory.memsw.limit_in_bytes)" \
		"$(cg memory "$1" memory.soft_limit_in_bytes) $(cg cpu "$1" cpu.shares)" \
		"$(cg cpu "$1" cpu.cfs_quota_us) $(cg cpu "$1" cpu.cfs_period_us)" \
		"$(cg cpuset "$1" cpuset.cpus) $(cg pids "$1" pids.max)"
}

@test "stats: a busy container shows cpu, an allocating one memory, pids counted" {
	b run -d --name busy busybox sh -c 'while :; do :; done'
	b run -d --name idle busybox sleep 1000
	busy_cpu() { [ "$(api "/containers/busy/stats?stream=0&one-shot=1" | jq .cpu_stats.cpu_usage.total_usage)" -gt 50000000 ]; }
	wait_for busy_cpu
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


@test "stats API: dockerd's keys, the memory limit with and without -m, a stopped container zeroed" {
	b run -d --name shape busybox sleep 1000
	b run -d --name lim -m 64m busybox sleep 1000
	b create --name off busybox true
	j=$(api "/containers/shape/stats?stream=0")
	[ "$(jq -c 'keys' <<<"$j")" = '["blkio_stats","cpu_stats","id","memory_stats","name","networks","num_procs","pids_stats","precpu_stats","preread","read","storage_stats"]' ]
	[ "$(jq -r '.name + " " + .id' <<<"$j")" = "/shape $(cid shape)" ]
	jq -e '.read != "0001-01-01T00:00:00Z" and .preread != "0001-01-01T00:00:00Z"
		and .pids_stats.current == 1 and .num_procs == 0 and .storage_stats == {}
		and (.cpu_stats.cpu_usage.total_usage > 0) and .cpu_stats.online_cpus > 0
		and .precpu_stats.system_cpu_usage < .cpu_stats.system_cpu_usage
		and .memory_stats.usage > 0 and (.memory_stats.stats | has("total_inactive_file"))
		and (.networks.eth0 | has("rx_bytes") and has("tx_packets"))' <<<"$j"
	# v1: the eight blkio lists, arrays for a running container as dockerd's
	jq -e '.blkio_stats | keys == ["io_merged_recursive","io_queue_recursive",
		"io_service_bytes_recursive","io_service_time_recursive","io_serviced_recursive",
		"io_time_recursive","io_wait_time_recursive","sectors_recursive"]
		and all(.[]; type == "array")' <<<"$j"
	host=$(awk '/^MemTotal:/ { printf "%.0f", $2 * 1024 }' /proc/meminfo)
	limit=$(jq .memory_stats.limit <<<"$j")
	# MemTotal is in kB, rounded down
	[ "$limit" -gt 0 ] && [ "$((limit / 1024))" -le "$((host / 1024))" ]
	[ "$(api "/containers/lim/stats?stream=0" | jq .memory_stats.limit)" = 67108864 ]
	# a container that does not run: dockerd's answer, name and id only
	id=$(cid off)
	want='{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","pids_stats":{},
	"blkio_stats":{"io_service_bytes_recursive":null,"io_serviced_recursive":null,
	"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,
	"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null},"num_procs":0,
	"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,
	"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},
	"precpu_stats":{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},
	"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{},
	"name":"/off","id":"'$id'"}'
	[ "$(api "/containers/off/stats?stream=0" | jq -cS .)" = "$(jq -cS . <<<"$want")" ]
	# stopped after running: the same
	b stop -t 0 lim
	[ "$(api "/containers/lim/stats?stream=0" | jq -cS 'del(.id)')" = \
		"$(jq -cS 'del(.id) | .name = "/lim"' <<<"$want")" ]
	run curl -s --unix-socket "$SOCK" "http://x/containers/nosuch/stats?stream=0" -w ' %{http_code}'
	[ "$(tr -d '\n' <<<"$output")" = '{"message":"No such container: nosuch"} 404' ]
}

@test "stats: berth's and docker's tables, templates, json, --no-trunc and -a with a stopped container" {
	for c in $(b ps -aq); do b rm -f "$c"; done
	b run -d --name t1 busybox sleep 1000
	b run -d --name t2 -m 32m busybox sleep 1000
	b create --name t3 busybox true
	bt=$(b stats --no-stream)
	dt=$(dk stats --no-stream)
	# the header's padding follows the cells, which move: compared squeezed
	[ "$(stable_cols "$bt" | head -1)" = "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" ]
	[ "$(stable_cols "$bt")" = "$(stable_cols "$dt")" ]
	want="$(cid t1 | cut -c1-12) t1 $(jq -r .memory_stats.limit <<<"$(api "/containers/t1/stats?stream=0&one-shot=1")") 1"
	[ "$(stable_cols "$bt" | grep ' t1 ' | cut -d' ' -f1,2,4)" = "$(cut -d' ' -f1,2,4 <<<"$want")" ]
	[ "$(stable_cols "$bt" | grep ' t2 ')" = "$(cid t2 | cut -c1-12) t2 32MiB 1" ]
	[ "$(wc -l <<<"$bt")" = 3 ] # header, t1, t2: t3 does not run
	# templates
	f='{{.Container}}|{{.Name}}|{{.ID}}|{{.PIDs}}'
	[ "$(b stats --no-stream --format "$f" t2 t1)" = "t2|t2|$(cid t2 | cut -c1-12)|1
t1|t1|$(cid t1 | cut -c1-12)|1" ]
	[ "$(dk stats --no-stream --format "$f" t2 t1)" = "$(b stats --no-stream --format "$f" t2 t1)" ]
	[ "$(b stats --no-stream --format "table {{.Name}}\t{{.PIDs}}" t1)" = "NAME      PIDS
t1        1" ]
	[ "$(dk stats --no-stream --format "table {{.Name}}\t{{.PIDs}}" t1)" = "NAME      PIDS
t1        1" ]
	# json: the same keys and stable values
	keep='del(.CPUPerc, .MemPerc, .NetIO, .BlockIO) | .MemUsage |= sub(".* / "; "")'
	[ "$(b stats --no-stream --format json t2 | jq -cS "$keep")" = \
		"$(dk stats --no-stream --format json t2 | jq -cS "$keep")" ]
	[ "$(b stats --no-stream --format json t2 | jq -r 'keys | join(",")')" = \
		"BlockIO,CPUPerc,Container,ID,MemPerc,MemUsage,Name,NetIO,PIDs" ]
	# --no-trunc: the whole id
	[ "$(b stats --no-stream --no-trunc --format '{{.ID}}' t1)" = "$(cid t1)" ]
	[ "$(dk stats --no-stream --no-trunc --format '{{.ID}}' t1)" = "$(cid t1)" ]
	# -a: the stopped container in zeros, as dockerd shows it
	f='{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}'
	[ "$(b stats --no-stream -a --format "$f" | grep '^t3 ')" = "t3 0.00% 0B / 0B 0.00% 0B / 0B 0B / 0B 0" ]
	[ "$(dk stats --no-stream -a --format "$f" | grep '^t3 ')" = "t3 0.00% 0B / 0B 0.00% 0B / 0B 0B / 0B 0" ]
	[ "$(b stats --no-stream -a --format json t3)" = "$(dk stats --no-stream -a --format json t3)" ]
	[ "$(b stats --no-stream -a | wc -l)" = 4 ]
	# a bad field: docker's error from both
	run b stats --no-stream --format '{{.Nope}}' t1
	[ "$status" -eq 1 ]
	[ "$output" = 'template parsing error: template: :1:2: executing "" at <.Nope>: can'"'"'t evaluate field Nope in type *container.statsContext' ]
	run dk stats --no-stream --format '{{.Nope}}' t1
	[ "$status" -eq 1 ]
	[[ "$output" == *'can'"'"'t evaluate field Nope in type *container.statsContext' ]]
	# an unknown container: an error, no table
	for cli in b dk; do
		run $cli stats --no-stream t1 nosuch
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: No such container: nosuch" ]
	done
}

@test "stats streaming: both CLIs redraw with docker's sequences; the API sends one JSON a second" {
	b run -d --name s1 busybox sleep 1000
	f='{{.Name}} {{.PIDs}}'
	bg "$BATS_TEST_TMPDIR/b.out" "$BERTH" -H "unix://$SOCK" stats --format "$f" s1
	bpid=$BG_PID
	bg "$BATS_TEST_TMPDIR/dk.out" env DOCKER_HOST="unix://$SOCK" "$DOCKER" stats --format "$f" s1
	dpid=$BG_PID
	bg "$BATS_TEST_TMPDIR/api.out" curl -sN --unix-socket "$SOCK" "http://x/containers/s1/stats"
	apid=$BG_PID
	three() { [ "$(frames "$BATS_TEST_TMPDIR/b.out")" -ge 3 ] && [ "$(frames "$BATS_TEST_TMPDIR/dk.out")" -ge 3 ] &&
		[ "$(wc -l <"$BATS_TEST_TMPDIR/api.out")" -ge 3 ]; }
	wait_for three || wait_for three
	stop_bg "$bpid" "$dpid" "$apid"
	# one frame: "\e[H", the rows, the same again with " \e[K" on every line, "\e[J"
	frame=$'\e[Hs1 1\n\e[Hs1 1 \e[K\n \e[K\n\e[J'
	[ "$(head -c $((2 * ${#frame})) "$BATS_TEST_TMPDIR/b.out")" = "$frame$frame" ]
	[ "$(head -c $((2 * ${#frame})) "$BATS_TEST_TMPDIR/dk.out")" = "$frame$frame" ]
	# the API: each frame's precpu is the cpu of the one before, a second apart
	head -3 "$BATS_TEST_TMPDIR/api.out" >"$BATS_TEST_TMPDIR/api3"
	jq -se 'length == 3 and .[1].precpu_stats == .[0].cpu_stats and .[2].precpu_stats == .[1].cpu_stats
		and .[1].preread == .[0].read and .[2].preread == .[1].read
		and all(.[]; .name == "/s1")' "$BATS_TEST_TMPDIR/api3"
	for i in 0 1; do
		t0=$(date -d "$(jq -sr ".[$i].read" "$BATS_TEST_TMPDIR/api3")" +%s%N)
		t1=$(date -d "$(jq -sr ".[$((i + 1))].read" "$BATS_TEST_TMPDIR/api3")" +%s%N)
		[ $((t1 - t0)) -ge 900000000 ] && [ $((t1 - t0)) -le 1900000000 ]
	done
}

@test "stats streaming: a container removed while streamed ends the API stream, leaves the CLIs' tables" {
	b run -d --name gone busybox sleep 1000
	b run -d --name stays busybox sleep 1000
	bg "$BATS_TEST_TMPDIR/api.out" curl -sN --unix-socket "$SOCK" "http://x/containers/gone/stats"
	apid=$BG_PID
	f='{{.Name}}'
	# all running containers: the row goes away
	bg "$BATS_TEST_TMPDIR/b-all.out" "$BERTH" -H "unix://$SOCK" stats --format "$f"
	ball=$BG_PID
	bg "$BATS_TEST_TMPDIR/dk-all.out" env DOCKER_HOST="unix://$SOCK" "$DOCKER" stats --format "$f"
	dall=$BG_PID
	# named: the row stays, in "--" (the docker CLI keeps streaming; it ends
	# on the third SIGTERM only, so it is killed with SIGKILL)
	bg "$BATS_TEST_TMPDIR/b-one.out" "$BERTH" -H "unix://$SOCK" stats gone
	bone=$BG_PID
	bg "$BATS_TEST_TMPDIR/dk-one.out" env DOCKER_HOST="unix://$SOCK" "$DOCKER" stats gone
	done=$BG_PID
	started() {
		local o
		for o in b-all dk-all b-one dk-one; do
			[ "$(frames "$BATS_TEST_TMPDIR/$o.out")" -ge 1 ] || return 1
		done
		[ -s "$BATS_TEST_TMPDIR/api.out" ]
	}
	wait_for started
	grep -q '^gone' "$BATS_TEST_TMPDIR/b-all.out"
	grep -q '^gone' "$BATS_TEST_TMPDIR/dk-all.out"
	b rm -f gone
	# the stream ends by itself: curl exits 0
	curl_done() { ! kill -0 "$apid" 2>/dev/null; }
	wait_for curl_done
	wait "$apid"
	# last frames: only "stays" in both tables of all containers
	gone_all() { ! last_frame "$BATS_TEST_TMPDIR/$1-all.out" | grep -q '^gone' &&
		last_frame "$BATS_TEST_TMPDIR/$1-all.out" | grep -q '^stays'; }
	wait_for gone_all b || { cat -v "$BATS_TEST_TMPDIR/b-all.out" | tail -20; last_frame "$BATS_TEST_TMPDIR/b-all.out"; false; }
	wait_for gone_all dk
	dashes() { last_frame "$BATS_TEST_TMPDIR/$1-one.out" | grep -q '   gone  *--  *-- / --  *--  *--  *--  *--$'; }
	wait_for dashes b || { tail -c 600 "$BATS_TEST_TMPDIR/b.out" | cat -v; false; }
	wait_for dashes dk
	# berth's "--" frame is the docker CLI's, byte for byte
	[ "$(last_frame "$BATS_TEST_TMPDIR/b-one.out")" = "$(last_frame "$BATS_TEST_TMPDIR/dk-one.out")" ]
	stop_bg "$ball" "$dall" "$bone" "$done"
}

@test "update: a running container's live cgroup and HostConfig, from both CLIs" {
	b run -d --name live busybox sleep 1000
	b run -d --name quota busybox sleep 1000
	[ "$(cg_limits live)" = "9223372036854771712 9223372036854771712 9223372036854771712 1024 -1 100000 0-1 max" ]
	run b update -m 64m --memory-swap 128m --memory-reservation 32m --cpus 0.5 --cpu-shares 512 \
		--cpuset-cpus 0 --pids-limit 20 live
	[ "$status" -eq 0 ]
	[ "$output" = live ]
	[ "$(cg_limits live)" = "67108864 134217728 33554432 512 50000 100000 0 20" ]
	[ "$(limits live)" = "67108864 134217728 33554432 500000000 512 0 0 0 20 0 no:0" ]
	run dk update -m 96m --memory-swap 192m --memory-reservation 48m --cpus 1.5 -c 256 \
		--cpuset-cpus 1 --pids-limit 30 live
	[ "$status" -eq 0 ]
	[ "$output" = live ]
	[ "$(cg_limits live)" = "100663296 201326592 50331648 256 150000 100000 1 30" ]
	[ "$(limits live)" = "100663296 201326592 50331648 1500000000 256 0 0 1 30 0 no:0" ]
	# the limits hold inside: 21 more processes fail with 20 allowed... here 30
	run b exec live sh -c 'for i in $(seq 40); do sleep 5 & done 2>/dev/null; wait'
	[ "$(cg pids live pids.events | awk '{ print $2 }')" -gt 0 ]
	# --cpu-quota / --cpu-period, and -1 for no pids limit
	run dk update --cpu-quota 25000 --cpu-period 50000 --pids-limit -1 quota
	[ "$status" -eq 0 ]
	[ "$(cg cpu quota cpu.cfs_quota_us) $(cg cpu quota cpu.cfs_period_us) $(cg pids quota pids.max)" = "25000 50000 max" ]
	[ "$(b inspect -f '{{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.PidsLimit}}' quota)" = "25000 50000 -1" ]
	run b update --cpu-quota 40000 quota
	[ "$(cg cpu quota cpu.cfs_quota_us) $(cg cpu quota cpu.cfs_period_us)" = "40000 50000" ]
	# --blkio-weight: written where the host has weights, else dropped with
	# dockerd's warning (printed after the names, as the docker CLI does)
	if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
		run b update --blkio-weight 300 live
		[ "$status" -eq 0 ]
		w=$(cat "/sys/fs/cgroup/blkio$CGPARENT/$(cid live)/blkio.weight" 2>/dev/null ||
			cat "/sys/fs/cgroup/blkio$CGPARENT/$(cid live)/blkio.bfq.weight")
		[[ "$w" == *300* ]]
		[ "$(b inspect -f '{{.HostConfig.BlkioWeight}}' live)" = 300 ]
	else
		msg="Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
		for cli in b dk; do
			run $cli update --blkio-weight 300 live
			[ "$status" -eq 0 ]
			[ "$output" = "live
$msg" ]
		done
		[ "$(b inspect -f '{{.HostConfig.BlkioWeight}}' live)" = 0 ]
		# create drops it the same way, and both CLIs print the warning
		for cli in b dk; do
			run --separate-stderr $cli create --name "bw-$cli" --blkio-weight 300 busybox true
			[ "$status" -eq 0 ]
			[ "$stderr" = "WARNING: $msg" ]
			[ "$(b inspect -f '{{.HostConfig.BlkioWeight}}' "bw-$cli")" = 0 ]
		done
		b rm "bw-b" "bw-dk" >/dev/null
	fi
}

@test "update: a stopped container's HostConfig, applied to the cgroup at the next start" {
	b run -d --name cold busybox sleep 1000
	b stop -t 0 cold
	b create --name new busybox sleep 1000
	run dk update -m 48m --memory-swap 96m --memory-reservation 24m --cpus 0.25 -c 300 \
		--cpuset-cpus 1 --pids-limit 15 cold
	[ "$status" -eq 0 ]
	[ "$(limits cold)" = "50331648 100663296 25165824 250000000 300 0 0 1 15 0 no:0" ]
	run b update --cpu-quota 30000 --cpu-period 60000 --pids-limit 25 -m 40m --memory-swap 80m new
	[ "$status" -eq 0 ]
	[ "$(limits new)" = "41943040 83886080 0 0 0 30000 60000  25 0 no:0" ]
	b start cold
	b start new
	[ "$(cg_limits cold)" = "50331648 100663296 25165824 300 25000 100000 1 15" ]
	[ "$(cg_limits new)" = "41943040 83886080 9223372036854771712 1024 30000 60000 0-1 25" ]
	# the container sees its limit
	[ "$(b exec cold cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 50331648 ]
}

@test "update: --restart changes the policy that restarts the container; refused with --rm and for bad names" {
	b run -d --name pol busybox sleep 1000
	run b update --restart on-failure:3 pol
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' pol)" = on-failure:3 ]
	run dk update --restart always pol
	[ "$status" -eq 0 ]
	[ "$(b inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' pol)" = always:0 ]
	# the new policy acts: killed from outside, the container comes back
	pid=$(b inspect -f '{{.State.Pid}}' pol)
	kill -KILL "$pid"
	back() { [ "$(b inspect -f '{{.State.Running}} {{.RestartCount}}' pol)" = "true 1" ]; }
	wait_for back
	[ "$(b inspect -f '{{.State.Pid}}' pol)" != "$pid" ]
	# --rm: dockerd's 409, the policy stays "no"
	b run -d --rm --name auto busybox sleep 1000
	for cli in b dk; do
		run $cli update --restart always auto
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: Cannot update container $(cid auto): Restart policy cannot be updated because AutoRemove is enabled for the container" ]
	done
	[ "$(b inspect -f '{{.HostConfig.RestartPolicy.Name}}' auto)" = no ]
	run b update --restart no auto
	[ "$status" -eq 0 ]
	# bad policies: moby's ValidateRestartPolicy words, 400, nothing changed
	for cli in b dk; do
		run $cli update --restart bogus pol
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'" ]
		run $cli update --restart always:2 pol
		[ "$output" = "Error response from daemon: invalid restart policy: maximum retry count can only be used with 'on-failure'" ]
		run $cli update --restart on-failure:-1 pol
		[ "$output" = "Error response from daemon: invalid restart policy: maximum retry count cannot be negative" ]
	done
	msg="invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
	run curl -s -X POST -H 'Content-Type: application/json' -d '{"RestartPolicy":{"Name":"bogus"}}' \
		--unix-socket "$SOCK" "http://x/containers/pol/update" -w ' %{http_code}'
	[ "$(tr -d '\n' <<<"$output")" = "{\"message\":\"$msg\"} 400" ]
	[ "$(b inspect -f '{{.HostConfig.RestartPolicy.Name}}' pol)" = always ]
}

@test "update: kept across a daemon restart and a SIGKILL of berthd, applied again at start" {
	b run -d --name keep busybox sleep 1000
	b run -d --name parked busybox sleep 1000
	b stop -t 0 parked
	b update -m 96m --memory-swap 192m --cpus 0.5 --cpu-shares 300 --pids-limit 40 --restart on-failure:2 keep
	dk update -m 72m --memory-swap 144m --pids-limit 35 parked
	want_keep="100663296 201326592 0 500000000 300 0 0  40 0 on-failure:2"
	want_parked="75497472 150994944 0 0 0 0 0  35 0 no:0"
	# a named container's stats stream while the daemon is away: rows of
	# "--" in both CLIs, which go on (as the docker CLI does)
	bg "$BATS_TEST_TMPDIR/b.out" "$BERTH" -H "unix://$SOCK" stats keep
	bpid=$BG_PID
	bg "$BATS_TEST_TMPDIR/dk.out" env DOCKER_HOST="unix://$SOCK" "$DOCKER" stats keep
	dpid=$BG_PID
	streaming() { [ "$(frames "$BATS_TEST_TMPDIR/b.out")" -ge 1 ] && [ "$(frames "$BATS_TEST_TMPDIR/dk.out")" -ge 1 ]; }
	wait_for streaming
	stop_berthd
	dashes() { last_frame "$BATS_TEST_TMPDIR/$1.out" | grep -q '   keep  *--  *-- / --  *--  *--  *--  *--$'; }
	wait_for dashes b || { tail -c 600 "$BATS_TEST_TMPDIR/b.out" | cat -v; false; }
	wait_for dashes dk
	[ "$(last_frame "$BATS_TEST_TMPDIR/b.out")" = "$(last_frame "$BATS_TEST_TMPDIR/dk.out")" ]
	stop_bg "$bpid" "$dpid"
	start_berthd
	[ "$(limits keep)" = "$want_keep" ]
	[ "$(limits parked)" = "$want_parked" ]
	[ "$(b inspect -f '{{.State.Running}}' keep)" = true ]
	[ "$(cg_limits keep)" = "100663296 201326592 9223372036854771712 300 50000 100000 0-1 40" ]
	# an update just before berthd is killed is kept too
	b update --pids-limit 60 -c 700 keep
	dk update --cpus 1 parked
	stop_berthd KILL
	start_berthd
	[ "$(limits keep)" = "100663296 201326592 0 500000000 700 0 0  60 0 on-failure:2" ]
	[ "$(limits parked)" = "75497472 150994944 0 1000000000 0 0 0  35 0 no:0" ]
	b restart -t 0 keep
	b start parked
	[ "$(cg_limits keep)" = "100663296 201326592 9223372036854771712 700 50000 100000 0-1 60" ]
	[ "$(cg_limits parked)" = "75497472 150994944 9223372036854771712 1024 100000 100000 0-1 35" ]
}

@test "update: bad input gets docker's errors from both CLIs and changes nothing" {
	b run -d --name firm -m 64m --cpus 0.5 --pids-limit 10 busybox sleep 1000
	b run -d --rm --name tmp -m 64m busybox sleep 1000
	hc=$(b inspect -f '{{json .HostConfig}}' firm)
	cgs=$(cg_limits firm)
	for cli in b dk; do
		run $cli update -m 32m nosuch
		[ "$status" -eq 1 ]
		[ "$output" = "Error response from daemon: No such container: nosuch" ]
		run $cli update firm
		[ "$status" -eq 1 ]
		[ "$output" = "you must provide one or more flags when using this command" ]
		# a refused part refuses the whole update
		run $cli update -m 128m --memory-swap 256m --restart bogus firm
		[ "$status" -eq 1 ]
		run $cli update --pids-limit 99 --restart always tmp
		[ "$status" -eq 1 ]
	done
	run dk update --memory abc firm
	[ "$status" -eq 125 ]
	dk_out=$output
	run b update --memory abc firm
	[ "$status" -eq 125 ]
	[ "$output" = "${dk_out//docker/berth}" ]
	[ "${lines[0]}" = "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'" ]
	# nothing changed: HostConfig and cgroup
	[ "$(b inspect -f '{{json .HostConfig}}' firm)" = "$hc" ]
	[ "$(cg_limits firm)" = "$cgs" ]
	[ "$(cg pids tmp pids.max)" = max ]
	[ "$(b inspect -f '{{.HostConfig.PidsLimit}}' tmp)" = 0 ]
}
