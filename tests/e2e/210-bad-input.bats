#!/usr/bin/env bats
# Bad input against a real berthd: malformed, oversized and wrongly typed API
# bodies, bad references and query values, hostile or broken image archives.
# Each must get docker's error text and HTTP status (400 bad request, 404 not
# found, 409 conflict; 500 only for internal faults), leave the store as it
# was (images, layers, blobs, no temporary leftovers) and a daemon that keeps
# serving.

load daemon

MKARCHIVE="python3 $BATS_TEST_DIRNAME/../helpers/mkarchive.py"

setup_file() {
	start_berthd
	export DROOT XROOT SOCK
	load_busybox
	export W=$BATS_FILE_TMPDIR/w
	mkdir -p "$W"
	local l
	l=$(tar xOf "$BATS_FILE_TMPDIR/img/busybox.tar" manifest.json | jq -r '.[0].Layers[0]')
	tar xOf "$BATS_FILE_TMPDIR/img/busybox.tar" "$l" >"$W/base.tar"
	printf 'file f x\n' | $MKARCHIVE layer "$W/f.tar"
}

teardown_file() {
	cleanup_berthd
}

# api METHOD PATH [curl args]: $status is the HTTP status, $output the body.
api() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -s --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "$@" "http://berth$path")
	status=${out##*$'\n'}
	output=${out%$'\n'*}
}

# What the store holds: image ids, layers, blobs, and anything temporary.
store_state() {
	b images -a -q --no-trunc | sort
	ls "$DROOT/layers" "$DROOT/blobs/sha256" "$DROOT/blobs/tmp" "$DROOT/tmp"
}

still_serving() {
	b version >/dev/null
	run b run --rm busybox echo alive
	[ "$status" -eq 0 ] && [ "$output" = alive ]
}

