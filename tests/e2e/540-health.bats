#!/usr/bin/env bats
# Health checks through a real berthd, with the berth CLI (b) and the docker
# CLI 28 (dk): --health-* options and the image's HEALTHCHECK, the states
# starting/healthy/unhealthy in ps and inspect (docker's State.Health), the
# timeout and the start period, health_status events, ps --filter health=,
# pause and stop, the state across a daemon restart (TERM and KILL), and
# dockerd's errors for bad settings. Every wait is a bounded poll; probes run
# every 200 ms so that the polls end early.

load daemon

bats_require_minimum_version 1.5.0

setup_file() {
	start_berthd
	load_busybox
	# an image whose config has a HEALTHCHECK (as `docker build` writes it)
	local work=$BATS_FILE_TMPDIR/img
	MKIMAGE_CONFIG='{"Healthcheck":{"Test":["CMD-SHELL","echo from-image"],"Interval":200000000,"Retries":2}}' \
		"$HELPERS/mkimage.sh" "$work/bundle/rootfs" "$work/hc.tar" hc:latest sh >/dev/null
	b load -i "$work/hc.tar" >/dev/null
	MKIMAGE_CONFIG='{"Healthcheck":{"Test":["CMD","/bin/sh","-c","echo exec-form; exit 0"],"Interval":200000000}}' \
		"$HELPERS/mkimage.sh" "$work/bundle/rootfs" "$work/hcexec.tar" hcexec:latest sh >/dev/null
	b load -i "$work/hcexec.tar" >/dev/null
}

teardown_file() {
	cleanup_berthd
}

teardown() {
	local id
	for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	return 0
}

health() {
	b inspect -f '{{json .State.Health}}' "$1"
}

# wait_health NAME STATUS: poll (at most 20 s) until State.Health.Status is STATUS.
wait_health() {
	local i
	for i in $(seq 100); do
		[ "$(health "$1" | jq -r '.Status' 2>/dev/null)" = "$2" ] && return 0
		sleep 0.2
	done
	echo "health of $1: $(health "$1")" >&2
	return 1
}

# wait_log NAME N: poll until the health log has at least N results.
wait_log() {
	local i
	for i in $(seq 100); do
		[ "$(health "$1" | jq '.Log | length' 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.2
	done
	echo "health of $1: $(health "$1")" >&2
	return 1
}

# api METHOD PATH [curl args]: $status is the HTTP status, $output the body.
api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -s --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "$@" "http://berth$path")
	status=${out##*$'\n'}
	output=${out%$'\n'*}
}

@test "a passing --health-cmd: healthy in ps and inspect, through both CLIs" {
	for cli in b dk; do
		$cli run -d --name ok-$cli --health-cmd 'echo ok' --health-interval 200ms \
			busybox sleep 300 >/dev/null
	done
	for cli in b dk; do
		wait_health ok-$cli healthy
		run -0 health ok-$cli
		[ "$(jq -r '.FailingStreak' <<<"$output")" = 0 ]
		[ "$(jq -r '.Log[-1].ExitCode' <<<"$output")" = 0 ]
		[ "$(jq -r '.Log[-1].Output' <<<"$output")" = ok ]
		[ "$(jq -r '.Log[-1] | keys_unsorted | join(",")' <<<"$output")" = Start,End,ExitCode,Output ]
		# inspect through the docker CLI reads the same
		run -0 dk inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' ok-$cli
		[ "$output" = "healthy 0" ]
		for lister in b dk; do
			run -0 $lister ps --filter name=ok-$cli --format '{{.Status}}'
			[[ "$output" =~ ^Up\ .*\ \(healthy\)$ ]]
		done
	done
	# both CLIs sent the same Healthcheck (the docker CLI's fields, in ns)
	run -0 b inspect -f '{{json .Config.Healthcheck}}' ok-b
	[ "$output" = '{"Test":["CMD-SHELL","echo ok"],"Interval":200000000}' ]
	[ "$output" = "$(dk inspect -f '{{json .Config.Healthcheck}}' ok-dk)" ]
	# at most 5 results are kept
	wait_log ok-b 5
	sleep 1
	[ "$(health ok-b | jq '.Log | length')" = 5 ]
}

