#!/usr/bin/env bats
# The container lifecycle through a real berthd, driven by both the berth CLI
# (b) and the docker CLI 28 (dk): create and run flags, checked from inside
# the container (/proc/self/status, cgroup files, mounts, ulimits, ids); the
# lifecycle verbs; ps, inspect and logs in docker's shapes; exit codes.
# docker's behaviour (Debian's dockerd through tests/helpers/cli-engine.sh)
# is the reference for texts and exit codes.

load daemon

bats_require_minimum_version 1.5.0

teardown() {
	local id
	for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	return 0
}

# cgroup_file V2-NAME V1-PATH: a shell snippet that prints a cgroup setting as
# the container sees it, on a unified (v2) or a legacy (v1) hierarchy.
cgroup_file() {
	echo "cat /sys/fs/cgroup/$1 2>/dev/null || cat /sys/fs/cgroup/$2"
}

# capeff_has HEX CAP-NUMBER: the effective set HEX holds capability CAP.
capeff_has() {
	(((0x$1 >> $2) & 1))
}

@test "run: output, exit codes 0, own, 125, 126 and 127 as docker" {
	for cli in b dk; do
		run -0 $cli run --rm busybox echo hello
		[ "$output" = hello ]
		run -3 $cli run --rm busybox sh -c 'exit 3'
		run -127 --separate-stderr $cli run --rm busybox nonexist
		[[ "$stderr" == *'exec: "nonexist": executable file not found in $PATH'* ]]
		[[ "$stderr" != *"Error waiting for container"* ]]
		run -126 --separate-stderr $cli run --rm busybox /etc
		[[ "$stderr" == *"permission denied"* ]]
		run -125 --separate-stderr $cli run --rm --bogus-flag busybox true
		[[ "$stderr" == *"unknown flag: --bogus-flag"* ]]
		run -125 --separate-stderr $cli run --rm busybox:nosuchtag true
		run -125 --separate-stderr $cli run --rm --runtime nosuch busybox true
		[[ "$stderr" == *"Unknown runtime specified nosuch"* ]]
	done
	# --rm: nothing is left behind, even after a failed start
	run -0 b ps -aq
	[ -z "$output" ]
}

@test "run: stdout and stderr stay apart (multiplexed stream)" {
	for cli in b dk; do
		run -0 --separate-stderr $cli run --rm busybox sh -c 'echo out; echo err >&2'
		[ "$output" = out ]
		[ "$stderr" = err ]
	done
}

