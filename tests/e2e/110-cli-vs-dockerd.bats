#!/usr/bin/env bats
# The berth CLI against the docker CLI on the same daemon: the same command
# lines must give the same output, errors and exit codes (with "docker"
# read as "berth"), and create the same containers.
#
# The daemon is private to this file (tests/helpers/cli-engine.sh): Debian's
# dockerd 20.10 (API 1.41) by default, in a mount namespace of its own with
# its roots, sockets and cgroups under a temporary directory, and the image
# made by tests/helpers/mkimage.sh. BERTH_CLI_ENGINE=berthd runs the same
# tests against berthd instead (engine_setup / engine_teardown below).
# A test skips only when dockerd is not installed and cannot be installed.

load helpers

IMAGE=berth.test/busybox:latest
BERTH=$BUILD/src/cli/berth

# ------------------------------------------------------------------ engine

engine_setup() {
	local kind=${BERTH_CLI_ENGINE:-dockerd} out
	if [ "$kind" = dockerd ] && ! command -v dockerd >/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			out=$(timeout 900 "$BATS_TEST_DIRNAME/../../scripts/deps.sh" engines 2>&1) ||
				true
		fi
		if ! command -v dockerd >/dev/null; then
			export ENGINE_SKIP="dockerd (Debian package docker.io) is not installed and cannot be installed: ${out:-not root or no apt-get}"
			return 0
		fi
	fi
	if ! out=$(BERTH_BUILD=$BUILD "$HELPERS/cli-engine.sh" start "$ENGDIR/engine" "$kind" 2>&1); then
		export ENGINE_FAIL="$kind did not start: $out"
		return 0
	fi
	export DOCKER_HOST=unix://$ENGDIR/engine/engine.sock BERTH_HOST=unix://$ENGDIR/engine/engine.sock
}

engine_teardown() {
	"$HELPERS/cli-engine.sh" stop "$ENGDIR/engine" >/dev/null 2>&1
	return 0
}

setup_file() {
	ENGDIR=$(mktemp -d "${TMPDIR:-/tmp}/berth-cli.XXXXXX")
	export ENGDIR DOCKER_CONFIG=$ENGDIR/docker-config
	unset BERTH_API_VERSION DOCKER_API_VERSION
	if [ -x /usr/local/bin/docker ]; then
		export DOCKER=/usr/local/bin/docker
	elif command -v docker >/dev/null; then
		DOCKER=$(command -v docker)
		export DOCKER
	else
		export ENGINE_SKIP="no docker client to compare with"
		return 0
	fi
	[ -x "$BERTH" ] || { export ENGINE_FAIL="$BERTH was not built"; return 0; }
	engine_setup
}

teardown_file() {
	engine_teardown
	[ -n "${ENGDIR:-}" ] && rm -rf "$ENGDIR"
	return 0
}

need_engine() {
	[ -z "${ENGINE_SKIP:-}" ] || skip "$ENGINE_SKIP"
	[ -z "${ENGINE_FAIL:-}" ] || { echo "$ENGINE_FAIL" >&2; return 1; }
	N=cli$BATS_TEST_NUMBER
}

teardown() {
	local ids
	[ -n "${DOCKER_HOST:-}" ] || return 0
	ids=$("$DOCKER" ps -aq --filter "name=cli$BATS_TEST_NUMBER" 2>/dev/null)
	# shellcheck disable=SC2086 # one argument per id
	[ -z "$ids" ] || "$DOCKER" rm -f $ids >/dev/null 2>&1
	return 0
}

# ----------------------------------------------------------------- helpers

b() { timeout 60 "$BERTH" "$@"; }
d() { timeout 60 "$DOCKER" "$@"; }

# docker's texts name docker; ours name berth (paths are left alone).
normalize() {
	sed -E 's/(^|[^/a-z.])docker/\1berth/g; s/Docker/berth/g'
}

