#!/usr/bin/env bats
# The registry client's push, login and authentication, driven by reg-tool
# (tests/helpers/reg-tool.c, no daemon) against Debian's docker-registry on
# loopback: open, behind htpasswd (Basic), and behind bearer tokens from
# tests/helpers/token-server.py. Pushed images are checked with skopeo and
# by pulling them back.

BUILD=${BERTH_BUILD:-$(realpath "$BATS_TEST_DIRNAME/../../build")}
HELPERS=$(realpath "$BATS_TEST_DIRNAME/../helpers")
RT=$BUILD/src/registry/reg-tool
MKARCHIVE="python3 $HELPERS/mkarchive.py"

load registry

# start_token_server [token-server options]: its PID in $TOK_DIR/pid, its
# log in $TOK_LOG.
start_token_server() {
	local before
	before=$(grep -c "listening on" "$TOK_LOG" 2>/dev/null) || true
	python3 "$HELPERS/token-server.py" --port "$TOK_PORT" --key "$TOK_DIR/key.pem" \
		--cert "$TOK_DIR/cert.pem" --issuer berth-test-issuer --service berth-test \
		--user alice:s3cret --user reader:rpw:pull "$@" 2>>"$TOK_LOG" &
	echo $! >"$TOK_DIR/pid"
	local i
	for i in $(seq 100); do
		[ "$(grep -c "listening on" "$TOK_LOG")" -gt "${before:-0}" ] && return 0
		sleep 0.05
	done
	return 1
}