@test "run: --name, -e, --env-file, -w, -u, --hostname, -l, --entrypoint" {
	printf 'A=1\n# a comment\nB=two words\n\nC\n' >"$BATS_TEST_TMPDIR/envf"
	for cli in b dk; do
		C=fromhost run -0 $cli run --name "n1-$cli" -e X=y --env-file "$BATS_TEST_TMPDIR/envf" \
			-w /tmp -u 1000:1001 --hostname hh -l app=web busybox \
			sh -c 'echo "$X|$A|$B|$C"; pwd; id -u; id -g; hostname; cat /etc/hostname'
		[ "${lines[0]}" = "y|1|two words|fromhost" ]
		[ "${lines[1]}" = /tmp ]
		[ "${lines[2]}" = 1000 ]
		[ "${lines[3]}" = 1001 ]
		[ "${lines[4]}" = hh ]
		[ "${lines[5]}" = hh ]
		run -0 $cli inspect -f '{{.Name}} {{index .Config.Labels "app"}} {{.Config.User}} {{.Config.WorkingDir}}' "n1-$cli"
		[ "$output" = "/n1-$cli web 1000:1001 /tmp" ]
		# the environment in dockerd's order, HOME from the user's passwd entry
		run -0 $cli run --rm --hostname eh -e A=1 -e PATH=/bin:/usr/bin busybox env
		[ "$(echo $output)" = "PATH=/bin:/usr/bin HOSTNAME=eh A=1 HOME=/root" ]
		run -0 $cli run --rm -t --hostname eh -u nobody busybox env
		[ "$(echo ${output//$'\r'/})" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=eh TERM=xterm HOME=/nonexistent" ]
		run -0 $cli run --rm --entrypoint /bin/echo busybox hello world
		[ "$output" = "hello world" ]
		run -0 $cli run --rm --entrypoint "" busybox echo empty-entrypoint
		[ "$output" = empty-entrypoint ]
		run -0 $cli run --rm -u nobody busybox id -un
		[ "$output" = nobody ]
		# supplementary groups as docker sets them: the primary group first
		run -0 $cli run --rm -u 1234:5678 --group-add 44 busybox grep Groups: /proc/self/status
		[ "$(echo $output)" = "Groups: 44 5678" ]
		run -0 $cli run --rm busybox id
		[ "$output" = "uid=0(root) gid=0(root) groups=0(root)" ]
		run -125 --separate-stderr $cli run --rm -w relative busybox true
		[[ "$stderr" == *"the working directory 'relative' is invalid"* ]]
	done
}

@test "run: a name in use is a conflict; -d prints the full id" {
	for cli in b dk; do
		run -0 $cli run -d --name "dup-$cli" busybox sleep 60
		[[ "$output" =~ ^[0-9a-f]{64}$ ]]
		id=$output
		run -125 --separate-stderr $cli run -d --name "dup-$cli" busybox true
		[[ "$stderr" == *"The container name \"/dup-$cli\" is already in use by container \"$id\""* ]]
		run -0 $cli inspect -f '{{.State.Running}} {{.Id}}' "dup-$cli"
		[ "$output" = "true $id" ]
	done
}

@test "run: -v and --mount bind, --mount tmpfs, --tmpfs, --read-only" {
	local d=$BATS_TEST_TMPDIR/bind
	mkdir -p "$d"
	echo hostfile >"$d/f"
	for cli in b dk; do
		run -0 $cli run --rm -v "$d:/b:ro" --mount "type=bind,source=$d,target=/b2" busybox \
			sh -c 'cat /b/f; grep " /b " /proc/mounts; touch /b/x 2>/dev/null && echo wrote-ro; echo in-$0 > /b2/from-container' "$cli"
		[ "${lines[0]}" = hostfile ]
		[[ "${lines[1]}" == *" /b "*" ro,"* ]]
		[ "${#lines[@]}" -eq 2 ]
		[ "$(cat "$d/from-container")" = "in-$cli" ]
		run -0 $cli run --rm --tmpfs /t:size=1m --mount type=tmpfs,destination=/m busybox \
			sh -c 'touch /t/a /m/a && echo ok; grep -E " /(t|m) " /proc/mounts | sort -k2'
		[ "${lines[0]}" = ok ]
		[[ "${lines[1]}" == "tmpfs /m tmpfs rw,"* ]]
		[[ "${lines[2]}" == "tmpfs /t tmpfs rw,nosuid,nodev,noexec,"*"size=1024k"* ]]
		run -1 $cli run --rm --read-only busybox touch /x
		[[ "$output" == *"Read-only file system"* ]]
		run -0 $cli run --rm --read-only --tmpfs /scratch busybox sh -c 'grep " / " /proc/mounts; touch /scratch/a && echo ok'
		[[ "${lines[0]}" == *" / "*" ro,"* ]]
		[ "${lines[1]}" = ok ]
		run -125 --separate-stderr $cli run --rm --mount "type=bind,source=$d/nonexist,target=/x" busybox true
		[[ "$stderr" == *"invalid mount config for type \"bind\": bind source path does not exist: $d/nonexist"* ]]
		# -v makes a missing host directory, as docker does
		run -0 $cli run --rm -v "$d/made-$cli:/x" busybox touch /x/f
		[ -f "$d/made-$cli/f" ]
		run -1 $cli run --rm --mount "type=bind,source=$d,target=/x,readonly" busybox touch /x/f
		run -0 $cli run --rm --mount type=tmpfs,destination=/m,tmpfs-size=1m,tmpfs-mode=1777 busybox sh -c 'grep " /m " /proc/mounts; stat -c %a /m'
		[[ "${lines[0]}" == *"size=1024k"* ]]
		[ "${lines[1]}" = 1777 ]
		run -125 --separate-stderr $cli run --rm -v "$d:relative" busybox true
		[[ "$stderr" == *"must be absolute"* ]]
	done
}

@test "run: unknown networks as docker (volumes: 500-volumes.bats)" {
	for cli in b dk; do
		run -125 --separate-stderr $cli run --rm --network mynet busybox true
		[[ "$stderr" == *"network mynet not found"* ]]
		# a 404 would make the docker CLI try to pull the image
		[[ "$stderr" != *"Unable to find image"* ]]
	done
	run -0 b ps -aq
	[ -z "$output" ]
}

@test "run: --network none, host and the default bridge" {
	for cli in b dk; do
		run -0 $cli run --rm --network none busybox ls /sys/class/net
		[ "$output" = lo ]
		run -0 $cli create --name "nn-$cli" --network none busybox true
		run -0 $cli create --name "nb-$cli" busybox true
		run -0 $cli ps -a --filter "name=n[nb]-$cli" --format '{{.Names}} {{.Networks}}'
		[ "$(echo "$output" | sort | tr '\n' ' ')" = "nb-$cli bridge nn-$cli none " ]
		run -0 $cli inspect -f '{{.HostConfig.NetworkMode}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "nb-$cli"
		[ "$output" = "bridge bridge" ]
		run -0 $cli run --rm busybox ls /sys/class/net
		[ "$(echo $output)" = "eth0 lo" ]
		run -0 $cli run --rm --network host busybox sh -c 'ls /sys/class/net | wc -l; hostname'
		[ "${lines[0]}" -eq "$(ls /sys/class/net | wc -l)" ]
		[ "${lines[1]}" = "$(hostname)" ]
		run -0 $cli run --rm --add-host foo:1.2.3.4 --dns 9.9.9.9 busybox \
			sh -c 'grep -w foo /etc/hosts; grep nameserver /etc/resolv.conf'
		[ "${lines[0]}" = "1.2.3.4	foo" ]
		[ "${lines[1]}" = "nameserver 9.9.9.9" ]
	done
}

@test "run: --memory, --cpus, --cpu-shares, --pids-limit reach the cgroup" {
	local mem cpu shares pids
	mem=$(cgroup_file memory.max memory/memory.limit_in_bytes)
	cpu=$(cgroup_file cpu.max cpu/cpu.cfs_quota_us)
	shares=$(cgroup_file cpu.weight cpu/cpu.shares)
	pids=$(cgroup_file pids.max pids/pids.max)
	for cli in b dk; do
		run -0 $cli run --rm --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 42 busybox \
			sh -c "$mem; $cpu; $shares; $pids"
		[ "${lines[0]}" = 67108864 ]
		[[ "${lines[1]}" == "50000 100000" || "${lines[1]}" == 50000 ]]
		# v2: weight 1 + (512 - 2) * 9999 / 262142 = 20; v1: the shares
		[[ "${lines[2]}" == 20 || "${lines[2]}" == 512 ]]
		[ "${lines[3]}" = 42 ]
		run -0 $cli inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}' \
			"$($cli create --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 42 busybox true)"
		[ "$output" = "67108864 500000000 512 42" ]
		run -125 --separate-stderr $cli run --rm --memory 1m busybox true
		[[ "$stderr" == *"Minimum memory limit allowed is 6MB"* ]]
	done
}