# compare FILTER ARGS...: docker and berth print the same, after docker's
# output went through normalize and both through FILTER, and exit the same.
compare() {
	local filter=$1 dout bout ds bs
	shift
	dout=$(d "$@" 2>&1) && ds=0 || ds=$?
	bout=$(b "$@" 2>&1) && bs=0 || bs=$?
	dout=$(printf '%s\n' "$dout" | normalize | $filter)
	bout=$(printf '%s\n' "$bout" | $filter)
	status=$bs output=$bout
	if [ "$dout" != "$bout" ] || [ "$ds" != "$bs" ]; then
		printf 'command: %s\n--- docker (%s)\n%s\n--- berth (%s)\n%s\n' "$*" "$ds" "$dout" \
			"$bs" "$bout" >&2
		diff <(echo "$dout") <(echo "$bout") >&2
		return 1
	fi
}

sorted() { LC_ALL=C sort; }

# same ARGS...: docker and berth print the same and exit the same.
same() {
	compare cat "$@"
}

# same_sorted ARGS...: like same, with the lines compared in sorted order. The
# docker CLI prints the repositories of one image in Go map order, which is
# random, so two names of one image come in either order.
same_sorted() {
	compare sorted "$@"
}

# same_raw ARGS...: like same, without renaming docker (JSON documents).
same_raw() {
	local dout bout ds bs
	dout=$(d "$@" 2>&1) && ds=0 || ds=$?
	bout=$(b "$@" 2>&1) && bs=0 || bs=$?
	status=$bs output=$bout
	if [ "$dout" != "$bout" ] || [ "$ds" != "$bs" ]; then
		diff <(echo "$dout") <(echo "$bout") >&2
		return 1
	fi
}

# same_pair ARGS...: the same command on twin objects: "@" in ARGS is
# $N-d for docker and $N-b for berth; outputs compared with the suffix dropped.
same_pair() {
	local dout bout ds bs a dargs=() bargs=()
	for a in "$@"; do
		dargs+=("${a//@/$N-d}")
		bargs+=("${a//@/$N-b}")
	done
	dout=$(d "${dargs[@]}" 2>&1) && ds=0 || ds=$?
	bout=$(b "${bargs[@]}" 2>&1) && bs=0 || bs=$?
	dout=$(printf '%s' "$dout" | normalize | sed "s/$N-d/$N-x/g")
	bout=$(printf '%s' "$bout" | sed "s/$N-b/$N-x/g")
	status=$bs output=$bout
	if [ "$dout" != "$bout" ] || [ "$ds" != "$bs" ]; then
		printf 'command: %s\n--- docker (%s)\n%s\n--- berth (%s)\n%s\n' "$*" "$ds" "$dout" \
			"$bs" "$bout" >&2
		return 1
	fi
}

# twins ARGS...: docker creates $N-d and berth creates $N-b with create ARGS.
twins() {
	d create --name "$N-d" "$@" >/dev/null
	b create --name "$N-b" "$@" >/dev/null
}

# The parts of inspect that the create flags set (ids, names, times dropped).
config_of() {
	d inspect "$1" | jq -S '.[0] | {Config: (.Config | del(.Hostname)),
		HostConfig: .HostConfig, Path, Args, Image}'
}

# ----------------------------------------------------------- version, info

@test "cli: version negotiates with the daemon and shows its components" {
	need_engine
	run b version
	[ "$status" -eq 0 ]
	[[ "$output" == *"Server:"* ]]
	v=$(d version --format '{{.Server.APIVersion}}')
	if [ "$(printf '%s\n%s\n' "$v" 1.45 | sort -V | head -1)" = "$v" ] && [ "$v" != 1.45 ]; then
		[[ "$output" == *"API version:       $v (downgraded from 1.45)"* ]]
	fi
	same version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Client.APIVersion}}'
	same version --format '{{.Nope}}'
	same version --format '{{'
	same version x
}

