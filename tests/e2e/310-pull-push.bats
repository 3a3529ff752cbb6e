#!/usr/bin/env bats
# Pull, push and login through berthd, with the berth and the docker CLI,
# against Debian's docker-registry on loopback (one open, one behind
# htpasswd Basic auth): progress output, RepoDigests, pull by digest and of
# every tag, credentials in config.json and through a credential helper, the
# pull of a missing image by run, and docker's errors with the store left as
# it was.

load daemon
load registry

bats_require_minimum_version 1.5.0

setup_file() {
	start_docker_registry
	export REG=$DREG_ADDR REG_DIR=$DREG_DIR REG_PID=$DREG_PID
	make_htpasswd "$BATS_FILE_TMPDIR/htpasswd" alice s3cret
	start_docker_registry --htpasswd "$BATS_FILE_TMPDIR/htpasswd"
	export AREG=$DREG_ADDR AREG_DIR=$DREG_DIR AREG_PID=$DREG_PID
	# bearer tokens (tests/helpers/token-server.py), with refresh tokens
	export TOK_DIR=$BATS_FILE_TMPDIR/tok
	mkdir -p "$TOK_DIR"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TOK_DIR/key.pem" \
		-out "$TOK_DIR/cert.pem" -days 2 -subj /CN=berth-test-token 2>/dev/null
	local tport i
	tport=$(free_port)
	/usr/bin/python3 "$HELPERS/token-server.py" --port "$tport" --key "$TOK_DIR/key.pem" \
		--cert "$TOK_DIR/cert.pem" --issuer berth-test-issuer --service berth-test \
		--user bob:t0ken 2>"$TOK_DIR/log" &
	echo $! >"$TOK_DIR/pid"
	for i in $(seq 100); do grep -q "listening on" "$TOK_DIR/log" && break; sleep 0.05; done
	start_docker_registry --token "http://127.0.0.1:$tport/token" berth-test \
		berth-test-issuer "$TOK_DIR/cert.pem"
	export TREG=$DREG_ADDR TREG_DIR=$DREG_DIR TREG_PID=$DREG_PID
	start_berthd
	export DROOT XROOT SOCK
	ARCHIVE=$(busybox_archive)
	skopeo_put "$ARCHIVE" "$REG/busybox:latest"
	skopeo_put "$ARCHIVE" "$REG/busybox:1.36"
	SKOPEO_CREDS=alice:s3cret skopeo_put "$ARCHIVE" "$AREG/private:latest"
	SKOPEO_CREDS=bob:t0ken skopeo_put "$ARCHIVE" "$TREG/tok:latest"
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/dockercfg
	mkdir -p "$DOCKER_CONFIG"
}

teardown_file() {
	cleanup_berthd
	kill "$(cat "$TOK_DIR/pid")" 2>/dev/null || true
	DREG_PID=$TREG_PID DREG_DIR=$TREG_DIR stop_docker_registry
	DREG_PID=$AREG_PID DREG_DIR=$AREG_DIR stop_docker_registry
	DREG_PID=$REG_PID DREG_DIR=$REG_DIR stop_docker_registry
}

# The image store as a listing, to compare before and after a failure.
store_listing() {
	b images --no-trunc --digests --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}}' | sort
}