@test "run: --cap-add, --cap-drop, --privileged" {
	local defcaps
	for cli in b dk; do
		run -0 $cli run --rm busybox sh -c 'grep CapEff /proc/self/status; grep Seccomp: /proc/self/status'
		defcaps=$(echo "${lines[0]}" | awk '{print $2}')
		# docker's default set: chown (0) yes, net_admin (12) and sys_admin (21) no
		capeff_has "$defcaps" 0
		! capeff_has "$defcaps" 12
		! capeff_has "$defcaps" 21
		[ "${lines[1]}" = "Seccomp:	2" ]
		run -0 $cli run --rm --cap-add NET_ADMIN --cap-drop CHOWN busybox grep CapEff /proc/self/status
		caps=$(echo "$output" | awk '{print $2}')
		capeff_has "$caps" 12
		! capeff_has "$caps" 0
		run -0 $cli run --rm --cap-drop ALL busybox grep CapEff /proc/self/status
		[ "$output" = "CapEff:	0000000000000000" ]
		run -1 $cli run --rm --cap-drop ALL busybox chown 1 /tmp
		# privileged: every capability berthd has, no seccomp, writable /sys
		run -0 $cli run --rm --privileged busybox sh -c 'grep CapEff /proc/self/status; grep Seccomp: /proc/self/status; grep " /sys " /proc/mounts'
		[ "${lines[0]}" = "$(grep CapEff /proc/self/status)" ]
		[ "${lines[1]}" = "Seccomp:	0" ]
		[[ "${lines[2]}" == *" rw,"* ]]
		# and the host's devices
		run -0 $cli run --rm --privileged busybox sh -c 'find /dev -maxdepth 1 -type b | sort'
		[ "$output" = "$(find /dev -maxdepth 1 -type b | sort)" ]
		run -0 $cli run --rm busybox sh -c 'find /dev -maxdepth 1 -type b | sort'
		[ -z "$output" ]
		run -125 --separate-stderr $cli run --rm --cap-add NOT_A_CAP busybox true
	done
}