# The server part of `info`, with counts blanked and the runtimes sorted: the
# docker CLI prints them in Go map order, which is random.
info_server() {
	local line
	sed -n '/^Server:/,$p' | grep -v 'Init Binary\|Root Dir' |
		sed -E 's/(Containers|Running|Stopped|Paused|Images): [0-9]+/\1: N/' |
		while IFS= read -r line; do
			case $line in
			" Runtimes:"*)
				# shellcheck disable=SC2086 # split the names on purpose
				echo " Runtimes: $(printf '%s\n' ${line# Runtimes:} | LC_ALL=C sort | xargs)" ;;
			*) printf '%s\n' "$line" ;;
			esac
		done
}

@test "cli: info shows the daemon's information like docker" {
	need_engine
	same info --format '{{.ServerVersion}} {{.Containers}} {{.Images}} {{.Driver}} {{.OSType}}'
	same info --format '{{json .Plugins}}'
	b info >"$BATS_TEST_TMPDIR/b" 2>"$BATS_TEST_TMPDIR/b.err"
	d info >"$BATS_TEST_TMPDIR/d" 2>"$BATS_TEST_TMPDIR/d.err"
	# the server part is docker's, line for line, and so are the warnings
	diff <(info_server <"$BATS_TEST_TMPDIR/d") <(info_server <"$BATS_TEST_TMPDIR/b")
	diff "$BATS_TEST_TMPDIR/d.err" "$BATS_TEST_TMPDIR/b.err"
}

# ---------------------------------------------------------------------- ps

@test "cli: ps lists containers with docker's columns, filters and formats" {
	need_engine
	d run -d --name "$N-run" --network none -l a=b -l com.x.y=z "$IMAGE" sleep 1000 >/dev/null
	d create --name "$N-new" --network none "$IMAGE" sh -c 'echo created' >/dev/null
	same ps --filter "name=$N" --format '{{.ID}} {{.Image}} {{.Command}} {{.Names}} {{.State}}'
	same ps -a --filter "name=$N" --format 'table {{.ID}}\t{{.Names}}\t{{.Labels}}\t{{.Label "a"}}'
	same ps -a --filter "name=$N" --format '{{.Names}}|{{.Networks}}|{{.Mounts}}|{{.Ports}}|{{.LocalVolumes}}|{{.CreatedAt}}'
	same ps -a --filter "name=$N" -q
	same ps -a --filter "name=$N" --no-trunc --format '{{.ID}} {{.Command}}'
	same ps -a --filter "name=$N-new" --filter status=created --format '{{.Names}}'
	same ps --filter label=a=b --format '{{.Names}}'
	same ps -a --filter "name=$N" --format '{{json .Names}} {{upper .State}} {{.Label "com.x.y"}}'
	same ps -n 1 --format '{{.Names}}'
	same ps -l --format '{{.Names}}'
	# default table: docker's header and one row per container
	run b ps -a --filter "name=$N"
	[ "$status" -eq 0 ]
	# the header's padding follows the widest cell, and CREATED's ("Less than
	# a second ago", "1 second ago") depends on when each CLI asks
	[ "$(echo "${lines[0]}" | tr -s ' ')" = "$(d ps -a --filter "name=$N" | head -1 | tr -s ' ')" ]
	[ "${#lines[@]}" -eq 3 ]
	run b ps --format json --filter "name=$N-run"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.Names == "'"$N-run"'" and .Labels == "a=b,com.x.y=z" and .Size == "0B"'
	diff <(d ps --format json --filter "name=$N-run" | jq -S 'keys') <(echo "$output" | jq -S 'keys')
}

@test "cli: ps usage and template errors are docker's" {
	need_engine
	same ps --format '{{.Nope}}'
	same ps --format '{{.Names'
	same ps --format 'table {{.Nope}}'
	same ps -f nofilter
	same ps -f foo=bar
	same ps --foo
	same ps -x
	same ps -n
	same ps -n x
	same ps --all=maybe
	same ps extra
}