@test "both CLIs send the same Healthcheck for every --health-* option" {
	local opts
	for opts in "--health-cmd true --health-interval 1m30s --health-timeout 2s --health-retries 4 --health-start-period 1.5s --health-start-interval 250ms" \
		"--health-interval 0s" "--health-timeout 3s" "--health-retries 2" "--no-healthcheck" \
		"--health-cmd 'exit 0' --health-start-interval 1ms"; do
		# shellcheck disable=SC2086
		eval "b create --name hb $opts busybox true" >/dev/null
		eval "dk create --name hd $opts busybox true" >/dev/null
		run -0 b inspect -f '{{json .Config.Healthcheck}}' hb
		[ "$output" = "$(dk inspect -f '{{json .Config.Healthcheck}}' hd)" ]
		b rm hb hd >/dev/null
	done
	b create --name hb --health-cmd true --health-interval 1m30s --health-timeout 2s \
		--health-retries 4 --health-start-period 1.5s --health-start-interval 250ms busybox true >/dev/null
	run -0 b inspect -f '{{json .Config.Healthcheck}}' hb
	[ "$output" = '{"Test":["CMD-SHELL","true"],"Interval":90000000000,"Timeout":2000000000,"StartPeriod":1500000000,"StartInterval":250000000,"Retries":4}' ]
	# a zero duration alone is no setting (docker's haveHealthSettings)
	b create --name hz --health-interval 0s busybox true >/dev/null
	run -0 b inspect -f '{{json .Config.Healthcheck}}' hz
	[ "$output" = null ]
}

@test "starting: before the first probe (one interval after the start)" {
	for cli in b dk; do
		$cli run -d --name st-$cli --health-cmd true --health-interval 1h busybox sleep 300 >/dev/null
		run -0 health st-$cli
		[ "$output" = '{"Status":"starting","FailingStreak":0,"Log":[]}' ]
		run -0 $cli ps --filter name=st-$cli --format '{{.Status}}'
		[[ "$output" =~ ^Up\ .*\ \(health:\ starting\)$ ]]
	done
}

@test "a failing check: unhealthy after --health-retries failures, with its output" {
	for cli in b dk; do
		$cli run -d --name bad-$cli --health-cmd 'echo bad; echo worse >&2; exit 3' \
			--health-interval 200ms --health-retries 2 busybox sleep 300 >/dev/null
	done
	for cli in b dk; do
		wait_health bad-$cli unhealthy
		run -0 health bad-$cli
		[ "$(jq -r '.FailingStreak' <<<"$output")" -ge 2 ]
		[ "$(jq -r '.Log[0].ExitCode' <<<"$output")" = 3 ]
		[ "$(jq -r '.Log[0].Output' <<<"$output")" = $'bad\nworse' ]
		run -0 $cli ps --filter name=bad-$cli --format '{{.Status}}'
		[[ "$output" =~ ^Up\ .*\ \(unhealthy\)$ ]]
	done
	# output is cut at 4096 bytes, with "..." as dockerd
	b run -d --name long --health-cmd 'head -c 5000 /dev/zero | tr "\0" x' \
		--health-interval 200ms busybox sleep 300 >/dev/null
	# NUL bytes are kept (JSON \u0000), as dockerd's
	b run -d --name nul --health-cmd 'printf "a\000b"' --health-interval 200ms \
		busybox sleep 300 >/dev/null
	wait_log long 1
	[ "$(health long | jq -r '.Log[0].Output | length')" = 4099 ]
	[[ "$(health long | jq -r '.Log[0].Output')" == *x... ]]
	wait_log nul 1
	[ "$(health nul | jq -c '.Log[0].Output')" = '"a\u0000b"' ]
}