@test "run: --security-opt seccomp=unconfined, a profile file, no-new-privileges" {
	cat >"$BATS_TEST_TMPDIR/profile.json" <<-'EOF'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
	EOF
	for cli in b dk; do
		run -0 $cli run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
		[ "$output" = "Seccomp:	0" ]
		run -1 $cli run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" busybox mkdir /tmp/x
		[[ "$output" == *"Operation not permitted"* ]]
		run -0 $cli run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" busybox touch /tmp/x
		run -0 $cli run --rm busybox grep NoNewPrivs /proc/self/status
		[ "$output" = "NoNewPrivs:	0" ]
		run -0 $cli run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
		[ "$output" = "NoNewPrivs:	1" ]
		run -125 $cli run --rm --security-opt seccomp=/nonexistent.json busybox true
	done
}

@test "run: --ulimit, --sysctl, --shm-size, --init" {
	for cli in b dk; do
		run -0 $cli run --rm --ulimit nofile=1234:2345 busybox sh -c 'ulimit -n; ulimit -Hn'
		[ "${lines[0]}" = 1234 ]
		[ "${lines[1]}" = 2345 ]
		run -0 $cli run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=12345 busybox \
			sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
		[ "${lines[0]}" = 1 ]
		[ "${lines[1]}" = 12345 ]
		run -125 $cli run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
		run -125 --separate-stderr $cli run --rm --sysctl kernel.foo=1 busybox true
		[[ "$stderr" == 'invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl '"'kernel.foo=1'"' is not allowed'* ]]
		run -125 --separate-stderr $cli run --rm --ulimit nofile=abc busybox true
		[[ "$stderr" == 'invalid argument "nofile=abc" for "--ulimit" flag: strconv.ParseInt: parsing "abc": invalid syntax'* ]]
		run -0 $cli run --rm --shm-size 8m busybox grep " /dev/shm " /proc/mounts
		[[ "$output" == *"size=8192k"* ]]
		run -0 $cli run --rm busybox grep " /dev/shm " /proc/mounts
		[[ "$output" == *"size=65536k"* ]]
		run -0 $cli run --rm --init busybox sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$'
		[ "${lines[0]}" = "/sbin/docker-init -- sh -c tr \"\\0\" \" \" </proc/1/cmdline; echo; echo \$\$ " ]
		[ "${lines[1]}" != 1 ]
		run -0 $cli run --rm busybox sh -c 'echo $$'
		[ "$output" = 1 ]
		# the init passes the stop signal on: sleep ends at once
		run -0 $cli run -d --init --name "init-$cli" busybox sleep 100
		sleep 0.3
		SECONDS=0
		run -0 $cli stop "init-$cli"
		[ "$SECONDS" -le 2 ]
		run -0 $cli inspect -f '{{.State.ExitCode}}' "init-$cli"
		[ "$output" = 143 ]
	done
}

@test "run: --rm, --restart, --runtime, --stop-signal and --stop-timeout in the config" {
	for cli in b dk; do
		run -0 $cli run -d --rm --name "rm-$cli" busybox true
		for i in $(seq 50); do $cli inspect "rm-$cli" >/dev/null 2>&1 || break; sleep 0.1; done
		run -1 $cli inspect "rm-$cli"
		run -125 --separate-stderr $cli run --rm --restart always busybox true
		[[ "$stderr" == *"conflicting options: cannot specify both --restart and --rm"* ]]
		run -0 $cli create --name "cfg-$cli" --restart on-failure:3 --runtime berth --stop-signal SIGUSR1 --stop-timeout 7 busybox true
		run -0 $cli inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.Runtime}} {{.Config.StopSignal}} {{.Config.StopTimeout}}' "cfg-$cli"
		[ "$output" = "on-failure:3 berth SIGUSR1 7" ]
		run -125 --separate-stderr $cli run --rm --stop-signal FOO busybox true
		[[ "$stderr" == *"Error response from daemon: Invalid signal: FOO"* ]]
		run -0 $cli run --rm --runtime berth busybox echo via-berth-runtime
		[ "$output" = via-berth-runtime ]
	done
}