@test "berth pull: plain progress lines, then the image runs" {
	run b pull "$REG/busybox"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Using default tag: latest" ]
	[ "${lines[1]}" = "latest: Pulling from busybox" ]
	[[ "$output" == *": Pulling fs layer"* ]]
	[[ "$output" == *": Pull complete"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG/busybox:latest"* ]]
	[ "${lines[-1]}" = "$REG/busybox:latest" ]
	[[ "$output" != *"[="* ]] # no bars when not on a terminal
	run b run --rm "$REG/busybox" echo pulled-ok
	[ "$status" -eq 0 ]
	[ "$output" = "pulled-ok" ]
	run b pull "$REG/busybox:latest"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Already exists"* ]]
	[[ "$output" == *"Status: Image is up to date for $REG/busybox:latest"* ]]
	run b events --since 1 --until "$(($(date +%s) + 1))" --filter type=image --filter event=pull \
		--format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
	[[ "$output" == *"pull $REG/busybox:latest $REG/busybox"* ]]
}

@test "pull by digest; RepoDigests in inspect" {
	local digest
	digest=$(skopeo inspect --tls-verify=false "docker://$REG/busybox:latest" | jq -r .Digest)
	run b pull "$REG/busybox@$digest"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$digest: Pulling from busybox" ]
	[[ "$output" == *"Digest: $digest"* ]]
	[ "${lines[-1]}" = "$REG/busybox@$digest" ]
	run b image inspect --format '{{json .RepoDigests}}' "$REG/busybox:latest"
	[ "$output" = "[\"$REG/busybox@$digest\"]" ]
	run b run --rm "$REG/busybox@$digest" echo by-digest
	[ "$output" = "by-digest" ]
	run dk image inspect --format '{{index .RepoDigests 0}}' "$REG/busybox@$digest"
	[ "$output" = "$REG/busybox@$digest" ]
}

@test "docker pull and docker push through berthd" {
	run dk pull "$REG/busybox:1.36"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1.36: Pulling from busybox"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	[ "${lines[-1]}" = "$REG/busybox:1.36" ]
	dk tag "$REG/busybox:1.36" "$REG/fromdocker:v1"
	run dk push "$REG/fromdocker:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/fromdocker]" ]
	[[ "$output" =~ v1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+ ]]
	run skopeo inspect --tls-verify=false "docker://$REG/fromdocker:v1"
	[ "$status" -eq 0 ]
}

@test "berth push to another repository, then skopeo reads it" {
	b pull -q "$REG/busybox:latest" >/dev/null
	b tag "$REG/busybox:latest" "$REG/copy/bb:v2"
	run b push "$REG/copy/bb:v2"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/copy/bb]" ]
	[[ "$output" == *": Mounted from busybox"* || "$output" == *": Layer already exists"* ||
		"$output" == *": Pushed"* ]]
	[[ "$output" =~ v2:\ digest:\ (sha256:[0-9a-f]{64})\ size ]]
	local pushed=${BASH_REMATCH[1]}
	run skopeo inspect --tls-verify=false "docker://$REG/copy/bb:v2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .Digest)" = "$pushed" ]
	run b events --since 1 --until "$(($(date +%s) + 1))" --filter event=push --format '{{.Actor.ID}}'
	echo "events: $output"
	[[ "$output" == *"$REG/copy/bb:v2"* ]]
	# push -a: every local tag of the repository
	b tag "$REG/busybox:latest" "$REG/copy/bb:v3"
	run b push -a "$REG/copy/bb"
	[ "$status" -eq 0 ]
	[[ "$output" == *"v2: digest: sha256:"* ]]
	[[ "$output" == *"v3: digest: sha256:"* ]]
	run skopeo list-tags --tls-verify=false "docker://$REG/copy/bb"
	[[ "$output" == *'"v2"'* && "$output" == *'"v3"'* ]]
}

