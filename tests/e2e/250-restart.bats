#!/usr/bin/env bats
# berthd killed and started again: live restore (containers keep running
# and stay manageable), crash safety (no half images or containers, no temp
# directories, no mounts left) and restart policies across daemon restarts.

load daemon

setup_file() {
	start_berthd
	load_busybox
}

# Each test starts from no container (and a daemon that answers).
teardown() {
	[ "$(curl -s --unix-socket "$SOCK" http://localhost/_ping)" = OK ] || {
		stop_berthd KILL
		start_berthd
		wait_ping
	}
	local id
	for id in $(b ps -aq); do b rm -f "$id" >/dev/null 2>&1 || true; done
}

teardown_file() {
	local pids
	pids=$(cat "$XROOT"/containers/*/init.pid "$XROOT"/containers/*/monitor.pid 2>/dev/null)
	cleanup_berthd
	kill_leftovers $pids
}

# kill_leftovers PID...: monitors and container inits of our exec root still
# alive (a test that failed while the daemon was down), by their recorded
# pids; then mounts under our directory.
kill_leftovers() {
	local pid
	for pid in "$@"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	local m
	for m in $(awk -v r="$BATS_FILE_TMPDIR" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

# restart_berthd [SIGNAL]: stop the daemon (KILL by default) and start it
# again; returns once it answers /_ping.
restart_berthd() {
	stop_berthd "${1:-KILL}"
	start_berthd
	wait_ping
}

wait_ping() {
	local i
	for i in $(seq 100); do
		[ "$(curl -s --unix-socket "$SOCK" http://localhost/_ping)" = OK ] && return 0
		sleep 0.05
	done
	echo "berthd does not answer" >&2
	tail -20 "$BATS_FILE_TMPDIR/berthd.log" >&2
	return 1
}

# wait_for CMD...: retry for up to 10 s.
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

state_is() {
	[ "$(b inspect -f '{{.State.Status}}' "$1")" = "$2" ]
}

# open_big_file PID: a file of the data root (maybe unlinked, O_TMPFILE) that
# PID has open and that is over 1 MB.
open_big_file() {
	local f l
	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f") || continue
		[[ "$l" == "$DROOT"/* ]] || continue
		[ "$(stat -L -c %s "$f" 2>/dev/null || echo 0)" -gt 1048576 ] && { echo "$l"; return 0; }
	done
	return 0
}

api_info_count() {
	curl -s --unix-socket "$SOCK" http://localhost/info | jq ".$1"
}

mounts_under() {
	awk -v r="$1" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo
}

@test "SIGKILL of berthd: running containers keep their pid and stay manageable" {
	b run -d --name lr-log busybox sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done'
	b run -d --name lr-stop busybox sleep 300
	b run -d --name lr-kill busybox sleep 300
	b run -d -i --name lr-cat busybox cat
	b run -d --name lr-exit busybox sh -c 'sleep 1.5; exit 3'
	b run -d --name lr-rm busybox sleep 300
	b run -d --name lr-pause busybox sleep 300
	b pause lr-pause
	local name
	declare -A pid
	for name in lr-log lr-stop lr-kill lr-cat lr-rm; do
		pid[$name]=$(b inspect -f '{{.State.Pid}}' $name)
		[ "${pid[$name]}" -gt 0 ]
	done
	local started_exit
	started_exit=$(b inspect -f '{{.State.StartedAt}}' lr-exit)

	stop_berthd KILL
	sleep 2 # lr-exit ends while the daemon is down
	local before
	before=$(date +%s)
	start_berthd
	wait_ping

	for name in lr-log lr-stop lr-kill lr-cat lr-rm; do
		[ "$(b inspect -f '{{.State.Status}} {{.State.Pid}}' $name)" = "running ${pid[$name]}" ]
		kill -0 "${pid[$name]}"
	done
	run b ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == *"lr-stop Up "* ]]
	[[ "$output" == *"lr-pause Up "*"(Paused)"* ]]
	[ "$(api_info_count ContainersPaused)" -eq 1 ]
	b unpause lr-pause
	[ "$(b inspect -f '{{.State.Status}}' lr-pause)" = running ]
	# wait on the container that exited while berthd was down
	run b wait lr-exit
	[ "$output" = 3 ]
	[[ "$output" != *"lr-exit"* ]]
	run dk ps -a --filter name=lr-exit --format '{{.Status}}'
	[[ "$output" == "Exited (3) "* ]]
	[ "$(b inspect -f '{{.State.ExitCode}} {{.State.Running}}' lr-exit)" = "3 false" ]
	local fin
	fin=$(b inspect -f '{{.State.FinishedAt}}' lr-exit)
	[[ "$fin" != 0001-* ]]
	# finished about 1.5 s after its start, before the daemon came back
	[ "$(date -d "$fin" +%s)" -le "$before" ]
	[ "$(date -d "$fin" +%s)" -ge "$(date -d "$started_exit" +%s)" ]

	# logs, and logs -f keeps flowing lines written after the restart
	run b logs lr-log
	[[ "$output" == *line0* ]]
	local last
	last=$(b logs lr-log | tail -1)
	last=${last#line}
	run timeout 1.5 "$BERTH" -H "unix://$SOCK" logs -f lr-log
	local newest=${lines[-1]#line}
	[ "$newest" -gt "$((last + 3))" ]
	DOCKER_HOST="unix://$SOCK" run timeout 1.5 "$DOCKER" logs -f --tail 1 lr-log
	[ "${#lines[@]}" -ge 5 ]

	# exec through both CLIs
	run b exec lr-stop echo exec-ok
	[ "$output" = exec-ok ]
	run dk exec lr-stop sh -c 'exit 7'
	[ "$status" -eq 7 ]

	# attach: stdin reaches cat, its output comes back
	run bash -c "{ echo hello-attach; sleep 1; } | timeout 3 '$BERTH' -H 'unix://$SOCK' attach lr-cat"
	[[ "$output" == *hello-attach* ]]
	DOCKER_HOST="unix://$SOCK" run timeout -s KILL 1 "$DOCKER" attach --sig-proxy=false --no-stdin lr-log
	[[ "$output" == *line* ]]

	# stop, wait, kill, rm -f
	b stop -t 1 lr-stop
	[ "$(b inspect -f '{{.State.Status}}' lr-stop)" = exited ]
	! kill -0 "${pid[lr-stop]}" 2>/dev/null
	b wait lr-kill >"$BATS_TEST_TMPDIR/wait.out" &
	local wpid=$!
	sleep 0.3
	dk kill lr-kill
	wait "$wpid"
	[ "$(cat "$BATS_TEST_TMPDIR/wait.out")" = 137 ]
	local rmid
	rmid=$(b inspect -f '{{.Id}}' lr-rm)
	dk rm -f lr-rm
	run b inspect lr-rm
	[ "$status" -ne 0 ]
	! kill -0 "${pid[lr-rm]}" 2>/dev/null
	[ -z "$(mounts_under "$DROOT/containers/$rmid")" ]
	[ ! -e "$XROOT/containers/$rmid" ]
	b rm -f lr-log lr-stop lr-kill lr-cat lr-exit lr-pause
}

@test "an exec streaming across a daemon kill gets its output and exit code" {
	b run -d --name ex-a busybox sleep 300
	local out=$BATS_TEST_TMPDIR/exec.out
	{
		local rc=0
		"$BERTH" -H "unix://$SOCK" exec ex-a sh -c 'sleep 3; echo done; exit 5' >"$out" 2>&1 || rc=$?
		echo "rc=$rc" >>"$out"
	} &
	local xpid=$!
	sleep 0.5
	restart_berthd KILL
	wait "$xpid"
	run cat "$out"
	echo "$output"
	[ "${lines[0]}" = done ]
	[ "${lines[1]}" = rc=5 ]
	# and the exec is known to the new daemon
	[ "$(b inspect -f '{{len .ExecIDs}}' ex-a)" -ge 1 ]
	b rm -f ex-a
}

@test "nothing in the store is lost across SIGKILL: images, tags, containers, names" {
	b tag busybox:latest keep/me:v1
	b create --name st-created --label k=v busybox echo hi
	run b run --name st-exited busybox sh -c 'exit 4'
	[ "$status" -eq 4 ]
	b run -d --name st-running busybox sleep 300
	b rename st-running st-renamed
	local images containers
	images=$(b images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
	containers=$(b ps -a --format '{{.ID}} {{.Names}} {{.Image}} {{.Command}}' | sort)
	restart_berthd KILL
	[ "$(b images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)" = "$images" ]
	[ "$(b ps -a --format '{{.ID}} {{.Names}} {{.Image}} {{.Command}}' | sort)" = "$containers" ]
	[ "$(b inspect -f '{{.State.Status}} {{index .Config.Labels "k"}}' st-created)" = "created v" ]
	[ "$(b inspect -f '{{.State.Status}} {{.State.ExitCode}}' st-exited)" = "exited 4" ]
	[ "$(b inspect -f '{{.State.Status}}' st-renamed)" = running ]
	run b start -a st-created
	[ "$output" = hi ]
	# and a clean stop (SIGTERM) too: the socket goes with the daemon
	local pid
	pid=$(b inspect -f '{{.State.Pid}}' st-renamed)
	stop_berthd TERM
	[ ! -e "$SOCK" ]
	kill -0 "$pid"
	start_berthd
	wait_ping
	[ "$(b images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)" = "$images" ]
	[ "$(b inspect -f '{{.State.Status}}' st-renamed)" = running ]
	b rm -f st-created st-exited st-renamed
	b rmi keep/me:v1
}

@test "killed during a load: no half image, no temp files, no mounts" {
	local work=$BATS_TEST_TMPDIR/big
	mkdir -p "$work/root"
	# a layer of 48 MB of random data, streamed slowly enough to be cut
	head -c 50331648 /dev/urandom >"$work/root/blob"
	"$HELPERS/mkimage.sh" "$work/root" "$work/big.tar" big/image:1 /blob >/dev/null
	local images
	images=$(b images -q | sort)
	# stream through a pipe that stalls halfway, then kill the daemon
	{ head -c 25000000 "$work/big.tar"; sleep 5; } | b load >/dev/null 2>&1 &
	local lpid=$!
	local i partial=
	for i in $(seq 100); do
		# a file of the data root (maybe unlinked, O_TMPFILE) the daemon has open, over 1 MB
		partial=$(open_big_file "$(cat "$BATS_FILE_TMPDIR/berthd.pid")")
		[ -z "$partial" ] && partial=$(find "$DROOT" -newer "$work/big.tar" -type f -size +1M 2>/dev/null | head -1)
		[ -n "$partial" ] && break
		sleep 0.05
	done
	echo "partial file at the kill: $partial"
	[ -n "$partial" ] # the daemon is killed with part of the archive in
	stop_berthd KILL
	wait "$lpid" || true
	start_berthd
	wait_ping
	[ "$(b images -q | sort)" = "$images" ]
	run b image inspect big/image:1
	[ "$status" -ne 0 ]
	# no blob or layer of the half image, no temp file
	[ -z "$(find "$DROOT" -type f -size +10M)" ]
	[ -z "$(find "$DROOT/tmp" -mindepth 1 2>/dev/null)" ]
	[ -z "$(find "$DROOT" -name '*.tmp' -o -name 'tmp.*' -o -name '*.partial' -o -name '.tmp*' -o -name 'tmp-*')" ]
	[ -z "$(find "$DROOT/blobs/tmp" -mindepth 1 2>/dev/null)" ]
	[ -z "$(mounts_under "$DROOT" | grep -v "^$DROOT/containers/")" ]
	# killed while the layer is being unpacked (the whole archive is in)
	b load -i "$work/big.tar" >/dev/null 2>&1 &
	lpid=$!
	partial=
	for i in $(seq 1000); do
		partial=$(ls -d "$DROOT"/layers/tmp-* 2>/dev/null | head -1)
		[ -n "$partial" ] && break
		sleep 0.005
	done
	echo "unpacking at the kill: $partial"
	[ -n "$partial" ]
	stop_berthd KILL
	wait "$lpid" || true
	start_berthd
	wait_ping
	[ "$(b images -q | sort)" = "$images" ]
	[ -z "$(ls -d "$DROOT"/layers/tmp-* 2>/dev/null)" ]
	# no blob or layer of the image that was not recorded
	run find "$DROOT" -type f -size +10M
	[ -z "$output" ]
	[ -z "$(find "$DROOT/tmp" "$DROOT/blobs/tmp" -mindepth 1 2>/dev/null)" ]
	[ -z "$(mounts_under "$DROOT" | grep -v "^$DROOT/containers/")" ]
	# the whole archive loads afterwards
	b load -i "$work/big.tar"
	b image inspect big/image:1 >/dev/null
	b rmi big/image:1
}

@test "killed during creates: every container is whole or absent, no directory left over" {
	local i
	for i in $(seq 20); do
		b create --name cr-$i busybox true >/dev/null 2>&1 || true
	done &
	local cpid=$!
	sleep 0.4
	stop_berthd KILL
	wait "$cpid" || true
	start_berthd
	wait_ping
	local id dir
	# each directory under containers/ belongs to a container, and back
	for dir in "$DROOT"/containers/*/; do
		[ -d "$dir" ] || continue
		id=$(basename "$dir")
		b inspect "$id" >/dev/null
	done
	for id in $(b ps -aq --no-trunc); do
		[ -d "$DROOT/containers/$id" ]
		# and each starts
		run b start -a "$id"
		echo "start $id: $output"
		[ "$status" -eq 0 ]
	done
	[ -z "$(mounts_under "$DROOT")" ]
	for id in $(b ps -aq); do b rm -f "$id"; done
	[ -z "$(ls -A "$DROOT/containers")" ]
}

@test "killed during starts: a container whose monitor lives is found running, and stops" {
	local d id pid n=0
	for d in 0.01 0.02 0.03 0.05; do
		b create --name ks-$d busybox sleep 300 >/dev/null
		b start ks-$d >/dev/null 2>&1 &
		sleep $d
		restart_berthd KILL
	done
	sleep 0.5
	for d in 0.01 0.02 0.03 0.05; do
		id=$(b inspect -f '{{.Id}}' ks-$d)
		pid=$(cat "$XROOT/containers/$id/monitor.pid" 2>/dev/null) || pid=
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			# its monitor is alive: the container is running and manageable
			wait_for state_is ks-$d running
			n=$((n + 1))
			b stop -t 0 ks-$d
			wait_for bash -c "! kill -0 $pid 2>/dev/null"
		else
			[ "$(b inspect -f '{{.State.Running}}' ks-$d)" = false ]
		fi
		[ -z "$(mounts_under "$DROOT/containers/$id")" ]
	done
	echo "$n of 4 found running"
	[ "$n" -ge 1 ]
}

@test "berthd and a monitor killed together: stale mount and container settled at start" {
	b run -d --name mk-a busybox sleep 300
	local id cpid mpid
	id=$(b inspect -f '{{.Id}}' mk-a)
	cpid=$(b inspect -f '{{.State.Pid}}' mk-a)
	mpid=$(cat "$XROOT/containers/$id/monitor.pid")
	[ -n "$(mounts_under "$DROOT/containers/$id")" ]
	stop_berthd KILL
	kill -9 "$mpid"
	start_berthd
	wait_ping
	wait_for state_is mk-a exited
	# the container's process is gone with its monitor, and its mount
	wait_for bash -c "! kill -0 $cpid 2>/dev/null"
	[ -z "$(mounts_under "$DROOT/containers/$id")" ]
	# the container can start again
	b start mk-a
	[ "$(b inspect -f '{{.State.Status}}' mk-a)" = running ]
	b rm -f mk-a
	[ -z "$(mounts_under "$DROOT/containers/$id")" ]
}

@test "a monitor killed under a running berthd: the container is killed and unmounted" {
	b run -d --name mon-k busybox sleep 300
	local id cpid mpid
	id=$(b inspect -f '{{.Id}}' mon-k)
	cpid=$(b inspect -f '{{.State.Pid}}' mon-k)
	mpid=$(cat "$XROOT/containers/$id/monitor.pid")
	kill -9 "$mpid"
	wait_for state_is mon-k exited
	wait_for bash -c "! kill -0 $cpid 2>/dev/null"
	[ -z "$(mounts_under "$DROOT/containers/$id")" ]
	b start mon-k
	[ "$(b inspect -f '{{.State.Status}}' mon-k)" = running ]
	b rm -f mon-k
}

@test "restart policy no and on-failure:N (exact RestartCount)" {
	b run -d --name rp-no busybox sh -c 'exit 1'
	b run -d --name rp-fail --restart on-failure:2 busybox sh -c 'exit 5'
	b run -d --name rp-ok --restart on-failure busybox true
	wait_for state_is rp-fail exited
	sleep 1
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rp-no)" = "exited 0 1" ]
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rp-fail)" = "exited 2 5" ]
	[ "$(dk inspect -f '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' rp-fail)" = "2 on-failure 2" ]
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}}' rp-ok)" = "exited 0" ]
	# the count survives a daemon restart, and no more restarts happen
	restart_berthd KILL
	sleep 0.5
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}}' rp-fail)" = "exited 2" ]
	[ "$(b inspect -f '{{.State.Status}}' rp-no)" = exited ]
	b rm -f rp-no rp-fail rp-ok
	# a daemon killed between two restarts: the count goes on, exactly
	b run -d --name rp-fail3 --restart on-failure:3 busybox sh -c 'sleep 0.3; exit 6'
	wait_for bash -c "[ \$('$BERTH' -H 'unix://$SOCK' inspect -f '{{.RestartCount}}' rp-fail3) -ge 1 ]"
	restart_berthd KILL
	wait_for state_is rp-fail3 exited
	sleep 1.5
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rp-fail3)" = "exited 3 6" ]
	b rm -f rp-fail3
}