@test "run: --restart on-failure restarts until the limit" {
	for cli in b dk; do
		run -0 $cli run -d --name "rs-$cli" --restart on-failure:2 busybox sh -c 'exit 1'
		for i in $(seq 100); do
			[ "$($cli inspect -f '{{.State.Status}} {{.RestartCount}}' "rs-$cli")" = "exited 2" ] && break
			sleep 0.1
		done
		run -0 $cli inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "rs-$cli"
		[ "$output" = "exited 2 1" ]
	done
}

@test "stop: the stop signal, then SIGKILL after the timeout" {
	for cli in b dk; do
		run -0 $cli run -d --name "st-$cli" --stop-signal USR1 busybox \
			sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done'
		for i in $(seq 50); do [ "$($cli logs "st-$cli")" = ready ] && break; sleep 0.1; done
		run -0 $cli stop "st-$cli"
		[ "$output" = "st-$cli" ]
		run -0 $cli logs "st-$cli"
		[ "${lines[1]}" = got-usr1 ]
		run -0 $cli inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}' "st-$cli"
		[ "$output" = "exited 7 false 0" ]
		# a process that ignores the signal is killed after --stop-timeout
		run -0 $cli run -d --name "st2-$cli" --stop-timeout 1 busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done'
		SECONDS=0
		run -0 $cli stop "st2-$cli"
		[ "$SECONDS" -le 4 ]
		run -0 $cli inspect -f '{{.State.ExitCode}}' "st2-$cli"
		[ "$output" = 137 ]
		run -0 $cli stop "st2-$cli"
		run -1 --separate-stderr $cli stop nosuch
		[ "$stderr" = "Error response from daemon: No such container: nosuch" ]
	done
}