@test "container create: malformed and wrongly typed JSON bodies are 400, unknown fields ignored" {
	before=$(b ps -aq | wc -l)
	while IFS='|' read -r body msg; do
		api POST /containers/create -H 'Content-Type: application/json' -d "$body"
		[ "$status" = 400 ] || { echo "$body: $status $output"; false; }
		[ "$(echo "$output" | jq -r .message)" = "$msg" ] || { echo "$body: $output"; false; }
	done <<-'EOF'
		{|request body: unexpected end of JSON
		[1]|request body: expected a JSON object
		{"Image":"busybox","Cmd":5}|Config.Cmd: expected an array of strings
		{"Image":"busybox","Cmd":["a",5]}|Config.Cmd: expected an array of strings
		{"Image":"busybox","Env":"A=1"}|Config.Env: expected an array of strings
		{"Image":"busybox","HostConfig":{"Memory":"x"}}|HostConfig.Memory: expected an integer
		{"Image":5}|Image: expected a string
		{"Image":"Bad:Ref"}|invalid reference format: repository name (library/Bad) must be lowercase
	EOF
	api POST /containers/create -H 'Content-Type: application/json' -d '{"Image":"nosuch"}'
	[ "$status" = 404 ] && [ "$(echo "$output" | jq -r .message)" = "No such image: nosuch:latest" ]
	[ "$(b ps -aq | wc -l)" -eq "$before" ]
	# Unknown fields are ignored, as docker does.
	api POST /containers/create -H 'Content-Type: application/json' -d '{"Image":"busybox","Bogus":{"x":1}}'
	[ "$status" = 201 ]
	b rm "$(echo "$output" | jq -r .Id)" >/dev/null
	still_serving
}

@test "oversized bodies: 413, nothing created, the daemon keeps serving" {
	before=$(b ps -aq | wc -l)
	{ printf '{"Image":"busybox","Cmd":["'; head -c 20000000 /dev/zero | tr '\0' a; printf '"]}'; } >"$W/big.json"
	api POST /containers/create -H 'Content-Type: application/json' --data-binary @"$W/big.json"
	[ "$status" = 413 ] && [ "$(echo "$output" | jq -r .message)" = "request body too large" ]
	[ "$(b ps -aq | wc -l)" -eq "$before" ]
	still_serving
}

@test "query values: bad filters are 400 with docker's texts" {
	api GET '/images/json?filters=bad'
	[ "$status" = 400 ] && [[ "$(echo "$output" | jq -r .message)" == "invalid filter"* ]]
	api GET '/images/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D'
	[ "$status" = 400 ] && [ "$(echo "$output" | jq -r .message)" = "invalid filter 'bogus'" ]
	api GET '/images/json?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D'
	[ "$status" = 400 ] && [ "$(echo "$output" | jq -r .message)" = "invalid filter 'dangling=maybe'" ]
	api POST '/images/prune?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D'
	[ "$status" = 400 ]
	run dk images --filter bogus=1
	[ "$status" -eq 1 ] && [ "$output" = "Error response from daemon: invalid filter 'bogus'" ]
	run b images --filter dangling=maybe
	[ "$status" -eq 1 ] && [ "$output" = "Error response from daemon: invalid filter 'dangling=maybe'" ]
	[ -n "$(b images -q busybox)" ]
	still_serving
}

@test "bad references: 400 from the API, docker's texts from both CLIs, no tag made" {
	before=$(b images -a --format '{{.Repository}}:{{.Tag}}' | sort)
	long=$(printf 'a%.0s' $(seq 300))
	digest=sha256:$(printf '0%.0s' $(seq 64))
	while IFS='|' read -r query msg; do
		api POST "/images/busybox/tag?$query"
		[ "$status" = 400 ] || { echo "$query: $status $output"; false; }
		[ "$(echo "$output" | jq -r .message)" = "$msg" ] || { echo "$query: $output"; false; }
	done <<-EOF
		repo=Bad&tag=Ref|invalid reference format: repository name (library/Bad) must be lowercase
		repo=x%2FUp|invalid reference format: repository name (x/Up) must be lowercase
		repo=$long|repository name must not be more than 255 characters
		repo=x&tag=-bad|invalid tag format
		repo=x%40$digest|refusing to create a tag with a digest reference
		repo=bad%20name|invalid reference format
		repo=|repository name must have at least one component
	EOF
	api POST '/images/nosuch/tag?repo=x'
	[ "$status" = 404 ] && [ "$(echo "$output" | jq -r .message)" = "No such image: nosuch:latest" ]
	run b tag busybox 'Bad:Ref'
	[ "$status" -eq 1 ]
	[ "$output" = 'Error parsing reference: "Bad:Ref" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase' ]
	run dk tag busybox 'Bad:Ref'
	[ "$status" -eq 1 ]
	[ "$output" = 'Error parsing reference: "Bad:Ref" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase' ]
	run b tag busybox "$long"
	[ "$status" -eq 1 ] && [[ "$output" == *"repository name must not be more than 255 characters" ]]
	run dk tag busybox "$long"
	[ "$status" -eq 1 ] && [[ "$output" == *"repository name must not be more than 255 characters" ]]
	for name in 'Bad:Ref' 'a b'; do
		api GET "/images/$(printf %s "$name" | jq -sRr @uri)/json"
		[ "$status" = 400 ] || { echo "$name: $status $output"; false; }
	done
	api DELETE /images/Bad:Ref
	[ "$status" = 400 ]
	[ "$(b images -a --format '{{.Repository}}:{{.Tag}}' | sort)" = "$before" ]
	still_serving
}

@test "not found is 404 and conflicts are 409, with docker's texts" {
	api DELETE /images/nosuch
	[ "$status" = 404 ] && [ "$(echo "$output" | jq -r .message)" = "No such image: nosuch:latest" ]
	api GET /images/nosuch/json
	[ "$status" = 404 ] && [ "$(echo "$output" | jq -r .message)" = "No such image: nosuch:latest" ]
	api GET /images/nosuch/history
	[ "$status" = 404 ]
	api GET '/images/get?names=nosuch'
	[ "$status" = 404 ] && [ "$(echo "$output" | jq -r .message)" = "No such image: nosuch" ]
	run b save -o "$W/none.tar" nosuch
	[ "$status" -eq 1 ] && [ "$output" = "Error response from daemon: No such image: nosuch" ]
	id=$(b image inspect -f '{{.Id}}' busybox)
	cid=$(b run -d busybox sleep 1000)
	api DELETE "/images/${id:7:12}"
	[ "$status" = 409 ]
	[ "$(echo "$output" | jq -r .message)" = "conflict: unable to delete ${id:7:12} (cannot be forced) - image is being used by running container ${cid:0:12}" ]
	api DELETE "/images/busybox"
	[ "$status" = 409 ]
	[ "$(echo "$output" | jq -r .message)" = "conflict: unable to remove repository reference \"busybox\" (must force) - container ${cid:0:12} is using its referenced image ${id:7:12}" ]
	b rm -f "$cid" >/dev/null
	[ "$(b image inspect -f '{{.Id}}' busybox)" = "$id" ]
	still_serving
}

@test "hostile and broken image archives: refused with the reason, the store unchanged" {
	local M="$MKARCHIVE image" base=$W/base.tar
	$M "$W/diffid.tar" --tag bad:1 --layer "$base" --layer "$W/f.tar" --bad-diffid 1
	$M "$W/digest.tar" --tag bad:2 --layer "$base" --layer "$W/f.tar:gzip" --bad-layer-digest 1
	$M "$W/ocidigest.tar" --tag bad:3 --layer "$base" --layer "$W/f.tar" --format oci --bad-layer-digest 1
	$M "$W/missing.tar" --tag bad:4 --layer "$base" --layer "$W/f.tar" --missing-blob 1
	$M "$W/legacymissing.tar" --tag bad:5 --layer "$base" --layer "$W/f.tar" --format legacy --missing-blob 1
	$M "$W/traversal.tar" --tag bad:6 --layer "$base" --layer "$W/f.tar" --extra-entry ../escaped
	$M "$W/absolute.tar" --tag bad:7 --layer "$base" --layer "$W/f.tar" --extra-entry /escaped
	head -c 200000 "$W/diffid.tar" >"$W/truncated.tar"
	{ printf '\037\213\010\000'; head -c 5000 /dev/urandom; } >"$W/garbage.gz"
	head -c 3000 /dev/urandom >"$W/random.bin"
	echo '{"not":"a tar"}' >"$W/json.txt"
	tar -C "$W" -cf "$W/empty.tar" --files-from /dev/null
	# A layer that is gzip garbage inside a well-formed archive.
	{ printf '\037\213\010\000'; head -c 5000 /dev/urandom; } >"$W/badlayer.gz"
	$M "$W/badlayer.tar" --tag bad:8 --layer "$base" --layer "$W/badlayer.gz"
	$M "$W/badtag.tar" --tag Bad:9 --layer "$base" --layer "$W/f.tar"

	before=$(store_state)
	while IFS='|' read -r file msg; do
		run b load -i "$W/$file"
		[ "$status" -eq 1 ] || { echo "$file: $status $output"; false; }
		[[ "$output" == *"$msg"* ]] || { echo "$file: $output"; false; }
		run dk load -i "$W/$file"
		[ "$status" -eq 1 ] && [[ "$output" == *"$msg"* ]]
		# Over the API: docker's load answers 200 and reports in the stream.
		api POST /images/load -H 'Content-Type: application/x-tar' --data-binary @"$W/$file"
		[ "$status" = 200 ] && [[ "$(echo "$output" | jq -r .error)" == *"$msg"* ]]
		[ "$(store_state)" = "$before" ] || { echo "$file changed the store"; diff <(echo "$before") <(store_state); false; }
		[ ! -e "$W/escaped" ] && [ ! -e "$DROOT/escaped" ] && [ ! -e /escaped ]
		still_serving
	done <<-EOF
		diffid.tar|invalid diffID for layer 1: expected sha256:0000000000000000000000000000000000000000000000000000000000000000, got sha256:
		digest.tar|digest mismatch: expected 'sha256:1111111111111111111111111111111111111111111111111111111111111111', got 'sha256:
		ocidigest.tar|digest mismatch: expected 'sha256:1111111111111111111111111111111111111111111111111111111111111111'
		missing.tar|No such file or directory
		legacymissing.tar|/layer.tar': No such file or directory
		traversal.tar|entry '../escaped' is absolute or contains '..'
		absolute.tar|entry '/escaped' is absolute or contains '..'
		truncated.tar|Truncated tar archive
		garbage.gz|gzip:
		random.bin|not a tar stream
		json.txt|not a tar stream
		empty.tar|invalid image archive: neither manifest.json nor index.json found
		badlayer.tar|apply layer
		badtag.tar|invalid reference format: repository name (library/Bad) must be lowercase
	EOF
	[ -z "$(b images -q 'bad')" ]
}

@test "import: broken tarballs and bad names are refused, the store unchanged" {
	before=$(store_state)
	{ printf '\037\213\010\000'; head -c 5000 /dev/urandom; } >"$W/imp-garbage.gz"
	printf 'file ../up x\n' | $MKARCHIVE layer "$W/imp-escape.tar"
	run b import "$W/imp-garbage.gz" imp:bad
	[ "$status" -eq 1 ] && [ "$output" = "Error response from daemon: import: read layer: gzip decompression failed" ]
	api POST '/images/create?fromSrc=-&repo=imp&tag=bad' --data-binary @"$W/imp-garbage.gz"
	[ "$status" = 400 ] && [ "$(echo "$output" | jq -r .message)" = "import: read layer: gzip decompression failed" ]
	run dk import "$W/imp-escape.tar" imp:bad
	[ "$status" -eq 1 ] && [[ "$output" == *"entry '../up' is absolute or contains '..'"* ]]
	run b import "$W/f.tar" 'Bad:Ref'
	[ "$status" -eq 1 ] && [[ "$output" == *"must be lowercase"* ]]
	api POST '/images/create?fromSrc=-&repo=Bad' --data-binary @"$W/f.tar"
	[ "$status" = 400 ]
	[ "$(echo "$output" | jq -r .message)" = "invalid reference format: repository name (library/Bad) must be lowercase" ]
	api POST '/images/create?fromSrc=-&changes=RUN%20x' --data-binary @"$W/f.tar"
	[ "$status" = 400 ] && [ "$(echo "$output" | jq -r .message)" = "run is not a valid change command" ]
	api POST '/images/create'
	[ "$status" = 400 ]
	[ "$(store_state)" = "$before" ]
	[ ! -e "$DROOT/up" ] && [ ! -e "$DROOT/layers/up" ]
	still_serving
}

@test "uploads cut off mid-body (load, import) leave nothing behind" {
	before=$(store_state)
	python3 - "$SOCK" "$W/f.tar" <<-'PY'
		import socket, sys
		def cut(head, body):
		    s = socket.socket(socket.AF_UNIX)
		    s.connect(sys.argv[1])
		    s.sendall(head + body)
		    s.close()
		data = open(sys.argv[2], "rb").read()
		cut(b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n"
		    b"Content-Length: 1000000\r\n\r\n", data[:700])
		cut(b"POST /images/create?fromSrc=-&repo=cut HTTP/1.1\r\nHost: x\r\n"
		    b"Transfer-Encoding: chunked\r\n\r\n1000\r\n", data[:100])
	PY
	sleep 0.3
	still_serving
	[ "$(store_state)" = "$before" ]
	pid=$(cat "$BATS_FILE_TMPDIR/berthd.pid")
	[ -z "$(ls -l "/proc/$pid/fd" | grep "$DROOT/tmp")" ]
	[ -z "$(b images -q cut)" ]
}