@test "restart policy always: restarts after exit, after a crash of its process while berthd is down" {
	b run -d --name rp-always --restart always busybox sh -c 'sleep 0.3; exit 2'
	wait_for bash -c "[ \$('$BERTH' -H 'unix://$SOCK' inspect -f '{{.RestartCount}}' rp-always) -ge 2 ]"
	b rm -f rp-always

	b run -d --name rp-always2 --restart always busybox sleep 300
	local cpid
	cpid=$(b inspect -f '{{.State.Pid}}' rp-always2)
	stop_berthd KILL
	kill -9 "$cpid"
	sleep 0.5
	start_berthd
	wait_ping
	wait_for state_is rp-always2 running
	[ "$(b inspect -f '{{.State.Pid}}' rp-always2)" != "$cpid" ]
	b rm -f rp-always2
	# docker kill ends the policy until the next start, as docker stop does
	b run -d --name rp-killed --restart always busybox sleep 300
	dk kill rp-killed
	sleep 1
	[ "$(b inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' rp-killed)" = "exited 0 137" ]
	b start rp-killed
	local pid
	pid=$(b inspect -f '{{.State.Pid}}' rp-killed)
	kill -9 "$pid"
	# a crash (not a kill through the API) restarts it
	wait_for bash -c "[ \"\$('$BERTH' -H 'unix://$SOCK' inspect -f '{{.RestartCount}} {{.State.Status}}' rp-killed)\" = '1 running' ]"
	b rm -f rp-killed
}