@test "kill -s, restart, pause, unpause, wait" {
	for cli in b dk; do
		run -0 $cli run -d --name "k-$cli" busybox sh -c 'trap "echo usr2; exit 12" USR2; while :; do sleep 0.1; done'
		sleep 0.3
		run -0 $cli kill -s USR2 "k-$cli"
		[ "$output" = "k-$cli" ]
		run -0 $cli wait "k-$cli"
		[ "$output" = 12 ]
		run -0 $cli logs "k-$cli"
		[ "$output" = usr2 ]
		run -1 --separate-stderr $cli kill "k-$cli"
		[[ "$stderr" == *"is not running"* ]]
		run -0 $cli start "k-$cli"
		pid1=$($cli inspect -f '{{.State.Pid}}' "k-$cli")
		run -0 $cli restart -t 0 "k-$cli"
		run -0 $cli inspect -f '{{.State.Status}} {{.State.Pid}}' "k-$cli"
		[[ "$output" == "running "* ]]
		[ "${output#running }" != "$pid1" ]
		pid=${output#running }
		run -0 $cli pause "k-$cli"
		run -0 $cli inspect -f '{{.State.Status}} {{.State.Paused}}' "k-$cli"
		[ "$output" = "paused true" ]
		[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status")" = D ] ||
			[ "$(cat /sys/fs/cgroup/freezer"$(awk -F: '$2=="freezer" {print $3}' "/proc/$pid/cgroup")"/freezer.state 2>/dev/null)" = FROZEN ] ||
			grep -q '^frozen 1' /sys/fs/cgroup"$(awk -F: '$1=="0" {print $3}' "/proc/$pid/cgroup")"/cgroup.events
		run -0 $cli ps --filter status=paused --format '{{.Names}} {{.Status}}'
		[ "$output" = "k-$cli Up Less than a second (Paused)" ] || [[ "$output" == "k-$cli Up "*"(Paused)" ]]
		run -1 --separate-stderr $cli exec "k-$cli" true
		[[ "$stderr" == *"is paused, unpause the container before exec"* ]]
		run -0 $cli unpause "k-$cli"
		run -0 $cli inspect -f '{{.State.Status}}' "k-$cli"
		[ "$output" = running ]
		run -0 $cli kill "k-$cli"
		run -0 $cli wait "k-$cli"
		[ "$output" = 137 ]
	done
}

@test "rm, rm -f, rename" {
	for cli in b dk; do
		run -0 $cli run -d --name "r-$cli" busybox sleep 60
		pid=$($cli inspect -f '{{.State.Pid}}' "r-$cli")
		run -1 --separate-stderr $cli rm "r-$cli"
		[[ "$stderr" == *"container is running: stop the container before removing or force remove"* ]]
		run -0 $cli create --name "taken-$cli" busybox true
		run -1 --separate-stderr $cli rename "r-$cli" "taken-$cli"
		[ "${stderr_lines[0]}" = "Error response from daemon: Error when allocating new name: Conflict. The container name \"/taken-$cli\" is already in use by container \"$($cli inspect -f '{{.Id}}' "taken-$cli")\". You have to remove (or rename) that container to be able to reuse that name." ]
		[ "${stderr_lines[1]}" = "Error: failed to rename container named r-$cli" ]
		run -0 $cli rename "r-$cli" "r2-$cli"
		run -0 $cli inspect -f '{{.Name}}' "r2-$cli"
		[ "$output" = "/r2-$cli" ]
		run -1 $cli inspect "r-$cli"
		run -0 $cli rm -f "r2-$cli"
		[ "$output" = "r2-$cli" ]
		! kill -0 "$pid" 2>/dev/null
		run -1 $cli inspect "r2-$cli"
		run -0 $cli create --name "r3-$cli" busybox true
		run -0 $cli rm "r3-$cli"
		run -1 --separate-stderr $cli rm "r3-$cli"
		[ "$stderr" = "Error response from daemon: No such container: r3-$cli" ]
	done
}

@test "create, then start -a and start -ai" {
	for cli in b dk; do
		run -0 $cli create --name "c1-$cli" busybox sh -c 'echo out; echo err >&2; exit 6'
		run -0 $cli inspect -f '{{.State.Status}} {{.State.StartedAt}}' "c1-$cli"
		[ "$output" = "created 0001-01-01T00:00:00Z" ]
		run -6 --separate-stderr $cli start -a "c1-$cli"
		[ "$output" = out ]
		[ "$stderr" = err ]
		run -0 $cli create -i --name "c2-$cli" busybox sh -c 'read x; echo "got $x"'
		run -0 $cli start -ai "c2-$cli" <<<"piped"
		[ "$output" = "got piped" ]
		run -0 $cli start "c1-$cli"
		[ "$output" = "c1-$cli" ]
		run -0 $cli wait "c1-$cli"
		[ "$output" = 6 ]
		run -1 --separate-stderr $cli start nosuch
		[[ "$stderr" == *"No such container: nosuch"* ]]
	done
}

@test "ps: -a, -q, -n, -l, -s, --no-trunc and the table" {
	b run -d --name p1 -l app=x busybox sleep 60 >/dev/null
	b create --name p2 -l app=y busybox true >/dev/null
	b run --name p3 busybox sh -c 'echo data > /file; exit 3' || true
	id1=$(b inspect -f '{{.Id}}' p1)
	for cli in b dk; do
		run -0 $cli ps
		[ "${#lines[@]}" -eq 2 ]
		[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
		[[ "${lines[1]}" =~ ^${id1:0:12}\ +busybox\ +\"sleep\ 60\"\ +.*\ ago\ +Up\ .*\ p1$ ]]
		run -0 $cli ps -a --format '{{.Names}}'
		[ "$(echo "$output" | tr '\n' ' ')" = "p3 p2 p1 " ]
		run -0 $cli ps -aq
		[ "${#lines[@]}" -eq 3 ]
		[ "${lines[2]}" = "${id1:0:12}" ]
		run -0 $cli ps -q --no-trunc
		[ "$output" = "$id1" ]
		run -0 $cli ps -n 2 --format '{{.Names}}'
		[ "$(echo "$output" | tr '\n' ' ')" = "p3 p2 " ]
		run -0 $cli ps -l --format '{{.Names}} {{.Status}}'
		[[ "$output" =~ ^p3\ Exited\ \(3\)\ .*\ ago$ ]]
		run -0 $cli ps -as --format '{{.Names}} {{.Size}}'
		[[ "${lines[0]}" =~ ^p3\ [0-9.]+B\ \(virtual\ [0-9.]+[kM]B\)$ ]]
		[[ "${lines[0]}" != "p3 0B "* ]]
		run -0 $cli ps -a -s
		[[ "${lines[0]}" == *" SIZE" ]]
		run -0 $cli ps --no-trunc --format '{{.Command}}'
		[ "$output" = '"sleep 60"' ]
	done
}

@test "ps: filters by status, name, label, ancestor, id, exited" {
	b run -d --name f1 -l app=x busybox sleep 60 >/dev/null
	b create --name f2 -l app=y busybox true >/dev/null
	b run --name f3 busybox sh -c 'exit 3' || true
	b run --name f4 --network none -v "$BATS_TEST_TMPDIR:/vol" busybox true
	id1=$(b inspect -f '{{.Id}}' f1)
	for cli in b dk; do
		names() { $cli ps -a "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
		[ "$(names --filter status=running)" = "f1 " ]
		[ "$(names --filter status=exited)" = "f3 f4 " ]
		[ "$(names --filter status=created)" = "f2 " ]
		[ "$(names --filter name=f1)" = "f1 " ]
		[ "$(names --filter name=f)" = "f1 f2 f3 f4 " ]
		[ "$(names --filter label=app)" = "f1 f2 " ]
		[ "$(names --filter label=app=y)" = "f2 " ]
		[ "$(names --filter ancestor=busybox)" = "f1 f2 f3 f4 " ]
		[ "$(names --filter ancestor=busybox:latest)" = "f1 f2 f3 f4 " ]
		[ "$(names --filter "id=${id1:0:8}")" = "f1 " ]
		[ "$(names --filter exited=3)" = "f3 " ]
		[ "$(names --filter exited=0)" = "f4 " ]
		[ "$(names --filter status=exited --filter exited=0)" = "f4 " ]
		[ "$(names --filter label=app=x --filter label=app=y)" = "" ]
		[ "$(names --filter before=f3)" = "f1 f2 " ]
		[ "$(names --filter since=f2)" = "f3 f4 " ]
		[ "$(names --filter network=none)" = "f4 " ]
		[ "$(names --filter network=bridge)" = "f1 f2 f3 " ]
		[ "$(names --filter volume=/vol)" = "f4 " ]
		[ "$(names --filter "volume=$BATS_TEST_TMPDIR")" = "f4 " ]
		run -1 --separate-stderr $cli ps --filter bogus=1
		[[ "$stderr" == *"invalid filter 'bogus'"* ]]
		run -1 --separate-stderr $cli ps --filter status=bogus
		[ "$stderr" = "Error response from daemon: Invalid filter 'status=bogus'" ]
	done
}

@test "ps: --format with docker's template fields and json" {
	b run -d --name fm -l a=1 -l b=2 -v "$BATS_TEST_TMPDIR:/h" busybox sleep 60 >/dev/null
	id=$(b inspect -f '{{.Id}}' fm)
	for cli in b dk; do
		run -0 $cli ps --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.Ports}}|{{.State}}|{{.Names}}|{{.Label "a"}}'
		[ "$output" = "${id:0:12}|busybox|\"sleep 60\"||running|fm|1" ]
		# names in Mounts are cut at 15 characters unless --no-trunc, as docker does
		run -0 $cli ps --format '{{.Mounts}}'
		[ "$output" = "${BATS_TEST_TMPDIR:0:14}…" ]
		run -0 $cli ps --no-trunc --format '{{.Mounts}}'
		[ "$output" = "$BATS_TEST_TMPDIR" ]
		run -0 $cli ps --format '{{.Labels}}'
		[ "$output" = "a=1,b=2" ]
		run -0 $cli ps --format '{{.RunningFor}}|{{.Status}}|{{.CreatedAt}}'
		[[ "$output" =~ ^.*\ ago\|Up\ .*\|[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ \+0000\ UTC$ ]]
		run -0 $cli ps --format 'table {{.Names}}\t{{.State}}'
		[[ "${lines[0]}" =~ ^NAMES\ +STATE$ ]]
		[[ "${lines[1]}" =~ ^fm\ +running$ ]]
		run -0 $cli ps --format json
		[ "$(echo "$output" | jq -r '.ID + " " + .Names + " " + .State + " " + .Labels')" = "${id:0:12} fm running a=1,b=2" ]
		run -0 $cli ps --format '{{json .Names}}'
		[ "$output" = '"fm"' ]
	done
}

@test "inspect: docker's shape" {
	b run -d --name in1 --hostname ih -e K=V -l l=v busybox sleep 60 >/dev/null
	b run --name in2 busybox sh -c 'exit 4' || true
	id=$(b inspect -f '{{.Id}}' in1)
	for cli in b dk; do
		run -0 $cli inspect in1
		[ "$(echo "$output" | jq -r 'length')" = 1 ]
		run -0 jq -r '.[0] | [.Id, .Name, .Path, (.Args|join(",")), .State.Status, (.State.Running|tostring), (.State.Pid > 0 | tostring), (.State.ExitCode|tostring), .Config.Hostname, .Config.Image, .HostConfig.NetworkMode, .Driver, (.Mounts|length|tostring), .Image[0:7]] | join(" ")' <<<"$($cli inspect in1)"
		[ "$output" = "$id /in1 sleep 60 running true true 0 ih busybox bridge overlay2 0 sha256:" ]
		run -0 $cli inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}} {{.Created}}' in1
		[[ "$output" =~ ^20[0-9-]{8}T[0-9:.]+Z\ 0001-01-01T00:00:00Z\ 20[0-9-]{8}T[0-9:.]+Z$ ]]
		run -0 $cli inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}} {{.State.FinishedAt}}' in2
		[[ "$output" =~ ^exited\ 4\ 0\ 20[0-9-]{8}T ]]
		run -0 $cli inspect -f '{{json .Config.Env}} {{json .Config.Labels}} {{json .Config.Cmd}}' in1
		[[ "$output" == '["K=V","PATH='*'"] {"l":"v"} ["sleep","60"]' ]]
		run -0 $cli inspect --type container -f '{{.Name}}' "${id:0:10}"
		[ "$output" = /in1 ]
		run -0 $cli container inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' in1
		[[ "$output" =~ ^0\ [1-9][0-9]+$ ]]
		run -1 --separate-stderr $cli inspect nosuch
		[ "$stderr" = "Error: No such object: nosuch" ]
		[ "$output" = "[]" ]
	done
	b run --name in3 -v "$BATS_TEST_TMPDIR:/h:ro" busybox true
	for cli in b dk; do
		run -0 $cli inspect -f '{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}} {{.Mode}}{{end}}' in3
		[ "$output" = "bind $BATS_TEST_TMPDIR /h false ro" ]
	done
}