@test "a probe over --health-timeout is killed: exit -1 and docker's message" {
	for cli in b dk; do
		$cli run -d --name to-$cli --health-cmd 'sleep 30' --health-timeout 300ms \
			--health-interval 200ms --health-retries 1 busybox sleep 300 >/dev/null
	done
	b run -d --name to-out --health-cmd 'echo partial; sleep 30' --health-timeout 1s \
		--health-interval 200ms --health-retries 1 busybox sleep 300 >/dev/null
	for cli in b dk; do
		wait_health to-$cli unhealthy
		run -0 health to-$cli
		[ "$(jq -r '.Log[0].ExitCode' <<<"$output")" = -1 ]
		[ "$(jq -r '.Log[0].Output' <<<"$output")" = 'Health check exceeded timeout (300ms)' ]
	done
	wait_health to-out unhealthy
	[ "$(health to-out | jq -r '.Log[0].Output')" = $'Health check exceeded timeout (1s): partial' ]
	# the killed probes do not pile up: at most the running one (a killed one
	# may take a moment to go on a loaded machine)
	wait_log to-b 3
	local i
	for i in $(seq 25); do
		run -0 b top to-b
		[ "$(grep -c 'sleep 30' <<<"$output")" -le 1 ] && break
		sleep 0.2
	done
	[ "$(grep -c 'sleep 30' <<<"$output")" -le 1 ]
}

@test "start period: failures do not count until a success; start interval while starting" {
	# probes every 200 ms (start interval) although the interval is an hour
	b run -d --name sp --health-cmd 'exit 1' --health-interval 1h --health-start-period 1h \
		--health-start-interval 200ms --health-retries 1 busybox sleep 300 >/dev/null
	wait_log sp 3
	run -0 health sp
	[ "$(jq -r '.Status' <<<"$output")" = starting ]
	[ "$(jq -r '.FailingStreak' <<<"$output")" = 0 ]
	[ "$(jq -r '.Log[0].ExitCode' <<<"$output")" = 1 ]
	# a success, then failures: they count even within the start period
	dk run -d --name sp2 --health-cmd 'if [ -f /tmp/once ]; then exit 1; fi; touch /tmp/once' \
		--health-interval 500ms --health-start-period 1h --health-retries 2 busybox sleep 300 >/dev/null
	wait_health sp2 unhealthy
	run -0 health sp2
	[ "$(jq -r '.Log[0].ExitCode' <<<"$output")" = 0 ]
	[ "$(jq -r '.FailingStreak' <<<"$output")" -ge 2 ]
}

