#!/usr/bin/env bats
# berthd itself: its socket and options, version negotiation as dockerd,
# /_ping, /version, /info, system df and prune, through curl, the berth CLI
# and the docker CLI against a real daemon.

load daemon

setup_file() {
	start_berthd
	load_busybox
}

teardown_file() {
	cleanup_berthd
}

# api PATH [curl options...]: a request on our socket; prints the body.
api() {
	local path=$1
	shift
	curl -sS --unix-socket "$SOCK" "$@" "http://localhost$path"
}

# A second daemon for option tests: extra_berthd NAME [options...]; its
# roots are under $BATS_TEST_TMPDIR/NAME; EXTRA_PID and EXTRA_SOCK are set.
extra_berthd() {
	local name=$1
	shift
	local dir=$BATS_TEST_TMPDIR/$name
	mkdir -p "$dir"
	EXTRA_SOCK=$dir/d.sock
	# in a network namespace of its own: its default bridge and nftables
	# table go with it
	unshare --net "$BERTHD" --host "unix://$EXTRA_SOCK" --data-root "$dir/data" --exec-root "$dir/exec" \
		--cgroup-parent "/berth-test-$$-$name" "$@" >"$dir/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	EXTRA_PID=$!
	echo "$EXTRA_PID" >>"$BATS_TEST_TMPDIR/extra-pids"
	local i
	for i in $(seq 100); do
		[ -S "$EXTRA_SOCK" ] && return 0
		kill -0 "$EXTRA_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$dir/log" >&2
	return 1
}