# -------------------------------------------------------------- create, run

@test "cli: create sends what docker sends (the containers come out the same)" {
	need_engine
	echo '[]' >"$BATS_TEST_TMPDIR/seccomp.json"
	printf 'A=1\n# comment\nB=2\n' >"$BATS_TEST_TMPDIR/env"
	local anon=(-v /anon)
	twins --network none -e X=1 --env-file "$BATS_TEST_TMPDIR/env" -w /tmp -u 1000:1000 -t -i \
		-l k=v --hostname hh -v /tmp:/mnt:ro "${anon[@]}" --tmpfs /run:size=1m --read-only \
		-m 64m --cpus 1.5 -c 512 --pids-limit 100 --cap-add NET_ADMIN --cap-drop chown \
		--security-opt no-new-privileges --security-opt "seccomp=$BATS_TEST_TMPDIR/seccomp.json" \
		--ulimit nofile=1024:2048 --sysctl net.ipv4.ip_forward=1 --shm-size 32m --init \
		--stop-signal SIGUSR1 --stop-timeout 5 --restart on-failure:3 --add-host foo:1.2.3.4 \
		--dns 8.8.8.8 --log-opt max-size=1m --log-opt max-file=2 \
		--mount type=tmpfs,target=/x,tmpfs-size=1000 --entrypoint /bin/sh "$IMAGE" -c 'echo hi'
	diff <(config_of "$N-d") <(config_of "$N-b")
}

@test "cli: create flags for ports, health checks, devices and privileges match docker's" {
	need_engine
	twins --network none -p 8080:80 -p 127.0.0.1:9000:90/udp --expose 7000-7001 \
		--health-cmd 'true' --health-interval 1m30s --health-retries 3 -a stdout \
		--privileged --security-opt seccomp=unconfined --oom-score-adj 5 --group-add 10 \
		--ipc private --cpuset-cpus 0 --memory-reservation 10m --memory-swap -1 \
		--device /dev/null:/dev/nul2:r --device-cgroup-rule 'c 1:3 rwm' "$IMAGE"
	diff <(config_of "$N-d") <(config_of "$N-b")
	N=$N-2
	twins --network none --rm --no-healthcheck --entrypoint= --runtime runc "$IMAGE" echo
	diff <(config_of "$N-d") <(config_of "$N-b")
}

@test "cli: create prints the id; its errors are docker's" {
	need_engine
	run b create --network none --name "$N" "$IMAGE"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$(d inspect --format '{{.Id}}' "$N")" = "$output" ]
	same create --memory xx "$IMAGE"
	same create --cpus x "$IMAGE"
	same create --restart on-failure:x "$IMAGE"
	same create --ulimit nofile=2:1 "$IMAGE"
	same create --mount type=bind,src=/tmp "$IMAGE"
	same create --device-cgroup-rule bogus "$IMAGE"
	same create --cpus 1 --memory 1k "$IMAGE"
	same create
}

@test "cli: run gives the container's output and exit status" {
	need_engine
	run b run --rm --network none "$IMAGE" echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run b run --rm --network none "$IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	run sh -c '"$0" run --rm --network none "$1" sh -c "echo out; echo err >&2" 2>/dev/null' \
		"$BERTH" "$IMAGE"
	[ "$output" = out ]
	run sh -c '"$0" run --rm --network none "$1" sh -c "echo out; echo err >&2" 2>&1 >/dev/null' \
		"$BERTH" "$IMAGE"
	[ "$output" = err ]
	run b run --rm --network none -e A=b -w /tmp -u 1000 "$IMAGE" sh -c 'echo $A $(pwd) $(id -u)'
	[ "$output" = "b /tmp 1000" ]
	# --rm: the daemon removed it when the wait returned
	run b ps -aq --filter "ancestor=$IMAGE" --filter status=exited --filter "name=$N"
	[ -z "$output" ]
}