@test "docker stop on always and unless-stopped: stays stopped; daemon restart brings back always only" {
	b run -d --name rp-a --restart always busybox sleep 300
	b run -d --name rp-u --restart unless-stopped busybox sleep 300
	b run -d --name rp-u2 --restart unless-stopped busybox sleep 300
	dk stop -t 1 rp-a
	dk stop -t 1 rp-u
	sleep 1
	[ "$(b inspect -f '{{.State.Status}}' rp-a)" = exited ]
	[ "$(b inspect -f '{{.State.Status}}' rp-u)" = exited ]
	restart_berthd KILL
	wait_for state_is rp-a running
	sleep 0.5
	[ "$(b inspect -f '{{.State.Status}}' rp-u)" = exited ]
	[ "$(b inspect -f '{{.State.Status}}' rp-u2)" = running ]
	# an unless-stopped container whose process died while berthd was down
	# comes back (the user did not stop it)
	local cpid
	cpid=$(b inspect -f '{{.State.Pid}}' rp-u2)
	stop_berthd KILL
	kill -9 "$cpid"
	sleep 0.5
	start_berthd
	wait_ping
	wait_for state_is rp-u2 running
	[ "$(b inspect -f '{{.State.Status}}' rp-u)" = exited ]
	# and a clean daemon stop keeps them all as they were
	restart_berthd TERM
	[ "$(b inspect -f '{{.State.Status}}' rp-u)" = exited ]
	[ "$(b inspect -f '{{.State.Status}}' rp-u2)" = running ]
	b rm -f rp-a rp-u rp-u2
}
