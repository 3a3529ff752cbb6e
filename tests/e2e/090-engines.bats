#!/usr/bin/env bats
# Real engines drive berth-runtime in place of runc: containerd from Debian's
# package through `ctr run --runc-binary`, and dockerd from Debian's docker.io
# through `--add-runtime berth=...` and `docker run --runtime berth`.
#
# Both daemons are private to this file. They run in a mount namespace of
# their own with an empty tmpfs on /run (containerd's shims put their sockets
# in /run/containerd/s whatever the config says), keep their roots, state,
# sockets and the runtime's state in a temporary directory, make no network
# interfaces, touch no host setting, and are stopped by PID at the end; the
# last test checks that the host is as it was. The image is built here from
# busybox-static (tests/helpers/mkimage.sh): nothing comes from the network.
# A test skips only when its engine is not installed and cannot be installed.

load helpers

IMAGE=berth.test/busybox:latest

# pid_alive PID: PID names a process that has not exited (zombies have).
pid_alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

pid_gone() {
	! pid_alive "$1"
}

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS; 1 if it was killed.
stop_pid() {
	local i
	pid_alive "${1:-}" || return 0
	kill -TERM "$1" 2>/dev/null
	for i in $(seq $(($2 * 10))); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	return 1
}

# detached CMD...: exec CMD with no descriptor above 2 (bats waits for the
# ones it holds, and containerd hands its own down to every shim).
detached() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -le 2 ] || eval "exec $fd>&-"
	done
	exec "$@"
}