@test "cli: run fails like docker: 127 not found, 126 cannot run, 125 engine errors" {
	need_engine
	same run --rm --network none "$IMAGE" nosuchcommand
	[ "$status" -eq 127 ]
	same run --rm --network none "$IMAGE" /etc/passwd
	[ "$status" -eq 126 ]
	same run --rm --network none "$IMAGE" /etc
	[ "$status" -eq 126 ]
	same run --rm --network none --restart always "$IMAGE"
	[ "$status" -eq 125 ]
	same run -d -a stdout "$IMAGE"
	same run
	same run --memory xx "$IMAGE"
	# a missing image: "Unable to find image", then the daemon's pull error
	same run --rm localhost:1/nosuch/image:v1
	[ "$status" -eq 125 ]
	[[ "$output" == "Unable to find image 'localhost:1/nosuch/image:v1' locally"* ]]
}

@test "cli: run -d prints the full id and detaches" {
	need_engine
	run_detached b run -d --name "$N" --network none "$IMAGE" sh -c 'echo bg; sleep 1000'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$(d inspect --format '{{.State.Running}}' "$N")" = true ]
	wait_for sh -c '[ "$("$0" logs "$1")" = bg ]' "$BERTH" "$N"
}

@test "cli: run -i passes stdin and closes it at EOF" {
	need_engine
	run sh -c 'printf "piped\nlines\n" | "$0" run -i --rm --network none "$1" cat' "$BERTH" "$IMAGE"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'piped\nlines')" ]
	run sh -c '"$0" run -i --rm --network none "$1" sh -c "cat; echo done" </dev/null' "$BERTH" "$IMAGE"
	[ "$output" = done ]
}

@test "cli: run -t gives a terminal, its size and raw stdin" {
	need_engine
	command -v script >/dev/null || skip "script(1) is not installed"
	run timeout 60 script -qec "$BERTH run -t --rm --network none $IMAGE sh -c 'tty; exit 4'" /dev/null </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run sh -c '(sleep 1; printf "echo in-tty\nexit 5\n") | timeout 60 script -qec "$0 run -it --rm --network none $1 sh" /dev/null' "$BERTH" "$IMAGE"
	[ "$status" -eq 5 ]
	[[ "$output" == *in-tty* ]]
	run sh -c 'echo x | "$0" run -it --rm "$1" true' "$BERTH" "$IMAGE"
	[ "$status" -eq 1 ]
	[ "$output" = "the input device is not a TTY" ]
}

@test "cli: run -it detaches with ctrl-p ctrl-q and leaves the container running" {
	need_engine
	command -v script >/dev/null || skip "script(1) is not installed"
	run sh -c '(sleep 1; printf "\020\021"; sleep 1) | timeout 60 script -qec "$0 run -it --name $2 --network none $1 sh" /dev/null' "$BERTH" "$IMAGE" "$N"
	[ "$status" -eq 0 ]
	[ "$(d inspect --format '{{.State.Running}}' "$N")" = true ]
}

@test "cli: run forwards signals to the container (sig-proxy)" {
	need_engine
	"$BERTH" run --rm --network none --name "$N" "$IMAGE" \
		sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done' >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	wait_for sh -c '[ "$("$0" inspect --format "{{.State.Running}}" "$1" 2>/dev/null)" = true ]' "$DOCKER" "$N"
	sleep 0.5
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 7 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = got-term ]
}

# --------------------------------------------------------------- lifecycle

@test "cli: start, stop, kill, restart, pause, unpause, wait print like docker" {
	need_engine
	twins --network none "$IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	same_pair start @
	same_pair pause @
	same_pair inspect --format '{{.State.Status}}' @
	same_pair unpause @
	same_pair stop -t 20 @
	same_pair wait @
	[ "$output" = 7 ]
	same_pair start @
	same_pair restart -t 1 @
	same_pair kill -s KILL @
	same_pair wait @
	[ "$output" = 137 ]
	same_pair rename @ @-renamed
	same_pair rm @-renamed
}