teardown() {
	local pid
	for pid in $(cat "$BATS_TEST_TMPDIR/extra-pids" 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	done
	rm -f "$BATS_TEST_TMPDIR/extra-pids"
	if [ -n "${TMPGROUP:-}" ]; then
		groupdel "$TMPGROUP" 2>/dev/null || true
	fi
}

@test "socket: mode 0660, owned by root and group berth when it exists" {
	run stat -c '%a %U' "$SOCK"
	echo "got: $output"; [ "$output" = "660 root" ]
	if getent group berth >/dev/null; then
		[ "$(stat -c %G "$SOCK")" = berth ]
	else
		TMPGROUP=berth
		groupadd berth
		extra_berthd grp
		[ "$(stat -c '%a %U %G' "$EXTRA_SOCK")" = "660 root berth" ]
	fi
	# --group names another group; an unknown one is refused.
	local g=bt$$
	groupadd "$g"
	TMPGROUP=${TMPGROUP:+$TMPGROUP }$g
	extra_berthd grp2 --group "$g"
	[ "$(stat -c '%a %G' "$EXTRA_SOCK")" = "660 $g" ]
	groupdel "$g"
	TMPGROUP=${TMPGROUP% *}
	[ "$TMPGROUP" = "$g" ] && TMPGROUP=
	run timeout 10 unshare --net "$BERTHD" --host "unix://$BATS_TEST_TMPDIR/x.sock" --data-root "$BATS_TEST_TMPDIR/xd" \
		--exec-root "$BATS_TEST_TMPDIR/xe" --group no-such-group-$$
	[ "$status" -ne 0 ]
	[[ "$output" == *"no-such-group-$$"* ]]
	[ ! -S "$BATS_TEST_TMPDIR/x.sock" ]
}

@test "options: --data-root, --exec-root, --runtime, --default-runtime, --log-level" {
	local rt=$BUILD/berth-runtime
	[ -x "$rt" ] || rt=$(dirname "$BERTHD")/../../berth-runtime
	extra_berthd opts --runtime "other=$rt" --default-runtime other --log-level warn
	local dir=$BATS_TEST_TMPDIR/opts
	run curl -sS --unix-socket "$EXTRA_SOCK" http://localhost/info
	[ "$status" -eq 0 ]
	[ "$(jq -r .DockerRootDir <<<"$output")" = "$dir/data" ]
	[ "$(jq -r .DefaultRuntime <<<"$output")" = other ]
	[ "$(jq -r .Runtimes.other.path <<<"$output")" = "$rt" ]
	[ "$(jq -r '.Runtimes | has("berth")' <<<"$output")" = true ]
	[ "$(jq -r .Debug <<<"$output")" = false ]
	[ -f "$dir/data/state.db" ]
	[ -f "$dir/exec/berthd.lock" ]
	# warn level: no info lines
	! grep -q 'listening' "$dir/log"
	# a second daemon on the same exec root is refused
	run timeout 10 unshare --net "$BERTHD" --host "unix://$dir/d2.sock" --data-root "$dir/data2" --exec-root "$dir/exec"
	[ "$status" -ne 0 ]
	[[ "$output" == *"another berthd"* ]]
	# bad values
	run timeout 10 unshare --net "$BERTHD" --log-level loud
	[ "$status" -ne 0 ]
	[[ "$output" == *"--log-level 'loud'"* ]]
	run timeout 10 unshare --net "$BERTHD" --host tcp://127.0.0.1:2375
	[ "$status" -ne 0 ]
	[[ "$output" == *"tcp://127.0.0.1:2375"* ]]
	run timeout 10 unshare --net "$BERTHD" --runtime nopath
	[ "$status" -ne 0 ]
	[[ "$output" == *"NAME=PATH"* ]]
	run timeout 10 unshare --net "$BERTHD" --default-runtime nosuch --host "unix://$dir/d3.sock" \
		--data-root "$dir/data3" --exec-root "$dir/exec3"
	[ "$status" -ne 0 ]
	[[ "$output" == *"nosuch"* ]]
	# SIGHUP (dockerd's reload) does not end the daemon
	kill -HUP "$EXTRA_PID"
	sleep 0.3
	kill -0 "$EXTRA_PID"
	[ "$(curl -s --unix-socket "$EXTRA_SOCK" http://localhost/_ping)" = OK ]
	# SIGTERM ends it and removes its socket
	kill -TERM "$EXTRA_PID"
	for i in $(seq 50); do kill -0 "$EXTRA_PID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$EXTRA_PID" 2>/dev/null
	[ ! -e "$EXTRA_SOCK" ]
	# the debug level of our main daemon shows in /info
	[ "$(api /info | jq -r .Debug)" = true ]
}

@test "/_ping: OK and dockerd's headers, GET and HEAD" {
	run curl -sS -i --unix-socket "$SOCK" http://localhost/_ping
	[ "$status" -eq 0 ]
	local h=${output//$'\r'/}
	[[ "$h" == "HTTP/1.1 200 OK"* ]]
	grep -qi '^Api-Version: 1.45$' <<<"$h"
	grep -qi '^Docker-Experimental: false$' <<<"$h"
	grep -qi '^Ostype: linux$' <<<"$h"
	grep -qi '^Builder-Version: ' <<<"$h"
	grep -qi '^Cache-Control: no-cache, no-store, must-revalidate$' <<<"$h"
	grep -qi '^Pragma: no-cache$' <<<"$h"
	grep -qi '^Server: Docker/' <<<"$h"
	[[ "$h" == *$'\n'OK ]]
	run curl -sS -I --unix-socket "$SOCK" http://localhost/_ping
	grep -qi '^Api-Version: 1.45' <<<"${output//$'\r'/}"
	[ "$(api /v1.45/_ping)" = OK ]
	[ "$(api /v1.24/_ping)" = OK ]
}

@test "version negotiation: /vN.NN/ prefixes, too new and too old refused" {
	[ "$(api /version | jq -r .ApiVersion)" = 1.45 ]
	[ "$(api /version | jq -r .MinAPIVersion)" = 1.24 ]
	[ "$(api /v1.40/version | jq -r .Os)" = linux ]
	run curl -sS -w '\n%{http_code}' --unix-socket "$SOCK" http://localhost/v1.99/version
	[ "${lines[1]}" = 400 ]
	[ "$(jq -r .message <<<"${lines[0]}")" = "client version 1.99 is too new. Maximum supported API version is 1.45" ]
	run curl -sS -w '\n%{http_code}' --unix-socket "$SOCK" http://localhost/v1.12/info
	[ "${lines[1]}" = 400 ]
	[ "$(jq -r .message <<<"${lines[0]}")" = "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version" ]
	# the docker CLI 28 negotiates down to 1.45
	run dk version --format '{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}'
	[ "$status" -eq 0 ]
	[ "$output" = "1.45 1.45 1.24 linux" ]
	# ...and refuses an engine that is too old for a pinned version
	DOCKER_API_VERSION=1.99 run dk version --format '{{.Server.APIVersion}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"client version 1.99 is too new. Maximum supported API version is 1.45"* ]]
	# older pinned versions work, through their prefix
	DOCKER_API_VERSION=1.24 run dk ps -a
	[ "$status" -eq 0 ]
	DOCKER_API_VERSION=1.41 run dk info --format '{{.ServerVersion}}'
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	run b version
	[ "$status" -eq 0 ]
	[[ "$output" == *"1.45"* ]]
}

@test "/info: real figures, through both CLIs" {
	b run -d --name info-run busybox sleep 300
	b run -d --name info-paused busybox sleep 300
	b pause info-paused
	b create --name info-created busybox true
	b run --name info-exited busybox true
	local info
	info=$(api /info)
	local n
	n=$(b ps -aq | wc -l)
	[ "$(jq .Containers <<<"$info")" -eq "$n" ]
	[ "$(jq .ContainersRunning <<<"$info")" -eq "$(b ps -q --filter status=running | wc -l)" ]
	[ "$(jq .ContainersRunning <<<"$info")" -ge 1 ]
	[ "$(jq .ContainersPaused <<<"$info")" -eq 1 ]
	[ "$(jq '.ContainersStopped' <<<"$info")" -eq $((n - $(jq '.ContainersRunning + .ContainersPaused' <<<"$info"))) ]
	[ "$(jq .ContainersStopped <<<"$info")" -ge 2 ]
	[ "$(jq .Images <<<"$info")" -eq "$(b images -q | sort -u | wc -l)" ]
	[ "$(jq .NCPU <<<"$info")" -eq "$(nproc)" ]
	local mem
	mem=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024 ))
	[ "$(jq .MemTotal <<<"$info")" -eq "$mem" ]
	[ "$(jq -r .DockerRootDir <<<"$info")" = "$DROOT" ]
	[ "$(jq -r .Driver <<<"$info")" = overlay2 ]
	# the daemon's descriptors: its own count, not a constant
	local nfd
	nfd=$(ls /proc/"$(cat "$BATS_FILE_TMPDIR/berthd.pid")"/fd | wc -l)
	[ "$(jq .NFd <<<"$info")" -gt 5 ]
	[ "$(jq .NFd <<<"$info")" -le $((nfd + 4)) ] # plus the request's own
	[ "$(jq -r .OSType <<<"$info")" = linux ]
	[ "$(jq -r .KernelVersion <<<"$info")" = "$(uname -r)" ]
	[ "$(jq -r .Name <<<"$info")" = "$(hostname)" ]
	[ "$(jq -r .ID <<<"$info" | wc -c)" -gt 10 ]
	run dk info --format '{{.Containers}} {{.ContainersPaused}} {{.Driver}} {{.NCPU}} {{.DockerRootDir}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$n 1 overlay2 $(nproc) $DROOT" ]
	run dk info
	[ "$status" -eq 0 ]
	[[ "$output" == *"Storage Driver: overlay2"* ]]
	[[ "$output" != *"WARNING: API is accessible"* ]]
	run b info --format '{{.ContainersRunning}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$(jq .ContainersRunning <<<"$info")" ]
	b rm -f info-run info-paused info-created info-exited
	[ "$(api /info | jq .Containers)" -eq $((n - 4)) ]
}