@test "logs: -f, --tail, --since, --until, -t, stdout and stderr apart" {
	b run -d --name lg busybox sh -c 'echo one; echo two >&2; sleep 1.2; echo three; sleep 60' >/dev/null
	for i in $(seq 40); do [ "$(b logs lg 2>&1 | wc -l)" -eq 3 ] && break; sleep 0.1; done
	for cli in b dk; do
		run -0 --separate-stderr $cli logs lg
		[ "$output" = "$(printf 'one\nthree')" ]
		[ "$stderr" = two ]
		run -0 $cli logs --tail 1 lg
		[ "$output" = three ]
		run -0 $cli logs -n 2 lg
		[ "${#lines[@]}" -eq 2 ]
		run -0 $cli logs -t lg
		[[ "${lines[0]}" =~ ^20[0-9-]{8}T[0-9:]{8}\.[0-9]+Z\ (one|two)$ ]]
		run -0 $cli logs --since 2000-01-01 lg
		[ "${#lines[@]}" -eq 3 ]
		run -0 $cli logs --until 2000-01-01T00:00:00 lg
		[ -z "$output" ]
		ts=$($cli logs -t lg 2>&1 | awk '$2 == "three" {print $1}')
		run -0 $cli logs --since "$ts" lg
		[ "$output" = three ]
		# both ends are inclusive, as in docker's json-file reader
		run -0 $cli logs --until "$ts" lg
		[ "${#lines[@]}" -eq 3 ]
		run -0 --separate-stderr $cli logs --since "$ts" --until "$ts" lg
		[ "$output" = three ]
		[ -z "$stderr" ]
		run -1 --separate-stderr $cli logs --since nonsense lg
		[[ "$stderr" == *'invalid value for "since"'* ]]
	done
	# -f follows until the container ends
	b run -d --name lf busybox sh -c 'echo a; sleep 0.5; echo b' >/dev/null
	run -0 timeout 10 "$BERTH" -H "unix://$SOCK" logs -f lf
	[ "$output" = "$(printf 'a\nb')" ]
	b run -d --name lf2 busybox sh -c 'echo a; sleep 0.5; echo b' >/dev/null
	DOCKER_HOST="unix://$SOCK" run -0 timeout 10 "$DOCKER" logs -f lf2
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "logs of a tty container are raw" {
	for cli in b dk; do
		run -0 $cli run -t --name "lt-$cli" busybox sh -c 'echo out; echo err >&2'
		run -0 --separate-stderr $cli logs "lt-$cli"
		[ "$output" = "$(printf 'out\r\nerr\r')" ]
		[ -z "$stderr" ]
	done
}