@test "cli: lifecycle errors are docker's" {
	need_engine
	for cmd in start stop kill restart pause unpause wait rm logs attach; do
		same $cmd "$N-nope"
	done
	same start "$N-nope1" "$N-nope2"
	same rm -f "$N-nope"
	same kill -s FOO "$N-nope"
	same rename "$N-nope" x
	same rename a
	same stop
	same wait
	d create --name "$N" --network none "$IMAGE" >/dev/null
	same stop "$N"
	same unpause "$N"
	same rename "$N" "$N"
}

@test "cli: start -a attaches, streams and exits with the container's status" {
	need_engine
	twins --network none "$IMAGE" sh -c 'echo started; exit 2'
	same_pair start -a @
	[ "$status" -eq 2 ]
	[ "$output" = started ]
	N=$N-2
	twins --network none "$IMAGE" nosuchcommand
	same_pair start -a @
	[ "$status" -eq 1 ]
	same start -a "$N-d" "$N-b"
	N=${N%-2}
}

@test "cli: logs with --tail, -t, --since and -f" {
	need_engine
	d run --name "$N" --network none "$IMAGE" sh -c 'echo one; echo two >&2; echo three' >/dev/null 2>&1
	same logs "$N"
	same logs --tail 1 "$N"
	same logs -n 2 "$N"
	same logs --since 10m "$N"
	same logs --until 1s "$N"
	same logs --since foo "$N"
	run sh -c '"$0" logs -t "$1" 2>/dev/null' "$BERTH" "$N"
	[[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z\ one$ ]]
	run sh -c '"$0" logs "$1" 2>/dev/null' "$BERTH" "$N"
	[ "$output" = "$(printf 'one\nthree')" ]
	d run -d --name "$N-f" --network none "$IMAGE" sh -c 'echo a; sleep 1; echo b' >/dev/null
	run b logs -f "$N-f"
	[ "$output" = "$(printf 'a\nb')" ]
	d run -d -t --name "$N-t" --network none "$IMAGE" sh -c 'echo tty-out' >/dev/null
	d wait "$N-t" >/dev/null
	same logs "$N-t"
}

@test "cli: attach streams a running container and returns its status" {
	need_engine
	d run -d --name "$N" --network none "$IMAGE" sh -c 'sleep 1; echo attached; exit 3' >/dev/null
	run b attach "$N"
	[ "$status" -eq 3 ]
	[ "$output" = attached ]
	d create --name "$N-s" --network none "$IMAGE" >/dev/null
	same attach "$N-s"
}

@test "cli: exec runs commands like docker exec" {
	need_engine
	d run -d --name "$N" --network none "$IMAGE" sleep 1000 >/dev/null
	same exec "$N" sh -c 'echo hi; exit 3'
	[ "$status" -eq 3 ]
	same exec -e A=1 -u 1000 -w /tmp "$N" sh -c 'echo $A $(id -u) $(pwd)'
	same exec "$N" nosuchcommand
	same exec "$N-nope" true
	same exec "$N"
	run sh -c 'echo piped | "$0" exec -i "$1" cat' "$BERTH" "$N"
	[ "$output" = piped ]
	run b exec -d "$N" sleep 100
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	wait_for sh -c '"$0" top "$1" | grep -q "sleep 100"' "$DOCKER" "$N"
	if command -v script >/dev/null; then
		run timeout 60 script -qec "$BERTH exec -t $N tty" /dev/null </dev/null
		[[ "$output" == *"/dev/pts/"* ]]
	fi
	d stop -t 0 "$N" >/dev/null
	same exec "$N" true
}

# ------------------------------------------------------------------ inspect