stop_token_server() {
	local pid
	pid=$(cat "$TOK_DIR/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$TOK_DIR/pid"
}

setup_file() {
	ARCHIVE=$(busybox_archive)
	export ARCHIVE
	start_docker_registry
	export REG=$DREG_ADDR REG_DIR=$DREG_DIR REG_PID=$DREG_PID
	make_htpasswd "$BATS_FILE_TMPDIR/htpasswd" alice s3cret
	start_docker_registry --htpasswd "$BATS_FILE_TMPDIR/htpasswd"
	export AREG=$DREG_ADDR AREG_DIR=$DREG_DIR AREG_PID=$DREG_PID
	export TOK_DIR=$BATS_FILE_TMPDIR/tok TOK_PORT
	mkdir -p "$TOK_DIR"
	export TOK_LOG=$TOK_DIR/log
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TOK_DIR/key.pem" \
		-out "$TOK_DIR/cert.pem" -days 2 -subj /CN=berth-test-token 2>/dev/null
	TOK_PORT=$(free_port)
	start_token_server
	start_docker_registry --token "http://127.0.0.1:$TOK_PORT/token" berth-test \
		berth-test-issuer "$TOK_DIR/cert.pem"
	export TREG=$DREG_ADDR TREG_DIR=$DREG_DIR TREG_PID=$DREG_PID
	skopeo_put "$ARCHIVE" "$REG/src/busybox:latest"
	export ROOT=$BATS_FILE_TMPDIR/root
	"$RT" pull --root "$ROOT" --quiet "$REG/src/busybox:latest" >"$BATS_FILE_TMPDIR/pulled"
	MAN=$(sed -n 's/^manifest //p' "$BATS_FILE_TMPDIR/pulled")
	CONFIG=$(sed -n 's/^config //p' "$BATS_FILE_TMPDIR/pulled")
	export MAN CONFIG
}

teardown_file() {
	stop_token_server
	DREG_PID=$TREG_PID DREG_DIR=$TREG_DIR stop_docker_registry
	DREG_PID=$AREG_PID DREG_DIR=$AREG_DIR stop_docker_registry
	DREG_PID=$REG_PID DREG_DIR=$REG_DIR stop_docker_registry
}

# pulled_config ROOT REF [reg-tool options]: the config digest a pull gives.
pulled_config() {
	local root=$1 ref=$2
	shift 2
	"$RT" pull --root "$root" --quiet "$@" "$ref" | sed -n 's/^config //p'
}

@test "push: a pulled image, byte for byte, to another repository and registry" {
	run "$RT" push --root "$ROOT" --manifest "$MAN" "$REG/dst/bb:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Preparing"* ]]
	[[ "$output" == *": Pushing "*/* ]]
	[[ "$output" == *": Pushed"* ]]
	[[ "$output" == *"digest $MAN"* ]]
	run skopeo inspect --tls-verify=false "docker://$REG/dst/bb:v1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .Digest)" = "$MAN" ]
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/dst/bb:v1")" = "$CONFIG" ]
	# again: every layer is there
	run "$RT" push --root "$ROOT" --manifest "$MAN" "$REG/dst/bb:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Layer already exists"* ]]
	[[ "$output" != *": Pushed"* ]]
	# another registry (Basic auth)
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user alice:s3cret "$AREG/other/bb:v2"
	[ "$status" -eq 0 ]
	run skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$AREG/other/bb:v2"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .Digest)" = "$MAN" ]
}

@test "push: cross-repository mount on the same registry" {
	run "$RT" push --root "$ROOT" --manifest "$MAN" --mount-from nothere/x \
		--mount-from src/busybox "$REG/mounted/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Mounted from src/busybox"* ]]
	[[ "$output" != *": Pushing"* ]]
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/mounted/bb:1")" = "$CONFIG" ]
}

@test "push: uncompressed layers get a built OCI manifest" {
	local root=$BATS_TEST_TMPDIR/loaded
	run "$RT" load --root "$root" "$ARCHIVE"
	[ "$status" -eq 0 ]
	local config layer
	config=$(echo "$output" | sed -n 's/^config //p')
	layer=$(echo "$output" | sed -n 's/^layer //p')
	[ "$config" = "$CONFIG" ]
	run "$RT" push --root "$root" --config "$config" --layer "$layer" "$REG/plain/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pushed"* ]]
	run skopeo inspect --raw --tls-verify=false "docker://$REG/plain/bb:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .mediaType)" = application/vnd.oci.image.manifest.v1+json ]
	[ "$(echo "$output" | jq -r .config.mediaType)" = application/vnd.oci.image.config.v1+json ]
	[ "$(echo "$output" | jq -r '.layers[0].mediaType')" = application/vnd.oci.image.layer.v1.tar ]
	[ "$(echo "$output" | jq -r '.layers[0].digest')" = "$layer" ]
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/plain/bb:1")" = "$CONFIG" ]
}

@test "push: several layers (gzip, zstd, tar) at most --jobs at once" {
	local w=$BATS_TEST_TMPDIR/w root=$BATS_TEST_TMPDIR/multi
	mkdir -p "$w"
	local i
	for i in 1 2 3 4; do
		printf 'file layer%s/f%s %s-%s\n' "$i" "$i" "$i" "$RANDOM" | $MKARCHIVE layer "$w/l$i.tar"
	done
	$MKARCHIVE image "$w/img.tar" --tag multi:1 --layer "$w/l1.tar:gzip" \
		--layer "$w/l2.tar:zstd" --layer "$w/l3.tar" --layer "$w/l4.tar:gzip"
	run "$RT" load --root "$root" "$w/img.tar"
	[ "$status" -eq 0 ]
	local config layers=()
	config=$(echo "$output" | sed -n 's/^config //p')
	for i in $(echo "$output" | sed -n 's/^layer //p'); do layers+=(--layer "$i"); done
	[ "${#layers[@]}" -eq 8 ]
	run "$RT" push --root "$root" --jobs 2 --config "$config" "${layers[@]}" "$REG/multi/img:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ': Waiting$')" -eq 2 ]
	[ "$(echo "$output" | grep -c ': Pushed$')" -eq 4 ]
	run skopeo inspect --raw --tls-verify=false "docker://$REG/multi/img:1"
	[ "$(echo "$output" | jq -r '[.layers[].mediaType] | join(" ")')" = \
		"application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+zstd application/vnd.oci.image.layer.v1.tar application/vnd.oci.image.layer.v1.tar+gzip" ]
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/multi/img:1")" = "$config" ]
}

@test "push: chunked upload (PATCH with Content-Range, then PUT)" {
	BERTH_REGISTRY_PUSH_CHUNK=65536 run "$RT" push --root "$ROOT" --manifest "$MAN" \
		"$REG/chunked/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pushed"* ]]
	grep -q 'PATCH /v2/chunked/bb/blobs/uploads/' "$REG_DIR/log"
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/chunked/bb:1")" = "$CONFIG" ]
}

@test "push: 5xx answers and dropped connections are retried with backoff" {
	local port log=$BATS_TEST_TMPDIR/proxy.log i
	port=$(free_port)
	python3 "$HELPERS/flaky-proxy.py" --port "$port" --upstream "$REG" --fail PUT:2:503 \
		--drop POST:1 --fail PATCH:1:500 2>"$log" &
	echo $! >"$BATS_TEST_TMPDIR/proxy.pid"
	for i in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
	run "$RT" push --root "$ROOT" --manifest "$MAN" "127.0.0.1:$port/flaky/bb:1"
	local s1=$status
	BERTH_REGISTRY_PUSH_CHUNK=262144 run "$RT" push --root "$ROOT" --manifest "$MAN" \
		"127.0.0.1:$port/flaky2/bb:1"
	kill "$(cat "$BATS_TEST_TMPDIR/proxy.pid")"
	[ "$s1" -eq 0 ]
	[ "$status" -eq 0 ]
	[ "$(grep -c 'PUT .* -> 503' "$log")" -eq 2 ]
	grep -q 'POST .* -> dropped' "$log"
	grep -q 'PATCH .* -> 500' "$log"
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$REG/flaky/bb:1")" = "$CONFIG" ]
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back2" "$REG/flaky2/bb:1")" = "$CONFIG" ]
}

# tls_certs DIR: a CA, a server certificate for 127.0.0.1 and a client
# certificate, both signed by the CA.
tls_certs() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj /CN=berth-test-ca 2>/dev/null
	local who
	for who in server client; do
		openssl req -newkey rsa:2048 -nodes -keyout "$d/$who.key" -out "$d/$who.csr" \
			-subj "/CN=berth-test-$who" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=%sAuth\n' "$who" >"$d/$who.ext"
		openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/$who.ext" -out "$d/$who.crt" 2>/dev/null
	done
}

@test "push: TLS registry on loopback that asks for client certificates (certs.d)" {
	local d=$BATS_TEST_TMPDIR/tls port dir=$BATS_TEST_TMPDIR/treg i
	tls_certs "$d"
	port=$(free_port)
	mkdir -p "$dir/storage"
	cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $d/server.crt
    key: $d/server.key
    clientcas:
      - $d/ca.crt
EOC
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	for i in $(seq 100); do
		curl -s -o /dev/null --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key" \
			"https://127.0.0.1:$port/v2/" && break
		sleep 0.05
	done
	local certs=$BATS_TEST_TMPDIR/certs.d
	mkdir -p "$certs/127.0.0.1:$port"
	cp "$d/ca.crt" "$certs/127.0.0.1:$port/ca.crt"
	cp "$d/client.crt" "$certs/127.0.0.1:$port/client.cert"
	cp "$d/client.key" "$certs/127.0.0.1:$port/client.key"
	run "$RT" push --root "$ROOT" --manifest "$MAN" --certs-dir "$certs" "127.0.0.1:$port/tls/bb:1"
	local s1=$status o1=$output
	run "$RT" push --root "$ROOT" --manifest "$MAN" --certs-dir "$BATS_TEST_TMPDIR/none" \
		"127.0.0.1:$port/tls/bb:2"
	local s2=$status o2=$output
	run "$RT" login --certs-dir "$certs" --user a:b "127.0.0.1:$port"
	local s3=$status
	rm "$certs/127.0.0.1:$port/client.key"
	run "$RT" push --root "$ROOT" --manifest "$MAN" --certs-dir "$certs" "127.0.0.1:$port/tls/bb:3"
	kill "$(cat "$dir/pid")"
	[ "$s1" -eq 0 ]
	[[ "$o1" == *": Pushed"* ]]
	[ "$s2" -eq 1 ]
	# the TLS alert (or a reset, as the timing goes), not the plain http try
	[[ "$o2" == *"error: Get \"https://127.0.0.1:$port/v2/\": "* ]]
	[ "$s3" -eq 0 ]
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing key client.key for client certificate client.cert"* ]]
	[[ "$output" == *"kind: INVALID"* ]]
}

@test "push: htpasswd registry refuses missing and wrong credentials as docker does" {
	run "$RT" push --root "$ROOT" --manifest "$MAN" "$AREG/refused/bb:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: no basic auth credentials"* ]]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user alice:wrong "$AREG/refused/bb:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: unauthorized: authentication required"* ]]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$AREG/refused/bb:1"
	[ "$status" -ne 0 ]
}

@test "login: Basic accepted and refused, open registry, unreachable registry" {
	run "$RT" login --user alice:s3cret "$AREG"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	run "$RT" login --user alice:wrong "http://$AREG/"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: login attempt to http://$AREG/v2/ failed with status: 401 Unauthorized"* ]]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run "$RT" login --user anyone:any "$REG"
	[ "$status" -eq 0 ]
	local port
	port=$(free_port)
	run "$RT" login --user alice:s3cret "127.0.0.1:$port"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: Get \"http://127.0.0.1:$port/v2/\": dial tcp 127.0.0.1:$port: connect: connection refused"* ]]
	[[ "$output" == *"kind: UNAVAILABLE"* ]]
	run "$RT" push --root "$ROOT" --manifest "$MAN" "127.0.0.1:$port/x/y:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"connect: connection refused"* ]]
}

@test "bearer: push and pull with tokens, pull-only and wrong users refused" {
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user alice:s3cret "$TREG/tok/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *": Pushed"* ]]
	grep -q "issued token user=alice grant=basic scopes=repository:tok/bb:pull,push" "$TOK_LOG"
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$TREG/tok/bb:1" --user reader:rpw)" = "$CONFIG" ]
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user reader:rpw "$TREG/tok/bb:2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user alice:wrong "$TREG/tok/bb:2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized: incorrect username or password"* ]]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run "$RT" push --root "$ROOT" --manifest "$MAN" "$TREG/tok/bb:2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
	run skopeo inspect --tls-verify=false --creds alice:s3cret "docker://$TREG/tok/bb:2"
	[ "$status" -ne 0 ]
}

@test "bearer: login gives a refresh token, which pushes (grant_type=refresh_token)" {
	run "$RT" login --user alice:s3cret "$TREG"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Login Succeeded" ]
	local token
	token=$(echo "$output" | sed -n 's/^identity-token //p')
	[ -n "$token" ]
	run "$RT" login --user alice:nope "$TREG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error: Get \"http://$TREG/v2/\": unauthorized: incorrect username or password"* ]]
	run "$RT" push --root "$ROOT" --manifest "$MAN" --identity-token "$token" "$TREG/refresh/bb:1"
	[ "$status" -eq 0 ]
	grep -q "issued token user=alice grant=refresh_token scopes=repository:refresh/bb:pull,push" "$TOK_LOG"
	run "$RT" push --root "$ROOT" --manifest "$MAN" --identity-token not-a-token "$TREG/refresh/bb:2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kind: UNAUTHORIZED"* ]]
}

@test "bearer: a token the registry finds expired is fetched again" {
	stop_token_server
	start_token_server --stale-tokens 1
	run "$RT" push --root "$ROOT" --manifest "$MAN" --user alice:s3cret "$TREG/stale/bb:1"
	stop_token_server
	start_token_server
	[ "$status" -eq 0 ]
	[ "$(grep -c 'issued token user=alice grant=basic scopes=repository:stale/bb' "$TOK_LOG")" -ge 2 ]
	grep -q 'scopes=repository:stale/bb:pull,push stale' "$TOK_LOG"
	[ "$(pulled_config "$BATS_TEST_TMPDIR/back" "$TREG/stale/bb:1" --user alice:s3cret)" = "$CONFIG" ]
}