# The processes in the daemons' private mount namespace (the daemons, the
# shims and whatever they started there), never anything else.
mntns_pids() {
	local p
	[ -n "${CTR_MNTNS:-}" ] && [ "$CTR_MNTNS" != "$(readlink /proc/self/ns/mnt)" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$CTR_MNTNS" ] && pid_alive "${p#/proc/}" &&
			echo "${p#/proc/}"
	done
	return 0
}

# What the engines could change on the host if they were not confined.
host_snapshot() {
	local p
	echo "links: $(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')"
	echo "routes: $(ip route show table all 2>/dev/null | sort | tr '\n' ';')"
	echo "run: $(ls -A /run | tr '\n' ' ')"
	echo "netns: $(ls -A /run/netns 2>/dev/null | tr '\n' ' ')"
	echo "ip_forward: $(cat /proc/sys/net/ipv4/ip_forward)"
	echo "mounts: $(wc -l </proc/self/mountinfo)"
	echo "etc-docker: $(ls -A /etc/docker 2>/dev/null | tr '\n' ' ')"
	for p in /var/lib/docker /var/lib/containerd /run/docker /run/containerd /opt/containerd \
		/var/run/docker.sock; do
		[ -e "$p" ] && echo "exists: $p"
	done
	return 0
}

# The engines come from Debian (scripts/deps.sh engines, which make check
# runs). Install what is missing; when that is impossible, say why.
engines_install() {
	local out
	command -v containerd >/dev/null && command -v ctr >/dev/null && command -v dockerd >/dev/null &&
		return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "not root or no apt-get to install containerd and docker.io"
		return 1
	fi
	out=$(timeout 900 "$BATS_TEST_DIRNAME/../../scripts/deps.sh" engines 2>&1) ||
		{ echo "scripts/deps.sh engines failed: $(echo "$out" | tail -2 | tr '\n' ' ')"; return 1; }
	return 0
}

start_containerd() {
	local d=$ENG/containerd i
	mkdir -p "$d"
	# The CRI plugin would set up networking; the other snapshotters are unused.
	cat >"$d/config.toml" <<-EOF
	version = 2
	root = "$d/root"
	state = "$d/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
	  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
	  "io.containerd.snapshotter.v1.devmapper"]
	[grpc]
	  address = "$CTR_SOCK"
	[ttrpc]
	  address = "$CTR_SOCK.ttrpc"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$d/opt"
	EOF
	# The subshell, unshare and sh all exec, so $! is containerd's PID.
	(detached unshare --mount --propagation private sh -c \
		'mount -t tmpfs -o mode=0755,size=16m berth-engines /run && exec containerd --config "$1"' \
		sh "$d/config.toml" </dev/null >"$d/log" 2>&1) &
	export CTR_PID=$!
	for i in $(seq 100); do
		pid_alive "$CTR_PID" || break
		if [ -S "$CTR_SOCK" ] && timeout 5 ctr --address "$CTR_SOCK" version >/dev/null 2>&1; then
			CTR_MNTNS=$(readlink "/proc/$CTR_PID/ns/mnt")
			export CTR_MNTNS
			return 0
		fi
		sleep 0.1
	done
	CTR_FAIL="containerd did not start: $(tail -5 "$d/log")"
	return 1
}

start_dockerd() {
	local d=$ENG/docker i
	mkdir -p "$d/cli"
	# dockerd 20.10 keeps its ID key in /etc/docker/key.json unless told otherwise.
	echo "{\"deprecated-key-path\": \"$d/key.json\"}" >"$d/daemon.json"
	# In containerd's mount namespace: the root file systems dockerd mounts
	# must be visible to the shims, and nothing may be mounted on the host.
	(detached nsenter --target "$CTR_PID" --mount -- dockerd \
		--config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$DK_EXEC" \
		--pidfile "$d/dockerd.pid" --host "unix://$DK_SOCK" --containerd "$CTR_SOCK" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent /berth-test-docker \
		--add-runtime "berth=$RUNTIME" </dev/null >"$d/log" 2>&1) &
	export DK_PID=$!
	for i in $(seq 300); do
		pid_alive "$DK_PID" || break
		[ -S "$DK_SOCK" ] && dk version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	DK_FAIL="dockerd did not start: $(tail -5 "$d/log")"
	return 1
}

setup_file() {
	local why
	ENG=$(mktemp -d "${TMPDIR:-/tmp}/berth-engines.XXXXXX")
	export ENG CTR_SOCK=$ENG/containerd/containerd.sock CTR_RTROOT=$ENG/runc-root
	export DK_SOCK=$ENG/docker/docker.sock DK_EXEC=$ENG/docker/exec
	export DOCKER_CONFIG=$ENG/docker/cli DOCKER_HOST=unix://$ENG/docker/docker.sock
	mkdir -p "$ENG/fifo"
	why=$(engines_install) || true
	: "${why:=scripts/deps.sh engines found its packages installed, yet the command is missing}"
	host_snapshot >"$ENG/host-before"
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
		export CTR_SKIP="containerd (Debian package containerd) is not installed and cannot be installed: $why"
		export DK_SKIP="$CTR_SKIP"
		return 0
	fi
	if ! command -v dockerd >/dev/null; then
		export DK_SKIP="dockerd (Debian package docker.io) is not installed and cannot be installed: $why"
	elif [ -x /usr/bin/docker ]; then
		export DOCKER=/usr/bin/docker # 20.10, from docker.io
	elif command -v docker >/dev/null; then
		DOCKER=$(command -v docker)
		export DOCKER
	else
		export DK_SKIP="no docker client (Debian package docker.io) and it cannot be installed: $why"
	fi

	make_template
	"$HELPERS/mkimage.sh" "$TEMPLATE/rootfs" "$ENG/busybox.tar" "$IMAGE"

	if ! start_containerd; then
		export CTR_FAIL DK_FAIL="$CTR_FAIL"
		return 0
	fi
	if ! CTR_FAIL=$(timeout 60 ctr --address "$CTR_SOCK" --namespace berth-test images import \
		--base-name "${IMAGE%:*}" "$ENG/busybox.tar" 2>&1); then
		export CTR_FAIL="ctr images import failed: $CTR_FAIL"
	else
		unset CTR_FAIL
	fi
	[ -z "${DK_SKIP:-}" ] || return 0
	if ! start_dockerd; then
		export DK_FAIL
	elif ! DK_FAIL=$(dk load -i "$ENG/busybox.tar" 2>&1); then
		export DK_FAIL="docker load failed: $DK_FAIL"
	else
		unset DK_FAIL
	fi
	return 0
}

# Stop everything this file started, by PID, and remove what it left.
engines_stop() {
	local root id i
	[ -n "${ENG:-}" ] || return 0
	remove_containers >/dev/null 2>&1
	stop_pid "${DK_PID:-}" 20
	stop_pid "${CTR_PID:-}" 10
	for i in $(mntns_pids); do stop_pid "$i" 2; done
	# Containers a killed shim left running, then every process still in a
	# cgroup of ours.
	for root in "$CTR_RTROOT"/* "$DK_EXEC"/runtime-*/moby; do
		[ -d "$root" ] || continue
		for id in $("$RUNTIME" --root "$root" list -q 2>/dev/null); do
			"$RUNTIME" --root "$root" delete --force "$id" >/dev/null 2>&1
		done
	done
	for i in /sys/fs/cgroup/*/berth-test-docker /sys/fs/cgroup/berth-test-docker \
		/sys/fs/cgroup/*/berth-test/eng-* /sys/fs/cgroup/berth-test/eng-*; do
		[ -d "$i" ] || continue
		find "$i" -name cgroup.procs -exec cat {} + 2>/dev/null |
			while read -r p; do kill -KILL "$p" 2>/dev/null; done
		find "$i" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rmdir /sys/fs/cgroup/*/berth-test /sys/fs/cgroup/berth-test 2>/dev/null
	return 0
}

teardown_file() {
	engines_stop
	[ -n "${ENG:-}" ] && rm -rf "$ENG"
	return 0
}

# Remove every container of both engines (only ours: the daemons are ours).
remove_containers() {
	local ids t
	if [ -n "${DK_PID:-}" ] && pid_alive "$DK_PID"; then
		ids=$(dk ps -aq)
		# shellcheck disable=SC2086 # one argument per id
		[ -z "$ids" ] || dk rm -f $ids
	fi
	if [ -n "${CTR_PID:-}" ] && pid_alive "$CTR_PID"; then
		for t in $(c task ls -q); do c task delete --force "$t"; done
		for t in $(c containers ls -q); do c containers rm "$t"; done
	fi
	return 0
}

teardown() {
	remove_containers >/dev/null 2>&1
	return 0
}

need_containerd() {
	[ -z "${CTR_SKIP:-}" ] || skip "$CTR_SKIP"
	[ -z "${CTR_FAIL:-}" ] || { echo "$CTR_FAIL" >&2; return 1; }
	ID=eng-$BATS_TEST_NUMBER
}

need_dockerd() {
	[ -z "${DK_SKIP:-}" ] || skip "$DK_SKIP"
	[ -z "${DK_FAIL:-}" ] || { echo "$DK_FAIL" >&2; return 1; }
	NAME=eng-$BATS_TEST_NUMBER
}

c() {
	timeout 60 ctr --address "$CTR_SOCK" --namespace berth-test "$@"
}

# ctr run with berth-runtime as the runc binary; its state goes to
# $CTR_RTROOT/<namespace>, and ctr's fifos to the test's directory.
ctr_run() {
	c run --fifo-dir "$ENG/fifo" --runc-binary "$RUNTIME" --runc-root "$CTR_RTROOT" "$@"
}

ctr_exec() {
	c task exec --fifo-dir "$ENG/fifo" "$@"
}

# ctr_start ID CMD...: a detached task whose output goes to $ENG/ID.log.
ctr_start() {
	local id=$1
	shift
	ctr_run -d --log-uri "file://$ENG/$id.log" "$IMAGE" "$id" "$@" </dev/null >/dev/null
}

ctr_task_field() { # ctr_task_field ID pid|status
	c task ls | awk -v id="$1" -v f="$2" '$1 == id { print (f == "pid") ? $2 : $3 }'
}

dk() {
	timeout 60 "$DOCKER" --host "unix://$DK_SOCK" "$@"
}

dk_state() {
	dk inspect --format "{{.State.$2}}" "$1"
}

# The runtime root dockerd gave berth-runtime for container ID (dockerd
# 20.10 names it runtime-runc whatever the runtime; later ones runtime-NAME).
dk_rt_root() {
	local d
	for d in "$DK_EXEC"/runtime-*/moby; do
		[ -f "$d/$1/state.json" ] && { echo "$d"; return 0; }
	done
	echo "no runtime state for $1 under $DK_EXEC" >&2
	return 1
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s.
wait_until() {
	local i n=$(($1 * 10))
	shift
	for i in $(seq $n); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# frozen CGPATH: the container's cgroup is frozen (v1 freezer or v2).
frozen() {
	[ "$(cat "/sys/fs/cgroup/freezer$1/freezer.state" 2>/dev/null)" = FROZEN ] ||
		[ "$(cat "/sys/fs/cgroup$1/cgroup.freeze" 2>/dev/null)" = 1 ]
}

thawed() {
	! frozen "$1"
}

ctr_status_is() { [ "$(ctr_task_field "$1" status)" = "$2" ]; }
dk_status_is() { [ "$(dk_state "$1" Status)" = "$2" ]; }

# -------------------------------------------------------------- containerd

@test "containerd: ctr run --runc-binary berth-runtime runs busybox echo ok" {
	need_containerd
	run ctr_run --rm "$IMAGE" "$ID" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# the shim deleted the container through the runtime
	[ -d "$CTR_RTROOT/berth-test" ]
	run "$RUNTIME" --root "$CTR_RTROOT/berth-test" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "containerd: the container's exit code and output come back through ctr run" {
	need_containerd
	run ctr_run --rm "$IMAGE" "$ID" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *to-stdout* ]]
	[[ "$output" == *to-stderr* ]]
}

@test "containerd: the task runs under berth-runtime, its state in --runc-root" {
	need_containerd
	ctr_start "$ID" sh -c 'echo started; exec sleep 1000'
	pid=$(ctr_task_field "$ID" pid)
	[ "$(ctr_task_field "$ID" status)" = RUNNING ]
	# berth-runtime's own state (runc's state.json is another format)
	run "$RUNTIME" --root "$CTR_RTROOT/berth-test" state "$ID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson pid "$pid" '.status == "running" and .pid == $pid'
	echo "$output" | jq -e --arg b "$ENG/containerd/state/io.containerd.runtime.v2.task/berth-test/$ID" \
		'.bundle == $b'
	grep -q "/berth-test/$ID\$" "/proc/$pid/cgroup"
	wait_until 5 grep -qx started "$ENG/$ID.log"
	# ctr task ps asks the runtime (ps --format json)
	run c task ps "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
}

@test "containerd: ctr task exec returns the output and exit code of the process" {
	need_containerd
	ctr_start "$ID" sleep 1000
	run ctr_exec --exec-id e1 "$ID" sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = in-exec ]
	# the exec shares the container's pid namespace: the init is pid 1
	run ctr_exec --exec-id e2 "$ID" sh -c 'tr "\0" " " </proc/1/cmdline'
	[ "$status" -eq 0 ]
	[ "$output" = "sleep 1000 " ]
}

@test "containerd: an exec outlives the runtime's exec command (stdin, slow, detached)" {
	need_containerd
	ctr_start "$ID" sleep 1000
	# The shim runs `berth-runtime exec --detach` and waits for the process
	# itself: the process must not die when berth-runtime exits.
	run ctr_exec --exec-id slow "$ID" sh -c 'sleep 0.5; echo late'
	[ "$status" -eq 0 ]
	[ "$output" = late ]
	run sh -c 'echo piped | "$0" --address "$1" --namespace berth-test task exec \
		--fifo-dir "$2" --exec-id in "$3" cat' ctr "$CTR_SOCK" "$ENG/fifo" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
	ctr_exec -d --exec-id bg "$ID" sleep 100 </dev/null >/dev/null
	sleep 0.5
	run c task ps "$ID"
	[ "$(echo "$output" | grep -c '^[0-9]')" -eq 2 ]
}

@test "containerd: pause, resume, kill and delete go through the runtime" {
	need_containerd
	ctr_start "$ID" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	c task pause "$ID"
	[ "$(ctr_task_field "$ID" status)" = PAUSED ]
	[ "$("$RUNTIME" --root "$CTR_RTROOT/berth-test" state "$ID" | jq -r .status)" = paused ]
	frozen "/berth-test/$ID"
	c task resume "$ID"
	[ "$(ctr_task_field "$ID" status)" = RUNNING ]
	thawed "/berth-test/$ID"
	c task kill "$ID" # SIGTERM
	wait_until 5 ctr_status_is "$ID" STOPPED
	run c task delete "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 7"* ]]
	run "$RUNTIME" --root "$CTR_RTROOT/berth-test" state "$ID"
	[ "$status" -ne 0 ]
	[ -z "$(ls -d /sys/fs/cgroup/*/berth-test/"$ID" 2>/dev/null)" ]
}