@test "system df: images, containers, sizes through both CLIs" {
	b run --name df-one busybox sh -c 'dd if=/dev/zero of=/big bs=1024 count=2048 2>/dev/null'
	local df
	df=$(api /system/df)
	[ "$(jq '.Images | length' <<<"$df")" -eq "$(b images -q | sort -u | wc -l)" ]
	[ "$(jq -r '.Containers[] | select(.Names[0] == "/df-one") | .SizeRw' <<<"$df")" -ge 2097152 ]
	[ "$(jq -r '.Images[] | select(.RepoTags | index("busybox:latest")) | .Containers' <<<"$df")" -ge 1 ]
	[ "$(jq '.LayersSize' <<<"$df")" -gt 100000 ]
	[ "$(jq '.Volumes | length' <<<"$df")" -eq 0 ]
	[ "$(jq '.BuildCache | length' <<<"$df")" -eq 0 ]
	run dk system df
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == TYPE* ]]
	[[ "${lines[1]}" == Images* ]]
	[[ "${lines[2]}" == Containers* ]]
	run dk system df --format '{{.Type}} {{.TotalCount}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Containers $(b ps -aq | wc -l)"* ]]
	run dk system df -v
	[ "$status" -eq 0 ]
	[[ "$output" == *df-one* ]]
	run b system df
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == Images* ]]
	b rm df-one
}