@test "HEALTHCHECK of the image, overridden field by field, and --no-healthcheck" {
	for cli in b dk; do
		$cli run -d --name img-$cli hc sleep 300 >/dev/null
		$cli run -d --name over-$cli --health-interval 300ms --health-retries 5 hc sleep 300 >/dev/null
		$cli run -d --name none-$cli --no-healthcheck hc sleep 300 >/dev/null
	done
	b run -d --name exec-form hcexec sleep 300 >/dev/null
	for cli in b dk; do
		run -0 b inspect -f '{{json .Config.Healthcheck}}' img-$cli
		[ "$output" = '{"Test":["CMD-SHELL","echo from-image"],"Interval":200000000,"Retries":2}' ]
		run -0 b inspect -f '{{json .Config.Healthcheck}}' over-$cli
		[ "$output" = '{"Test":["CMD-SHELL","echo from-image"],"Interval":300000000,"Retries":5}' ]
		# dockerd's merge fills the fields NONE leaves unset from the image
		run -0 b inspect -f '{{json .Config.Healthcheck}}' none-$cli
		[ "$output" = '{"Test":["NONE"],"Interval":200000000,"Retries":2}' ]
		wait_health img-$cli healthy
		[ "$(health img-$cli | jq -r '.Log[0].Output')" = from-image ]
		wait_health over-$cli healthy
		run -0 health none-$cli
		[ "$output" = null ]
		run -0 $cli ps --filter name=none-$cli --format '{{.Status}}'
		[[ "$output" =~ ^Up\ [^\(]*$ ]]
	done
	wait_health exec-form healthy
	[ "$(health exec-form | jq -r '.Log[0].Output')" = exec-form ]
	# the image's inspect shows it
	run -0 dk image inspect -f '{{json .Config.Healthcheck}}' hc
	[ "$output" = '{"Test":["CMD-SHELL","echo from-image"],"Interval":200000000,"Retries":2}' ]
}

@test "health_status events, and the probes' exec events as dockerd sends them" {
	local since
	since=$(date +%s)
	b run -d --name ev --health-cmd 'exit 0' --health-interval 200ms busybox sleep 300 >/dev/null
	wait_health ev healthy
	b exec ev touch /tmp/fail
	b rm -f ev >/dev/null
	b run -d --name ev2 --health-cmd 'exit 1' --health-interval 200ms --health-retries 1 \
		busybox sleep 300 >/dev/null
	wait_health ev2 unhealthy
	local until=$(($(date +%s) + 1))
	for cli in b dk; do
		run -0 $cli events --since "$since" --until "$until" --filter event=health_status \
			--filter container=ev --filter container=ev2 \
			--format '{{.Actor.Attributes.name}} {{.Action}}'
		[ "$output" = $'ev health_status: healthy\nev2 health_status: unhealthy' ]
		run -0 $cli events --since "$since" --until "$until" --filter container=ev2 \
			--filter event=exec_create --filter event=exec_start --filter event=exec_die \
			--format '{{.Action}} {{index .Actor.Attributes "exitCode"}}'
		[[ "${lines[0]}" == 'exec_create: /bin/sh -c exit 1 ' ]]
		[[ "${lines[1]}" == 'exec_start: /bin/sh -c exit 1 ' ]]
		[[ "${lines[2]}" == 'exec_die 1' ]]
	done
}

@test "ps --filter health=starting|healthy|unhealthy|none, and a bad value" {
	b run -d --name f-ok --health-cmd true --health-interval 200ms busybox sleep 300 >/dev/null
	b run -d --name f-bad --health-cmd false --health-interval 200ms --health-retries 1 \
		busybox sleep 300 >/dev/null
	b run -d --name f-start --health-cmd true --health-interval 1h busybox sleep 300 >/dev/null
	b run -d --name f-none busybox sleep 300 >/dev/null
	wait_health f-ok healthy
	wait_health f-bad unhealthy
	for cli in b dk; do
		for h in healthy:f-ok unhealthy:f-bad starting:f-start none:f-none; do
			run -0 $cli ps --filter "health=${h%%:*}" --format '{{.Names}}'
			[ "$output" = "${h#*:}" ]
		done
		run -0 $cli ps --filter health=healthy --filter health=unhealthy --format '{{.Names}}'
		[ "$(sort <<<"$output" | tr '\n' ' ')" = "f-bad f-ok " ]
		run -1 $cli ps --filter health=sick
		[[ "$output" == *"invalid filter 'health=sick': invalid value for health (sick): must be one of none, starting, healthy, unhealthy"* ]]
	done
}

@test "stop leaves the health unhealthy (dockerd) with its log; a start probes again" {
	b run -d --name sto --health-cmd 'echo up' --health-interval 200ms busybox sleep 300 >/dev/null
	wait_health sto healthy
	b stop -t 1 sto >/dev/null
	run -0 health sto
	[ "$(jq -r '.Status' <<<"$output")" = unhealthy ]
	[ "$(jq -r '.Log[0].Output' <<<"$output")" = up ]
	local n
	n=$(jq '.Log | length' <<<"$output")
	sleep 1
	[ "$(health sto | jq '.Log | length')" = "$n" ]
	for cli in b dk; do
		run -0 $cli ps -a --filter health=unhealthy --format '{{.Names}} {{.Status}}'
		[[ "$output" =~ ^sto\ Exited\ \([0-9]+\)\ .*ago$ ]]
	done
	# a start resets it to starting (a first probe may already have passed)
	dk start sto >/dev/null
	[[ "$(health sto | jq -r '.Status')" =~ ^(starting|healthy)$ ]]
	wait_health sto healthy
}

@test "a paused container is not probed; unpause resumes the probes" {
	b run -d --name pz --health-cmd true --health-interval 200ms busybox sleep 300 >/dev/null
	wait_health pz healthy
	b pause pz
	local before
	before=$(health pz | jq -c '.Log')
	[ "$(health pz | jq -r .Status)" = unhealthy ] # as dockerd when its monitor stops
	run -0 b ps --filter name=pz --format '{{.Status}}'
	[[ "$output" =~ ^Up\ .*\ \(Paused\)$ ]]
	sleep 1
	[ "$(health pz | jq -c '.Log')" = "$before" ]
	b unpause pz
	wait_health pz healthy
	[ "$(health pz | jq -c '.Log')" != "$before" ]
}

# restart_keeps SIGNAL: the health log survives a daemon restart; probing resumes.
restart_keeps() {
	# 500 ms: the 5 results from before the restart outlive the first checks
	b run -d --name rs --health-cmd 'echo alive' --health-interval 500ms busybox sleep 300 >/dev/null
	wait_health rs healthy
	stop_berthd "$1"
	local t0
	t0=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
	sleep 0.5
	start_berthd
	# the log from before the restart is there (dockerd resets the status to
	# starting and the streak to 0, and probes again)
	run -0 health rs
	[ "$(jq -r '.Log[0].Output' <<<"$output")" = alive ]
	[[ "$(jq -r '.Log[0].Start' <<<"$output")" < "$t0" ]]
	wait_health rs healthy
	local i
	for i in $(seq 100); do
		[[ "$(health rs | jq -r '.Log[-1].Start')" > "$t0" ]] && break
		sleep 0.2
	done
	[[ "$(health rs | jq -r '.Log[-1].Start')" > "$t0" ]]
	run -0 dk ps --filter name=rs --format '{{.Status}}'
	[[ "$output" =~ \((healthy|health:\ starting)\)$ ]]
}

@test "the health state is kept across a daemon restart, and probing resumes" {
	restart_keeps TERM
}

@test "the health state is kept across a SIGKILL of the daemon, and probing resumes" {
	restart_keeps KILL
}

@test "bad settings: docker's errors from both CLIs and from the API" {
	for cli in b dk; do
		run -125 $cli run --rm --health-retries -1 --health-cmd true busybox true
		[[ "$output" == *"--health-retries cannot be negative"* ]]
		run -125 $cli run --rm --health-interval -1s --health-cmd true busybox true
		[[ "$output" == *"--health-interval cannot be negative"* ]]
		run -125 $cli create --health-start-interval -2s busybox true
		[[ "$output" == *"--health-start-interval cannot be negative"* ]]
		run -125 $cli create --no-healthcheck --health-cmd true busybox true
		[[ "$output" == *"--no-healthcheck conflicts with --health-* options"* ]]
		# under 1ms: the daemon's check (run: 125, create: 1)
		run -125 $cli run --rm --health-cmd true --health-interval 500us busybox true
		[[ "$output" == *"Interval in Healthcheck cannot be less than 1ms"* ]]
		run -1 $cli create --health-cmd true --health-timeout 10ns busybox true
		[[ "$output" == *"Timeout in Healthcheck cannot be less than 1ms"* ]]
	done
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"Retries":-1}}'
	[ "$status" = 400 ]
	[ "$(jq -r .message <<<"$output")" = "Retries in Healthcheck cannot be negative" ]
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Interval":-5}}'
	[ "$status" = 400 ]
	[ "$(jq -r .message <<<"$output")" = "Interval in Healthcheck cannot be less than 1ms" ]
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"StartPeriod":999999}}'
	[ "$status" = 400 ]
	[ "$(jq -r .message <<<"$output")" = "StartPeriod in Healthcheck cannot be less than 1ms" ]
	api POST /containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"StartInterval":1}}'
	[ "$status" = 400 ]
	[ "$(jq -r .message <<<"$output")" = "StartInterval in Healthcheck cannot be less than 1ms" ]
	# StartInterval came with API 1.44: dockerd drops it for older clients
	api POST /v1.43/containers/create -H 'Content-Type: application/json' \
		-d '{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"StartInterval":1}}'
	[ "$status" = 201 ]
	run -0 b inspect -f '{{json .Config.Healthcheck}}' "$(jq -r .Id <<<"$output")"
	[ "$output" = '{"Test":["CMD","true"]}' ]
	b rm "$(b ps -aq)" >/dev/null
	# nothing was created
	[ -z "$(b ps -aq)" ]
}