@test "containerd: ctr run -t gives the container a terminal" {
	need_containerd
	local cmd
	cmd=$(printf '%q ' ctr --address "$CTR_SOCK" --namespace berth-test run -t --rm \
		--fifo-dir "$ENG/fifo" --runc-binary "$RUNTIME" --runc-root "$CTR_RTROOT" \
		"$IMAGE" "$ID" sh -c 'tty; exit 4')
	run timeout 60 script -qec "$cmd" /dev/null </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
}

# ----------------------------------------------------------------- dockerd

@test "dockerd: docker run --runtime berth busybox echo ok" {
	need_dockerd
	run dk run --rm --network none --runtime berth --name "$NAME" "$IMAGE" echo ok
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	run dk ps -aq --filter "name=$NAME"
	[ -z "$output" ]
}

@test "dockerd: the container's exit code and output come back through docker run" {
	need_dockerd
	run dk run --rm --network none --runtime berth "$IMAGE" \
		sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *to-stdout* ]]
	[[ "$output" == *to-stderr* ]]
}

@test "dockerd: the container runs under berth-runtime, its state under the exec root" {
	need_dockerd
	run dk run -d --network none --runtime berth --name "$NAME" --memory 64m "$IMAGE" \
		sh -c 'echo started; exec sleep 1000'
	[ "$status" -eq 0 ]
	id=$output
	[ "$(dk inspect --format '{{.HostConfig.Runtime}}' "$NAME")" = berth ]
	pid=$(dk_state "$NAME" Pid)
	root=$(dk_rt_root "$id")
	run "$RUNTIME" --root "$root" state "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson pid "$pid" '.status == "running" and .pid == $pid'
	grep -q "/berth-test-docker/$id\$" "/proc/$pid/cgroup"
	[ "$(cat "/sys/fs/cgroup/memory/berth-test-docker/$id/memory.limit_in_bytes" 2>/dev/null ||
		cat "/sys/fs/cgroup/berth-test-docker/$id/memory.max")" = 67108864 ]
	wait_until 5 sh -c '[ "$("$0" --host "unix://$1" logs "$2")" = started ]' "$DOCKER" "$DK_SOCK" "$NAME"
	# docker top asks the runtime (ps --format json)
	run dk top "$NAME"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]]
}