@test "pull -a pulls every tag" {
	skopeo_put "$(busybox_archive)" "$REG/many:one"
	skopeo_put "$(busybox_archive)" "$REG/many:two"
	run b pull -a "$REG/many"
	[ "$status" -eq 0 ]
	[[ "$output" == *"one: Pulling from many"* ]]
	[[ "$output" == *"two: Pulling from many"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG/many"* ]]
	b image inspect "$REG/many:one" "$REG/many:two" >/dev/null
	run b pull -a "$REG/many:one"
	[ "$status" -eq 1 ]
}

@test "login and logout: config.json written and read back, Basic auth registry" {
	local cfg=$BATS_TEST_TMPDIR/cfg
	mkdir -p "$cfg"
	echo '{"psFormat":"table {{.ID}}","auths":{}}' >"$cfg/config.json"
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$AREG/private"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no basic auth credentials"* || "$output" == *"unauthorized"* ]]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" login -u alice -p wrong "$AREG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Error response from daemon:"* ]]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" login -u alice --password-stdin "$AREG" <<<"s3cret"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login Succeeded"* ]]
	[ "$(stat -c %a "$cfg/config.json")" = 600 ]
	[ "$(jq -r .psFormat "$cfg/config.json")" = "table {{.ID}}" ]
	[ "$(jq -r ".auths[\"$AREG\"].auth" "$cfg/config.json" | base64 -d)" = "alice:s3cret" ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$AREG/private"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Downloaded newer image for $AREG/private:latest"* ]]
	# the docker CLI reads the same file
	b tag "$AREG/private" "$AREG/private:again"
	run env DOCKER_CONFIG="$cfg" "$DOCKER" -H "unix://$SOCK" push "$AREG/private:again"
	[ "$status" -eq 0 ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" logout "$AREG"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $AREG" ]
	[ "$(jq -r ".auths[\"$AREG\"]" "$cfg/config.json")" = null ]
	[ "$(jq -r .psFormat "$cfg/config.json")" = "table {{.ID}}" ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" logout "$AREG"
	[ "$output" = "Not logged in to $AREG" ]
	# docker login through berthd writes what berth reads
	run env DOCKER_CONFIG="$cfg" "$DOCKER" -H "unix://$SOCK" login -u alice -p s3cret "$AREG"
	[ "$status" -eq 0 ]
	b rmi "$AREG/private:latest" "$AREG/private:again" >/dev/null
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull -q "$AREG/private"
	[ "$status" -eq 0 ]
	[ "$output" = "$AREG/private:latest" ]
}

@test "credentials through a credential helper (credsStore)" {
	local cfg=$BATS_TEST_TMPDIR/cfg
	mkdir -p "$cfg"
	echo '{"credsStore":"berthtest"}' >"$cfg/config.json"
	export PATH=$HELPERS:$PATH BERTHTEST_CREDS=$cfg/store
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" login -u alice -p s3cret "$AREG"
	[ "$status" -eq 0 ]
	[[ "$output" != *"stored unencrypted"* ]]
	grep -q '"Username":"alice","Secret":"s3cret"' "$cfg/store"
	[ "$(jq -r ".auths[\"$AREG\"].auth" "$cfg/config.json")" = null ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$AREG/private:latest"
	[ "$status" -eq 0 ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" logout "$AREG"
	[ "$status" -eq 0 ]
	! grep -q alice "$cfg/store"
	b rmi "$AREG/private:latest" >/dev/null
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$AREG/private:latest"
	[ "$status" -eq 1 ]
}

@test "run pulls a missing image (stderr), --pull never refuses" {
	run b run --rm --pull never "$REG/busybox:1.36-missing" true
	[ "$status" -eq 125 ]
	skopeo_put "$(busybox_archive)" "$REG/runme:latest"
	run --separate-stderr b run --rm "$REG/runme" echo ran
	[ "$status" -eq 0 ]
	[ "$output" = "ran" ]
	[[ "$stderr" == *"Unable to find image '$REG/runme:latest' locally"* ]]
	[[ "$stderr" == *"latest: Pulling from runme"* ]]
	[[ "$stderr" == *"Status: Downloaded newer image for $REG/runme:latest"* ]]
	run --separate-stderr b run --rm --pull always "$REG/runme" echo again
	[ "$output" = "again" ]
	[[ "$stderr" == *"Image is up to date"* ]]
}

@test "errors: unknown image, unreachable registry, refused credentials; store unchanged" {
	b pull -q "$REG/busybox:latest" >/dev/null
	local before
	before=$(store_listing)
	run b pull "$REG/nosuch:latest"
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: manifest for $REG/nosuch:latest not found: manifest unknown: manifest unknown" ]
	run dk pull "$REG/nosuch:latest"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest unknown"* ]]
	local port
	port=$(free_port)
	run b pull "127.0.0.1:$port/x:latest"
	[ "$status" -eq 1 ]
	[[ "$output" == "Error response from daemon: "*"127.0.0.1:$port"* ]]
	[[ "$output" == *"connection refused"* ]]
	run b pull "$AREG/private:latest"
	[ "$status" -eq 1 ]
	[ "$(store_listing)" = "$before" ]
}

@test "a failed pull of a newer image leaves the old one under its name" {
	# a different image in the registry, its layer then corrupted there
	local w=$BATS_TEST_TMPDIR
	echo other >"$w/f" && tar -C "$w" -cf "$w/l.tar" f
	b import "$w/l.tar" "$REG/changing:latest" >/dev/null
	b push "$REG/changing:latest" >/dev/null
	b rmi "$REG/changing:latest" >/dev/null
	local layer
	layer=$(skopeo inspect --tls-verify=false "docker://$REG/changing:latest" | jq -r '.Layers[0]')
	local data=$REG_DIR/storage/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer:7}/data
	[ -f "$data" ]
	gzip -c <<<"not the layer" >"$data"
	b tag "$REG/busybox:latest" "$REG/changing:latest"
	local before id
	before=$(store_listing)
	id=$(b image inspect --format '{{.Id}}' "$REG/changing:latest")
	run b pull "$REG/changing:latest"
	[ "$status" -eq 1 ]
	[ "$(b image inspect --format '{{.Id}}' "$REG/changing:latest")" = "$id" ]
	[ "$(store_listing)" = "$before" ]
	run b run --rm "$REG/changing:latest" echo still
	[ "$output" = "still" ]
}

@test "two pulls of one image at once both succeed" {
	skopeo_put "$(busybox_archive)" "$REG/twice:latest"
	b pull -q "$REG/twice" >"$BATS_TEST_TMPDIR/a" 2>&1 &
	local p1=$!
	b pull -q "$REG/twice" >"$BATS_TEST_TMPDIR/b" 2>&1 &
	local p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(cat "$BATS_TEST_TMPDIR/a")" = "$REG/twice:latest" ]
	[ "$(cat "$BATS_TEST_TMPDIR/b")" = "$REG/twice:latest" ]
	b run --rm "$REG/twice" true
}

@test "info shows the registry configuration" {
	run b info --format '{{json .RegistryConfig.InsecureRegistryCIDRs}}'
	[ "$output" = '["::1/128","127.0.0.0/8"]' ]
	run b info --format '{{.RegistryConfig.IndexConfigs}}'
	[[ "$output" == *docker.io* ]]
	run dk info --format '{{json .RegistryConfig.IndexConfigs}}'
	[[ "$output" == *'"Official":true'* ]]
}

@test "a client that goes away cancels its pull; nothing is left" {
	# an image of its own (a layer of random bytes), so that there is
	# something to download slowly
	local w=$BATS_TEST_TMPDIR
	head -c 1000000 /dev/urandom >"$w/blob" && tar -C "$w" -cf "$w/l.tar" blob
	b import "$w/l.tar" "$REG/slow:latest" >/dev/null
	b push "$REG/slow:latest" >/dev/null
	b rmi "$REG/slow:latest" >/dev/null
	local port i before pid
	port=$(free_port)
	/usr/bin/python3 "$HELPERS/throttle-proxy.py" "$port" "$REG" --rate 20000 &
	echo $! >"$BATS_TEST_TMPDIR/proxy.pid"
	for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
	before=$(store_listing)
	pid=$(cat "$BATS_FILE_TMPDIR/berthd.pid")
	"$BERTH" -H "unix://$SOCK" pull "127.0.0.1:$port/slow:latest" >"$w/out" 2>&1 &
	local cli=$!
	for i in $(seq 100); do grep -q "Pulling fs layer" "$w/out" && break; sleep 0.1; done
	[ -n "$(pgrep -P "$pid")" ] # the pull's child
	kill "$cli"
	wait "$cli" || true
	for i in $(seq 100); do [ -z "$(pgrep -P "$pid")" ] && break; sleep 0.1; done
	[ -z "$(pgrep -P "$pid")" ]
	[ "$(store_listing)" = "$before" ]
	# the same pull, not cancelled, works
	b pull -q "$REG/slow:latest" >/dev/null
	b image inspect "$REG/slow:latest" >/dev/null
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/proxy.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/proxy.pid")" 2>/dev/null || true
		wait "$(cat "$BATS_TEST_TMPDIR/proxy.pid")" 2>/dev/null || true
	fi
}

@test "login to a token registry keeps the identity token, pulls use it" {
	local cfg=$BATS_TEST_TMPDIR/cfg
	mkdir -p "$cfg"
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$TREG/tok:latest"
	[ "$status" -eq 1 ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" login -u bob -p nope "$TREG"
	[ "$status" -eq 1 ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" login -u bob -p t0ken "$TREG"
	[ "$status" -eq 0 ]
	local token
	token=$(jq -r ".auths[\"$TREG\"].identitytoken" "$cfg/config.json")
	[ -n "$token" ] && [ "$token" != null ]
	# no password is kept next to the token
	[ "$(jq -r ".auths[\"$TREG\"].auth" "$cfg/config.json" | base64 -d)" = "bob:" ]
	run env DOCKER_CONFIG="$cfg" "$BERTH" -H "unix://$SOCK" pull "$TREG/tok:latest"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Status: Downloaded newer image for $TREG/tok:latest"* ]]
}

@test "on a terminal: one line per layer, updated in place with its bar" {
	skopeo_put "$(busybox_archive)" "$REG/tty:latest"
	b rmi -f "$(b image inspect --format '{{.Id}}' "$REG/busybox:latest")" >/dev/null 2>&1 || true
	run script -qec "stty cols 150; $BERTH -H unix://$SOCK pull $REG/tty:latest" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e[2K\r'*": Pulling fs layer "$'\r'* ]]
	[[ "$output" == *": Download complete "$'\r'$'\e[1B'* ]]
	[[ "$output" == *"[==================================================>]"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG/tty:latest"* ]]
	# docker pull -a through berthd
	run dk pull -a "$REG/tty"
	[ "$status" -eq 0 ]
	[[ "$output" == *"latest: Pulling from tty"* ]]
}

@test "berthd's registry options show in info; a bad mirror is refused" {
	local t=$BATS_TEST_TMPDIR/opts
	mkdir -p "$t"
	# its own network namespace: the bridge and nftables table go with it
	unshare --net "$BERTHD" --host "unix://$t/s.sock" --data-root "$t/d" --exec-root "$t/x" \
		--insecure-registry 10.0.0.0/8 --insecure-registry myreg:5000 \
		--registry-mirror https://mirror.example:5000 --max-concurrent-downloads 2 \
		--max-concurrent-uploads 1 >"$t/log" 2>&1 &
	local pid=$! i
	for i in $(seq 100); do [ -S "$t/s.sock" ] && break; sleep 0.05; done
	run curl -s --unix-socket "$t/s.sock" http://berth/v1.45/info
	kill "$pid"
	wait "$pid" || true
	[ "$(echo "$output" | jq -c .RegistryConfig.InsecureRegistryCIDRs)" = '["10.0.0.0/8","::1/128","127.0.0.0/8"]' ]
	[ "$(echo "$output" | jq -c '.RegistryConfig.IndexConfigs["myreg:5000"].Secure')" = false ]
	[ "$(echo "$output" | jq -c .RegistryConfig.Mirrors)" = '["https://mirror.example:5000/"]' ]
	[ "$(echo "$output" | jq -c '.RegistryConfig.IndexConfigs["docker.io"].Mirrors')" = '["https://mirror.example:5000/"]' ]
	run unshare --net "$BERTHD" --host "unix://$t/s.sock" --data-root "$t/d" --exec-root "$t/x" --registry-mirror foo
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid mirror"* ]]
	run unshare --net "$BERTHD" --host "unix://$t/s.sock" --data-root "$t/d" --exec-root "$t/x" --max-concurrent-downloads 0
	[ "$status" -eq 1 ]
}