@test "cli: inspect prints the daemon's JSON like docker" {
	need_engine
	d run -d --name "$N" --network none -l a=b "$IMAGE" sleep 1000 >/dev/null
	diff <(d inspect "$N" | jq 'del(.[0].Mounts)') <(b inspect "$N" | jq 'del(.[0].Mounts)')
	same_raw inspect "$IMAGE"
	same_raw image inspect "$IMAGE"
	same container inspect --format '{{.Name}}' "$N"
	same inspect --format '{{.State.Status}} {{.Config.Labels}} {{.Id}} {{json .Config.Cmd}}' "$N"
	same inspect -f '{{index .Config.Labels "a"}} {{.Config.Labels.nope}} {{.State.Health}}' "$N"
	same inspect -f '{{range .Config.Env}}{{.}};{{end}} {{len .Config.Cmd}} {{.HostConfig.Binds}}' "$N"
	same inspect -f '{{if .State.Running}}up{{else}}down{{end}}' "$N"
	same inspect -s -f '{{.SizeRw}}' "$N"
	same inspect --type image -f '{{.Os}}' "$IMAGE"
	same_raw inspect -f json "$IMAGE"
}

@test "cli: inspect errors are docker's" {
	need_engine
	d create --name "$N" --network none "$IMAGE" >/dev/null
	same inspect "$N-nope"
	same inspect "$N" "$N-nope" --format '{{.Name}}'
	same inspect -f '{{.Nope}}' "$N"
	same inspect -f '{{' "$N"
	same inspect --type foo "$N"
	same inspect --type image "$N"
	same container inspect "$N-nope"
	same image inspect "$N-nope"
	same inspect
}

# ------------------------------------------------------------------- images

@test "cli: images lists like docker" {
	need_engine
	d tag "$IMAGE" "berth.test/$N:v1"
	same_sorted images
	same_sorted images -a
	same_sorted images -q
	same_sorted images --digests
	same_sorted images --no-trunc
	same_sorted images --format json
	same_sorted images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
	same_sorted images --format 'table {{.Repository}}\t{{.Tag}}'
	same_sorted images "berth.test/$N"
	same_sorted images -f dangling=true
	same_sorted images -f "reference=berth.test/$N:*"
	same_sorted images --format '{{.Nope}}'
	same image ls -q
	d rmi "berth.test/$N:v1" >/dev/null
}

@test "cli: tag, rmi and history work like docker's" {
	need_engine
	same_pair tag "$IMAGE" berth.test/@:v1
	same_pair images --format '{{.Repository}}:{{.Tag}}' berth.test/@
	same_pair rmi berth.test/@:v1
	same rmi "$N-nope"
	same tag "$N-nope" x
	same tag "$IMAGE" 'Bad:x'
	same tag "$IMAGE"
	same history "$IMAGE"
	same history --no-trunc "$IMAGE"
	same history -q "$IMAGE"
	same history -H=false "$IMAGE"
	same history --format json "$IMAGE"
	same history --format '{{.Nope}}' "$IMAGE"
	same history "$N-nope"
}