@test "dockerd: docker exec returns the output and exit code of the process" {
	need_dockerd
	dk run -d --network none --runtime berth --name "$NAME" --hostname berth-host "$IMAGE" \
		sleep 1000 >/dev/null
	run dk exec "$NAME" sh -c 'echo in-exec $(hostname); exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = "in-exec berth-host" ]
	run dk exec -t "$NAME" tty
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "dockerd: an exec outlives the runtime's exec command (stdin, slow, detached)" {
	need_dockerd
	dk run -d --network none --runtime berth --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk exec "$NAME" sh -c 'sleep 0.5; echo late'
	[ "$status" -eq 0 ]
	[ "$output" = late ]
	run sh -c 'echo piped | "$0" --host "unix://$1" exec -i "$2" cat' "$DOCKER" "$DK_SOCK" "$NAME"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
	dk exec -d "$NAME" sleep 100
	sleep 0.5
	run dk top "$NAME"
	[[ "$output" == *"sleep 100"* ]]
}

@test "dockerd: docker run -i and -t" {
	need_dockerd
	run sh -c 'echo piped | "$0" --host "unix://$1" run -i --rm --network none --runtime berth "$2" cat' \
		"$DOCKER" "$DK_SOCK" "$IMAGE"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
	run dk run -t --rm --network none --runtime berth "$IMAGE" sh -c 'tty; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "dockerd: docker pause, unpause, stop, start and kill" {
	need_dockerd
	dk run -d --network none --runtime berth --name "$NAME" "$IMAGE" \
		sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done' >/dev/null
	pid=$(dk_state "$NAME" Pid)
	id=$(dk inspect --format "{{.Id}}" "$NAME")
	dk pause "$NAME"
	[ "$(dk_state "$NAME" Status)" = paused ]
	frozen "/berth-test-docker/$id"
	dk unpause "$NAME"
	[ "$(dk_state "$NAME" Status)" = running ]
	thawed "/berth-test-docker/$id"
	# SIGTERM reaches the trap: exit code 7, well before the 20 s timeout
	SECONDS=0
	dk stop -t 20 "$NAME"
	[ "$SECONDS" -lt 10 ]
	[ "$(dk_state "$NAME" Status)" = exited ]
	[ "$(dk_state "$NAME" ExitCode)" -eq 7 ]
	pid_gone "$pid"
	# a stopped container starts again: create and start once more
	dk start "$NAME"
	[ "$(dk_state "$NAME" Status)" = running ]
	pid2=$(dk_state "$NAME" Pid)
	[ "$pid2" != "$pid" ]
	pid_alive "$pid2"
	dk kill "$NAME"
	wait_until 5 dk_status_is "$NAME" exited
	[ "$(dk_state "$NAME" ExitCode)" -eq 137 ]
	pid_gone "$pid2"
}

@test "dockerd: docker rm -f removes a running container, its runtime state and cgroups" {
	need_dockerd
	id=$(dk run -d --network none --runtime berth --name "$NAME" "$IMAGE" sleep 1000)
	pid=$(dk_state "$NAME" Pid)
	root=$(dk_rt_root "$id")
	pid_alive "$pid"
	run dk rm -f "$NAME"
	[ "$status" -eq 0 ]
	run dk ps -aq --filter "name=$NAME"
	[ -z "$output" ]
	wait_until 5 pid_gone "$pid"
	[ ! -e "$root/$id" ]
	[ -z "$(ls -d /sys/fs/cgroup/*/berth-test-docker/"$id" /sys/fs/cgroup/berth-test-docker/"$id" \
		2>/dev/null)" ]
}

# ------------------------------------------------------------------ host

@test "the engines stop cleanly and leave nothing on the host" {
	[ -z "${CTR_SKIP:-}" ] || skip "$CTR_SKIP"
	# While they run, nothing of theirs is mounted on the host.
	[ -z "$(grep -F "$ENG" /proc/self/mountinfo)" ]
	remove_containers
	if [ -n "${DK_PID:-}" ]; then
		stop_pid "$DK_PID" 20
	fi
	stop_pid "$CTR_PID" 10
	# Every shim exited with its container; nothing is left in their namespace.
	wait_until 5 eval '[ -z "$(mntns_pids)" ]'
	[ -z "$(find /sys/fs/cgroup/*/berth-test-docker /sys/fs/cgroup/berth-test-docker \
		-mindepth 1 -type d 2>/dev/null)" ]
	[ -z "$(ls -d /sys/fs/cgroup/*/berth-test/eng-* /sys/fs/cgroup/berth-test/eng-* 2>/dev/null)" ]
	host_snapshot >"$ENG/host-after"
	diff -u "$ENG/host-before" "$ENG/host-after"
	[ -z "$(grep -F "$ENG" /proc/self/mountinfo)" ]
}