@test "system prune: -f removes stopped containers and dangling images, -a unused images" {
	local id
	for id in $(b ps -aq); do b rm -f "$id"; done
	b run -d --name pr-run busybox sleep 300
	b create --name pr-created busybox true
	b run --name pr-exited busybox true
	b tag busybox:latest pr-extra:1
	run dk system prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total reclaimed space"* ]]
	run b ps -a --format '{{.Names}}'
	[[ "$output" == *pr-run* ]]
	[[ "$output" != *pr-created* ]]
	[[ "$output" != *pr-exited* ]]
	b image inspect pr-extra:1 >/dev/null
	# -a: every image without a container goes, the one in use stays
	b rmi pr-extra:1
	local tar=$BATS_FILE_TMPDIR/img/busybox.tar
	b load -i "$tar" >/dev/null
	b tag busybox:latest pr-extra:2
	run b system prune -a -f
	[ "$status" -eq 0 ]
	b image inspect busybox:latest >/dev/null
	b rm -f pr-run
	run dk system prune -a -f
	[ "$status" -eq 0 ]
	run b images -q
	[ -z "$output" ]
	[ "$(api /info | jq .Images)" -eq 0 ]
	load_busybox
}

@test "events: a live stream, since/until replay and filters (docker CLI)" {
	local t0 out=$BATS_TEST_TMPDIR/events
	# nanoseconds: the image events of earlier tests must fall before it
	t0=$(date +%s.%N)
	DOCKER_HOST="unix://$SOCK" timeout -s KILL 20 "$DOCKER" events --filter label=ev=yes --filter container=ev1 --filter container=ev1b \
		--format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' >"$out" &
	local epid=$!
	sleep 0.5
	run b run --name ev1 --label ev=yes busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	b run --name ev-other busybox true
	b rename ev1 ev1b
	b rm ev1b ev-other
	local i
	for i in $(seq 50); do
		grep -q destroy "$out" && break
		sleep 0.1
	done
	kill -9 "$epid" 2>/dev/null || true
	wait "$epid" 2>/dev/null || true
	run cat "$out"
	[ "${lines[0]}" = "container create ev1" ]
	[ "${lines[1]}" = "container start ev1" ]
	[ "${lines[2]}" = "container die ev1" ]
	[ "${lines[3]}" = "container rename ev1b" ]
	[ "${lines[4]}" = "container destroy ev1b" ]
	[ "${#lines[@]}" -eq 5 ]
	# replay: since/until end the stream at once
	run timeout 5 "$DOCKER" -H "unix://$SOCK" events --since "$t0" --until "$(($(date +%s) + 1))" \
		--filter event=die --filter label=ev=yes --format '{{.Action}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	[ "$output" = "die 3 ev1" ]
	run timeout 5 "$DOCKER" -H "unix://$SOCK" events --since "$t0" --until 0s --filter type=image
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run curl -sS -w '%{http_code}' --unix-socket "$SOCK" "http://localhost/events?since=$t0&until=$(date +%s)&filters=%7B%22nope%22%3A%7B%22x%22%3Atrue%7D%7D"
	[[ "$output" == *400 ]]
}