@test "cli: save, load and import move images like docker" {
	need_engine
	b save -o "$BATS_TEST_TMPDIR/b.tar" "$IMAGE"
	d save -o "$BATS_TEST_TMPDIR/d.tar" "$IMAGE"
	cmp "$BATS_TEST_TMPDIR/b.tar" "$BATS_TEST_TMPDIR/d.tar"
	b save "$IMAGE" >"$BATS_TEST_TMPDIR/b2.tar"
	cmp "$BATS_TEST_TMPDIR/b.tar" "$BATS_TEST_TMPDIR/b2.tar"
	same load -i "$BATS_TEST_TMPDIR/b.tar"
	[ "$output" = "Loaded image: $IMAGE" ]
	run sh -c '"$0" load <"$1"' "$BERTH" "$BATS_TEST_TMPDIR/b.tar"
	[ "$output" = "Loaded image: $IMAGE" ]
	same load -i /nonexistent.tar
	same save "$N-nope" -o "$BATS_TEST_TMPDIR/x.tar"
	if command -v script >/dev/null; then
		run timeout 30 script -qec "$BERTH save $IMAGE" /dev/null </dev/null
		[[ "$output" == *"cowardly refusing to save to a terminal. Use the -o flag or redirect"* ]]
	fi
	tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/rootfs.tar" b.tar
	run b import -c 'CMD ["sh"]' -m imported "$BATS_TEST_TMPDIR/rootfs.tar" "berth.test/$N:imp"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(d inspect --format '{{json .Config.Cmd}} {{.Comment}}' "berth.test/$N:imp")" = '["sh"] imported' ]
	run sh -c '"$0" import - "$1" <"$2"' "$BERTH" "berth.test/$N:imp2" "$BATS_TEST_TMPDIR/rootfs.tar"
	[ "$status" -eq 0 ]
	same import /nonexistent.tar
	d rmi "berth.test/$N:imp" "berth.test/$N:imp2" >/dev/null
}

# ------------------------------------------------------------ system, prune

@test "cli: system df and the prune commands report like docker" {
	need_engine
	same system df
	same system df --format json
	same system df --format '{{.Type}} {{.TotalCount}}'
	run b system df -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"Images space usage:"* ]]
	d create --name "$N-d" --network none "$IMAGE" >/dev/null
	run d container prune -f
	dout=$output
	d create --name "$N-b" --network none "$IMAGE" >/dev/null
	run b container prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Containers:" ]
	[ "${lines[-1]}" = "$(echo "$dout" | tail -1)" ]
	run sh -c 'echo n | "$0" container prune' "$BERTH"
	[ "$output" = "WARNING! This will remove all stopped containers.
Are you sure you want to continue? [y/N] " ]
	same image prune -f
	run sh -c 'echo n | "$0" system prune' "$BERTH"
	[[ "$output" == "WARNING! This will remove:"* ]]
}

# ------------------------------------------------------- commands and hosts

@test "cli: command groups, help and unknown commands" {
	need_engine
	same container ls -a --filter "name=$N" --format '{{.Names}}'
	same container ps -q --filter "name=$N"
	same image ls -q
	same image xyz
	same xyz
	same container rm
	run b --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage:  berth [OPTIONS] COMMAND"* ]]
	run b ps --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage:  berth ps [OPTIONS]"* ]]
	run b container
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage:  berth container COMMAND"* ]]
	for c in plugin build compose; do
		run b $c ls
		[ "$status" -eq 1 ]
		[ "$output" = "berth: '$c' is not supported yet" ]
	done
}

@test "cli: daemon addresses: -H, BERTH_HOST, DOCKER_HOST, tcp refused, no daemon" {
	need_engine
	sock=${BERTH_HOST#unix://}
	run env -u BERTH_HOST DOCKER_HOST="unix://$sock" "$BERTH" version --format '{{.Server.Version}}'
	[ "$status" -eq 0 ]
	run env BERTH_HOST=unix:///nonexistent.sock DOCKER_HOST="unix://$sock" "$BERTH" -H "unix://$sock" ps -q
	[ "$status" -eq 0 ]
	run env BERTH_HOST=tcp://127.0.0.1:2375 "$BERTH" ps
	[ "$status" -eq 1 ]
	[ "$output" = "berth: 'tcp://' hosts are not supported yet" ]
	run env BERTH_HOST=unix:///nonexistent.sock "$BERTH" ps
	[ "$status" -eq 1 ]
	[ "$output" = "Cannot connect to the berth daemon at unix:///nonexistent.sock. Is the daemon running?" ]
	run env BERTH_HOST=unix:///nonexistent.sock "$BERTH" run --rm "$IMAGE"
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: Cannot connect to the berth daemon at unix:///nonexistent.sock. Is the daemon running?"* ]]
}
