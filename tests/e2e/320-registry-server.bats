#!/usr/bin/env bats
# berth-registry, berth's OCI distribution server, on loopback: a conformance
# walk with curl (pushes monolithic, chunked and by mount, pulls with Range,
# tags pagination, referrers, deletes, errors with the spec's codes and
# statuses), skopeo copies in and out (also to and from Debian's
# docker-registry), htpasswd and Bearer token authentication, read-only mode,
# garbage collection and the access log.

load helpers
load registry

# One registry for the file (MAIN_*); a test may start a second one
# (start_berth_registry again), which its teardown stops.
setup_file() {
	start_berth_registry
	export BREG_ADDR BREG_DIR BREG_PID BREG_PORT
	export MAIN_ADDR=$BREG_ADDR MAIN_DIR=$BREG_DIR MAIN_PID=$BREG_PID
	export W=$BATS_FILE_TMPDIR/w
	mkdir -p "$W"
}

teardown_file() {
	BREG_PID=$MAIN_PID BREG_DIR=$MAIN_DIR stop_berth_registry
}

teardown() {
	if [ -n "${TOK_PID:-}" ]; then kill "$TOK_PID" 2>/dev/null || true; wait "$TOK_PID" 2>/dev/null || true; fi
	if [ -n "${DREG_PID:-}" ]; then stop_docker_registry; fi
	if [ "${BREG_PID:-}" != "$MAIN_PID" ]; then stop_berth_registry; fi
}

# req METHOD PATH [CURL ARGS...]: $code, headers in $W/h, body in $W/b.
req() {
	local m=$1 p=$2
	shift 2
	code=$(curl -s -X "$m" -D "$W/h" -o "$W/b" -w '%{http_code}' "$@" "http://$BREG_ADDR$p")
}

# hdr NAME: a header of the last answer.
hdr() {
	grep -i "^$1:" "$W/h" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

errcode() {
	jq -r '.errors[0].code' "$W/b"
}

sha() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# push_blob REPO FILE: a monolithic upload; prints the digest.
push_blob() {
	local d
	d=$(sha "$2")
	req POST "/v2/$1/blobs/uploads/?digest=$d" --data-binary "@$2" \
		-H 'Content-Type: application/octet-stream'
	[ "$code" = 201 ] || return 1
	echo "$d"
}

# make_image REPO TAG [ARTIFACT-SUBJECT]: a config and a layer pushed, the
# manifest in $W/m-REPO-TAG.json (not pushed); $CFG and $LAYER are the digests.
make_image() {
	local repo=$1 tag=$2 safe=${1//\//_}
	printf '{"architecture":"amd64","os":"linux","tag":"%s"}' "$tag" >"$W/cfg-$safe-$tag"
	head -c 70000 /dev/urandom >"$W/layer-$safe-$tag"
	CFG=$(push_blob "$repo" "$W/cfg-$safe-$tag")
	LAYER=$(push_blob "$repo" "$W/layer-$safe-$tag")
	jq -n --arg c "$CFG" --arg l "$LAYER" --argjson cs "$(stat -c %s "$W/cfg-$safe-$tag")" \
		--argjson ls "$(stat -c %s "$W/layer-$safe-$tag")" \
		'{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
		  config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
		  layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar", digest:$l, size:$ls}]}' \
		>"$W/m-$safe-$tag.json"
}

put_manifest() { # REPO REF FILE
	req PUT "/v2/$1/manifests/$2" --data-binary "@$3" \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json'
}

@test "ping answers 200 with the API version header" {
	req GET /v2/
	[ "$code" = 200 ]
	[ "$(hdr Docker-Distribution-Api-Version)" = registry/2.0 ]
}

@test "monolithic push, HEAD and GET of a blob, and Range requests" {
	head -c 100000 /dev/urandom >"$W/blob1"
	d=$(push_blob mono/a "$W/blob1")
	[ "$(hdr Location)" = "/v2/mono/a/blobs/$d" ]
	[ "$(hdr Docker-Content-Digest)" = "$d" ]
	req HEAD "/v2/mono/a/blobs/$d" -I
	[ "$code" = 200 ]
	[ "$(hdr Content-Length)" = 100000 ]
	req GET "/v2/mono/a/blobs/$d"
	[ "$code" = 200 ]
	cmp "$W/b" "$W/blob1"
	req GET "/v2/mono/a/blobs/$d" -H 'Range: bytes=10-19'
	[ "$code" = 206 ]
	[ "$(hdr Content-Range)" = "bytes 10-19/100000" ]
	cmp "$W/b" <(tail -c +11 "$W/blob1" | head -c 10)
	req GET "/v2/mono/a/blobs/$d" -H 'Range: bytes=99990-'
	[ "$code" = 206 ]
	cmp "$W/b" <(tail -c 10 "$W/blob1")
	req GET "/v2/mono/a/blobs/$d" -H 'Range: bytes=200000-300000'
	[ "$code" = 416 ]
	[ "$(hdr Content-Range)" = "bytes */100000" ]
	# POST then PUT with the whole body
	head -c 5000 /dev/urandom >"$W/blob2"
	req POST /v2/mono/a/blobs/uploads/
	[ "$code" = 202 ]
	loc=$(hdr Location)
	req PUT "$loc?digest=$(sha "$W/blob2")" --data-binary "@$W/blob2" \
		-H 'Content-Type: application/octet-stream'
	[ "$code" = 201 ]
	req GET "/v2/mono/a/blobs/$(sha "$W/blob2")"
	cmp "$W/b" "$W/blob2"
}

@test "chunked push: in-order chunks, 416 out of order, status, closing PUT" {
	head -c 300000 /dev/urandom >"$W/big"
	head -c 100000 "$W/big" >"$W/c1"
	tail -c +100001 "$W/big" | head -c 100000 >"$W/c2"
	tail -c +200001 "$W/big" >"$W/c3"
	req POST /v2/chunk/x/blobs/uploads/ -H 'Content-Length: 0'
	[ "$code" = 202 ]
	[ "$(hdr Range)" = 0-0 ]
	[ -n "$(hdr Docker-Upload-UUID)" ]
	loc=$(hdr Location)
	req PATCH "$loc" --data-binary "@$W/c1" -H 'Content-Range: 0-99999' \
		-H 'Content-Type: application/octet-stream'
	[ "$code" = 202 ]
	[ "$(hdr Range)" = 0-99999 ]
	loc=$(hdr Location)
	req PATCH "$loc" --data-binary "@$W/c3" -H 'Content-Range: 200000-299999' \
		-H 'Content-Type: application/octet-stream'
	[ "$code" = 416 ]
	req GET "$loc"
	[ "$code" = 204 ]
	[ "$(hdr Range)" = 0-99999 ]
	req PATCH "$loc" --data-binary "@$W/c2" -H 'Content-Range: 100000-199999' \
		-H 'Content-Type: application/octet-stream'
	[ "$code" = 202 ]
	# a chunk without Content-Range (docker's streamed PATCH) is appended
	req PATCH "$loc" --data-binary "@$W/c3" -H 'Content-Type: application/octet-stream'
	[ "$code" = 202 ]
	[ "$(hdr Range)" = 0-299999 ]
	req PUT "$loc?digest=$(sha "$W/big")"
	[ "$code" = 201 ]
	req GET "/v2/chunk/x/blobs/$(sha "$W/big")"
	cmp "$W/b" "$W/big"
	# the last chunk in the closing PUT
	req POST /v2/chunk/x/blobs/uploads/
	loc=$(hdr Location)
	req PATCH "$loc" --data-binary "@$W/c1" -H 'Content-Range: 0-99999'
	req PUT "$loc?digest=$(sha "$W/big")" --data-binary @<(cat "$W/c2" "$W/c3") \
		-H 'Content-Range: 100000-299999' -H 'Content-Type: application/octet-stream'
	[ "$code" = 201 ]
	# cancel an upload
	req POST /v2/chunk/x/blobs/uploads/
	loc=$(hdr Location)
	req DELETE "$loc"
	[ "$code" = 204 ]
	req GET "$loc"
	[ "$code" = 404 ]
	[ "$(errcode)" = BLOB_UPLOAD_UNKNOWN ]
}

@test "bad digests are refused and nothing is stored" {
	head -c 1000 /dev/urandom >"$W/bd"
	wrong=sha256:$(printf '%064d' 0)
	req POST "/v2/bad/d/blobs/uploads/?digest=$wrong" --data-binary "@$W/bd"
	[ "$code" = 400 ]
	[ "$(errcode)" = DIGEST_INVALID ]
	req POST /v2/bad/d/blobs/uploads/
	loc=$(hdr Location)
	req PUT "$loc?digest=$wrong" --data-binary "@$W/bd"
	[ "$code" = 400 ]
	[ "$(errcode)" = DIGEST_INVALID ]
	req HEAD "/v2/bad/d/blobs/$wrong" -I
	[ "$code" = 404 ]
	req POST "/v2/bad/d/blobs/uploads/?digest=sha256:xyz" --data-binary "@$W/bd"
	[ "$code" = 400 ]
	[ "$(errcode)" = DIGEST_INVALID ]
}

@test "cross-repository mount: 201 when the source holds the blob, else 202" {
	head -c 2000 /dev/urandom >"$W/mnt"
	d=$(push_blob mount/src "$W/mnt")
	req POST "/v2/mount/dst/blobs/uploads/?mount=$d&from=mount/src"
	[ "$code" = 201 ]
	[ "$(hdr Location)" = "/v2/mount/dst/blobs/$d" ]
	req GET "/v2/mount/dst/blobs/$d"
	cmp "$W/b" "$W/mnt"
	req POST "/v2/mount/other/blobs/uploads/?mount=$d&from=mount/nothere"
	[ "$code" = 202 ]
	[[ "$(hdr Location)" == /v2/mount/other/blobs/uploads/* ]]
	# blobs are per repository: not linked, not served
	req GET "/v2/mount/other/blobs/$d"
	[ "$code" = 404 ]
	[ "$(errcode)" = BLOB_UNKNOWN ]
}

@test "manifests: push by tag and digest, pull with type and digest, validation" {
	make_image man/img v1
	put_manifest man/img v1 "$W/m-man_img-v1.json"
	[ "$code" = 201 ]
	md=$(sha "$W/m-man_img-v1.json")
	[ "$(hdr Docker-Content-Digest)" = "$md" ]
	[ "$(hdr Location)" = "/v2/man/img/manifests/$md" ]
	req GET /v2/man/img/manifests/v1
	[ "$code" = 200 ]
	[ "$(hdr Content-Type)" = application/vnd.oci.image.manifest.v1+json ]
	[ "$(hdr Docker-Content-Digest)" = "$md" ]
	cmp "$W/b" "$W/m-man_img-v1.json"
	req HEAD "/v2/man/img/manifests/$md" -I
	[ "$code" = 200 ]
	[ "$(hdr Content-Length)" = "$(stat -c %s "$W/m-man_img-v1.json")" ]
	# by digest, and a digest that does not match the body
	make_image man/img v2
	put_manifest man/img "$(sha "$W/m-man_img-v2.json")" "$W/m-man_img-v2.json"
	[ "$code" = 201 ]
	put_manifest man/img "$md" "$W/m-man_img-v2.json"
	[ "$code" = 400 ]
	[ "$(errcode)" = DIGEST_INVALID ]
	# a layer the repository does not have
	jq --arg d "sha256:$(printf '%064d' 7)" '.layers[0].digest = $d' "$W/m-man_img-v1.json" >"$W/m-miss.json"
	put_manifest man/img miss "$W/m-miss.json"
	[ "$code" = 400 ]
	[ "$(errcode)" = MANIFEST_BLOB_UNKNOWN ]
	# not JSON, not schema 2
	echo 'not json' >"$W/m-bad.json"
	put_manifest man/img bad "$W/m-bad.json"
	[ "$code" = 400 ]
	[ "$(errcode)" = MANIFEST_INVALID ]
	echo '{"schemaVersion":1}' >"$W/m-bad.json"
	put_manifest man/img bad "$W/m-bad.json"
	[ "$(errcode)" = MANIFEST_INVALID ]
	# too large (over 4 MiB)
	head -c 5000000 /dev/zero | tr '\0' ' ' >"$W/m-huge.json"
	put_manifest man/img huge "$W/m-huge.json"
	[ "$code" = 413 ]
	# too deep
	python3 -c 'print("{\"schemaVersion\":2,\"x\":" + "[" * 200 + "]" * 200 + "}")' >"$W/m-deep.json"
	put_manifest man/img deep "$W/m-deep.json"
	[ "$code" = 400 ]
	[ "$(errcode)" = MANIFEST_INVALID ]
	# an index of the two manifests, and one naming an unknown child
	jq -n --arg a "$md" --arg b "$(sha "$W/m-man_img-v2.json")" \
		'{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
		  manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$a, size:1},
			     {mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$b, size:1}]}' >"$W/idx.json"
	req PUT /v2/man/img/manifests/multi --data-binary "@$W/idx.json" \
		-H 'Content-Type: application/vnd.oci.image.index.v1+json'
	[ "$code" = 201 ]
	req GET /v2/man/img/manifests/multi
	[ "$(hdr Content-Type)" = application/vnd.oci.image.index.v1+json ]
	jq '.manifests[0].digest = "sha256:'"$(printf '%064d' 9)"'"' "$W/idx.json" >"$W/idx2.json"
	req PUT /v2/man/img/manifests/multi2 --data-binary "@$W/idx2.json" \
		-H 'Content-Type: application/vnd.oci.image.index.v1+json'
	[ "$code" = 400 ]
	[ "$(errcode)" = MANIFEST_BLOB_UNKNOWN ]
}

@test "tags list with pagination (n, last, Link)" {
	make_image tags/r base
	for t in a b c d e; do
		put_manifest tags/r "$t" "$W/m-tags_r-base.json"
		[ "$code" = 201 ]
	done
	req GET /v2/tags/r/tags/list
	[ "$code" = 200 ]
	[ "$(jq -c .tags "$W/b")" = '["a","b","c","d","e"]' ]
	[ "$(jq -r .name "$W/b")" = tags/r ]
	req GET '/v2/tags/r/tags/list?n=2'
	[ "$(jq -c .tags "$W/b")" = '["a","b"]' ]
	[ "$(hdr Link)" = '</v2/tags/r/tags/list?last=b&n=2>; rel="next"' ]
	req GET '/v2/tags/r/tags/list?n=2&last=b'
	[ "$(jq -c .tags "$W/b")" = '["c","d"]' ]
	req GET '/v2/tags/r/tags/list?n=2&last=d'
	[ "$(jq -c .tags "$W/b")" = '["e"]' ]
	[ -z "$(hdr Link)" ]
	req GET '/v2/tags/r/tags/list?n=0'
	[ "$(jq -c .tags "$W/b")" = '[]' ]
	[ -z "$(hdr Link)" ]
	req GET /v2/_catalog
	[ "$code" = 200 ]
	jq -e '.repositories | index("tags/r")' "$W/b"
}

@test "referrers: OCI-Subject on push, the index, the artifactType filter" {
	make_image refs/r subj
	put_manifest refs/r subj "$W/m-refs_r-subj.json"
	subj=$(sha "$W/m-refs_r-subj.json")
	ssize=$(stat -c %s "$W/m-refs_r-subj.json")
	printf '{}' >"$W/empty.json"
	e=$(push_blob refs/r "$W/empty.json")
	jq -n --arg s "$subj" --argjson ss "$ssize" --arg e "$e" \
		'{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
		  artifactType:"application/vnd.example.sbom.v1",
		  config:{mediaType:"application/vnd.oci.empty.v1+json", digest:$e, size:2},
		  layers:[], subject:{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$s, size:$ss},
		  annotations:{"org.example":"yes"}}' >"$W/sbom.json"
	put_manifest refs/r "$(sha "$W/sbom.json")" "$W/sbom.json"
	[ "$code" = 201 ]
	[ "$(hdr OCI-Subject)" = "$subj" ]
	req GET "/v2/refs/r/referrers/$subj"
	[ "$code" = 200 ]
	[ "$(hdr Content-Type)" = application/vnd.oci.image.index.v1+json ]
	[ "$(jq -r '.manifests[0].digest' "$W/b")" = "$(sha "$W/sbom.json")" ]
	[ "$(jq -r '.manifests[0].artifactType' "$W/b")" = application/vnd.example.sbom.v1 ]
	[ "$(jq -r '.manifests[0].annotations["org.example"]' "$W/b")" = yes ]
	req GET "/v2/refs/r/referrers/$subj?artifactType=application/vnd.example.sig"
	[ "$(hdr OCI-Filters-Applied)" = artifactType ]
	[ "$(jq '.manifests | length' "$W/b")" = 0 ]
	req GET "/v2/refs/r/referrers/$subj?artifactType=application/vnd.example.sbom.v1"
	[ "$(jq '.manifests | length' "$W/b")" = 1 ]
	# an unknown subject: an empty list; a bad digest: 400
	req GET "/v2/refs/r/referrers/sha256:$(printf '%064d' 3)"
	[ "$code" = 200 ]
	[ "$(jq '.manifests | length' "$W/b")" = 0 ]
	req GET /v2/refs/r/referrers/sha256:nope
	[ "$code" = 400 ]
	# deleting the referrer removes it from the list
	req DELETE "/v2/refs/r/manifests/$(sha "$W/sbom.json")"
	[ "$code" = 202 ]
	req GET "/v2/refs/r/referrers/$subj"
	[ "$(jq '.manifests | length' "$W/b")" = 0 ]
}

@test "deletes of tags, manifests and blobs" {
	make_image del/r v1
	put_manifest del/r v1 "$W/m-del_r-v1.json"
	put_manifest del/r v2 "$W/m-del_r-v1.json"
	md=$(sha "$W/m-del_r-v1.json")
	req DELETE /v2/del/r/manifests/v1
	[ "$code" = 202 ]
	req GET /v2/del/r/manifests/v1
	[ "$code" = 404 ]
	[ "$(errcode)" = MANIFEST_UNKNOWN ]
	req GET /v2/del/r/manifests/v2
	[ "$code" = 200 ]
	req DELETE "/v2/del/r/manifests/$md"
	[ "$code" = 202 ]
	req GET "/v2/del/r/manifests/$md"
	[ "$code" = 404 ]
	req GET /v2/del/r/manifests/v2
	[ "$code" = 404 ]
	req DELETE "/v2/del/r/manifests/$md"
	[ "$code" = 404 ]
	req DELETE "/v2/del/r/blobs/$LAYER"
	[ "$code" = 202 ]
	req GET "/v2/del/r/blobs/$LAYER"
	[ "$code" = 404 ]
	[ "$(errcode)" = BLOB_UNKNOWN ]
	req DELETE "/v2/del/r/blobs/$LAYER"
	[ "$code" = 404 ]
}

@test "unknown names, manifests, blobs and uploads; invalid names" {
	req GET /v2/no/such/tags/list
	[ "$code" = 404 ]
	[ "$(errcode)" = NAME_UNKNOWN ]
	req GET /v2/no/such/manifests/latest
	[ "$code" = 404 ]
	[ "$(errcode)" = NAME_UNKNOWN ]
	make_image known/r v1
	put_manifest known/r v1 "$W/m-known_r-v1.json"
	req GET /v2/known/r/manifests/nope
	[ "$code" = 404 ]
	[ "$(errcode)" = MANIFEST_UNKNOWN ]
	req GET "/v2/known/r/manifests/sha256:$(printf '%064d' 1)"
	[ "$code" = 404 ]
	[ "$(errcode)" = MANIFEST_UNKNOWN ]
	req GET "/v2/known/r/blobs/sha256:$(printf '%064d' 1)"
	[ "$code" = 404 ]
	[ "$(errcode)" = BLOB_UNKNOWN ]
	req GET /v2/known/r/blobs/uploads/00000000-0000-4000-8000-000000000000
	[ "$code" = 404 ]
	[ "$(errcode)" = BLOB_UPLOAD_UNKNOWN ]
	req PATCH /v2/known/r/blobs/uploads/../../../etc --data-binary x
	[ "$code" = 404 ]
	for n in Upper/case a//b -lead trail- a..b _x; do
		req GET "/v2/$n/tags/list"
		[ "$code" = 400 ] || [ "$code" = 404 ]
		if [ "$code" = 400 ]; then [ "$(errcode)" = NAME_INVALID ]; fi
	done
	req GET /v2/Upper/tags/list
	[ "$code" = 400 ]
	[ "$(errcode)" = NAME_INVALID ]
	req PUT /v2/known/r/manifests/bad:tag:x --data-binary "@$W/m-known_r-v1.json"
	[ "$code" = 400 ]
}

@test "skopeo copies busybox into berth's registry and back out" {
	local arch
	arch=$(busybox_archive)
	skopeo_put "$arch" "$BREG_ADDR/library/busybox:latest"
	req GET /v2/library/busybox/tags/list
	[ "$(jq -c .tags "$W/b")" = '["latest"]' ]
	rm -rf "$W/oci"
	skopeo copy -q --insecure-policy --src-tls-verify=false \
		"docker://$BREG_ADDR/library/busybox:latest" "oci:$W/oci:busybox"
	[ -f "$W/oci/index.json" ]
	# into Debian's docker-registry and from it into berth's again
	start_docker_registry
	skopeo copy -q --insecure-policy --src-tls-verify=false --dest-tls-verify=false \
		"docker://$BREG_ADDR/library/busybox:latest" "docker://$DREG_ADDR/bb:1"
	skopeo copy -q --insecure-policy --src-tls-verify=false --dest-tls-verify=false \
		"docker://$DREG_ADDR/bb:1" "docker://$BREG_ADDR/from/dreg:1"
	skopeo copy -q --insecure-policy --src-tls-verify=false \
		"oci:$W/oci:busybox" "docker://$BREG_ADDR/from/oci:1" --dest-tls-verify=false
	a=$(skopeo inspect --tls-verify=false --raw "docker://$BREG_ADDR/from/dreg:1" | sha256sum)
	b=$(skopeo inspect --tls-verify=false --raw "docker://$DREG_ADDR/bb:1" | sha256sum)
	[ "$a" = "$b" ]
	# the layers arrive whole
	skopeo copy -q --insecure-policy --src-tls-verify=false \
		"docker://$BREG_ADDR/from/dreg:1" "dir:$W/dir"
	for f in "$W"/dir/*; do
		case $(basename "$f") in manifest.json | version) continue ;; esac
		[ "sha256:$(basename "$f")" = "$(sha "$f")" ]
	done
}

@test "an IPv6 listener ([::1]:PORT)" {
	local port
	port=$(free_port)
	if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then skip "no IPv6 loopback"; fi
	mkdir -p "$W/v6"
	"$BERTH_REGISTRY_BIN" serve --addr "[::1]:$port" --root "$W/v6/root" \
		--access-log "$W/v6/log" >"$W/v6/err" 2>&1 3>&- &
	BREG_PID=$! BREG_DIR=$W/v6/dir
	for i in $(seq 100); do curl -sg -o /dev/null "http://[::1]:$port/v2/" && break; sleep 0.05; done
	run curl -sg "http://[::1]:$port/v2/"
	[ "$output" = "{}" ]
	grep -q '^[^ ]* ::1 "GET /v2/" 200' "$W/v6/log"
	# (":PORT", dual-stack on every address, is left out: tests stay on loopback)
}

@test "berth registry serve runs berth-registry through the CLI" {
	run "$BUILD/src/cli/berth" registry serve --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-registry serve"* ]]
}

@test "htpasswd authentication: curl -u, skopeo --dest-creds, wrong password refused" {
	mkdir -p "$W/auth"
	rm -f "$W/auth/htpasswd"
	make_htpasswd "$W/auth/htpasswd" alice s3cret
	printf '{"auth":{"htpasswd":{"realm":"berth-realm","path":"%s"}}}' "$W/auth/htpasswd" >"$W/auth/cfg.json"
	start_berth_registry --config "$W/auth/cfg.json"
	req GET /v2/
	[ "$code" = 401 ]
	[ "$(hdr WWW-Authenticate)" = 'Basic realm="berth-realm"' ]
	[ "$(errcode)" = UNAUTHORIZED ]
	req GET /v2/ -u alice:s3cret
	[ "$code" = 200 ]
	req GET /v2/ -u alice:wrong
	[ "$code" = 401 ]
	req GET /v2/ -u bob:s3cret
	[ "$code" = 401 ]
	SKOPEO_CREDS=alice:s3cret skopeo_put "$(busybox_archive)" "$BREG_ADDR/auth/bb:1"
	run skopeo copy -q --insecure-policy --dest-tls-verify=false --dest-creds alice:nope \
		"docker-archive:$(busybox_archive)" "docker://$BREG_ADDR/auth/bb:2"
	[ "$status" -ne 0 ]
	req GET /v2/auth/bb/tags/list -u alice:s3cret
	[ "$(jq -c .tags "$W/b")" = '["1"]' ]
}

# jwt KEY ALG CLAIMS-JSON: a token signed with openssl.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
jwt() {
	local key=$1 alg=$2 claims=$3 h p sig
	h=$(printf '{"alg":"%s","typ":"JWT"}' "$alg" | b64url)
	p=$(printf '%s' "$claims" | b64url)
	if [ "$alg" = ES256 ]; then
		# DER (r, s) to the raw 64 bytes JWS wants
		sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$key" |
			python3 -c '
import sys
d = sys.stdin.buffer.read()
def rd(b, i):
    assert b[i] == 2
    n = b[i + 1]
    return b[i + 2:i + 2 + n], i + 2 + n
i = 2 if d[1] < 0x80 else 3
r, i = rd(d, i)
s, i = rd(d, i)
sys.stdout.buffer.write(r[-32:].rjust(32, b"\0") + s[-32:].rjust(32, b"\0"))' | b64url)
	else
		sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$key" | b64url)
	fi
	printf '%s.%s.%s' "$h" "$p" "$sig"
}

claims() { # ACCESS-JSON [EXP-OFFSET] [ISS] [AUD]
	local now
	now=$(date +%s)
	printf '{"iss":"%s","sub":"alice","aud":"%s","exp":%d,"nbf":%d,"iat":%d,"jti":"x","access":%s}' \
		"${3:-test-issuer}" "${4:-berth-registry}" $((now + ${2:-300})) $((now - 10)) "$now" "$1"
}

@test "Bearer tokens: RS256 and ES256, scopes, expiry, issuer, challenge" {
	local t=$W/tok
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/rsa.key" -out "$t/rsa.crt" \
		-days 1 -subj /CN=token >/dev/null 2>&1
	openssl ecparam -name prime256v1 -genkey -noout -out "$t/ec.key"
	openssl req -x509 -new -key "$t/ec.key" -out "$t/ec.crt" -days 1 -subj /CN=ec >/dev/null 2>&1
	openssl genrsa -out "$t/other.key" 2048 >/dev/null 2>&1
	cat "$t/rsa.crt" "$t/ec.crt" >"$t/bundle.pem"
	printf '{"auth":{"token":{"realm":"http://127.0.0.1:1/token","service":"berth-registry","issuer":"test-issuer","rootcertbundle":"%s"}}}' \
		"$t/bundle.pem" >"$t/cfg.json"
	start_berth_registry --config "$t/cfg.json"
	req GET /v2/tok/r/tags/list
	[ "$code" = 401 ]
	[ "$(hdr WWW-Authenticate)" = 'Bearer realm="http://127.0.0.1:1/token",service="berth-registry",scope="repository:tok/r:pull"' ]
	push='[{"type":"repository","name":"tok/r","actions":["pull","push"]}]'
	pull='[{"type":"repository","name":"tok/r","actions":["pull"]}]'
	tp=$(jwt "$t/rsa.key" RS256 "$(claims "$push")")
	printf 'x' >"$W/tb"
	req POST "/v2/tok/r/blobs/uploads/?digest=$(sha "$W/tb")" --data-binary "@$W/tb" \
		-H "Authorization: Bearer $tp"
	[ "$code" = 201 ]
	te=$(jwt "$t/ec.key" ES256 "$(claims "$pull")")
	req GET "/v2/tok/r/blobs/$(sha "$W/tb")" -H "Authorization: Bearer $te"
	[ "$code" = 200 ]
	# a pull token can't push
	req POST /v2/tok/r/blobs/uploads/ -H "Authorization: Bearer $te"
	[ "$code" = 401 ]
	[[ "$(hdr WWW-Authenticate)" == *'scope="repository:tok/r:pull,push",error="insufficient_scope"'* ]]
	# nor reach another repository
	req GET /v2/tok/other/tags/list -H "Authorization: Bearer $te"
	[ "$code" = 401 ]
	# expired, wrong issuer, wrong audience, unknown key, alg none
	for bad in "$(jwt "$t/rsa.key" RS256 "$(claims "$pull" -600)")" \
		"$(jwt "$t/rsa.key" RS256 "$(claims "$pull" 300 evil)")" \
		"$(jwt "$t/rsa.key" RS256 "$(claims "$pull" 300 test-issuer other)")" \
		"$(jwt "$t/other.key" RS256 "$(claims "$pull")")" \
		"$(printf '{"alg":"none"}' | b64url).$(claims "$pull" | b64url)."; do
		req GET "/v2/tok/r/blobs/$(sha "$W/tb")" -H "Authorization: Bearer $bad"
		[ "$code" = 401 ]
		[[ "$(hdr WWW-Authenticate)" == *'error="invalid_token"'* ]]
	done
	# tampered payload
	tam="${tp%%.*}.$(claims "$push" 9999 | b64url).${tp##*.}"
	req GET "/v2/tok/r/blobs/$(sha "$W/tb")" -H "Authorization: Bearer $tam"
	[ "$code" = 401 ]
}

@test "Bearer tokens from tests/helpers/token-server.py: skopeo push and pull" {
	local t=$W/tokserver port
	mkdir -p "$t"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" \
		-days 1 -subj /CN=berth-test-token >/dev/null 2>&1
	port=$(free_port)
	python3 "$HELPERS/token-server.py" --port "$port" --key "$t/key.pem" --cert "$t/cert.pem" \
		--issuer test-issuer --service berth-registry --user alice:s3cret \
		--user reader:rpw:pull 2>"$t/log" 3>&- &
	TOK_PID=$!
	for i in $(seq 100); do grep -q "listening on" "$t/log" && break; sleep 0.05; done
	printf '{"auth":{"token":{"realm":"http://127.0.0.1:%s/token","service":"berth-registry","issuer":"test-issuer","rootcertbundle":"%s"}}}' \
		"$port" "$t/cert.pem" >"$t/cfg.json"
	start_berth_registry --config "$t/cfg.json"
	SKOPEO_CREDS=alice:s3cret skopeo_put "$(busybox_archive)" "$BREG_ADDR/tok/busybox:1"
	rm -rf "$W/tokoci"
	skopeo copy -q --insecure-policy --src-tls-verify=false --src-creds reader:rpw \
		"docker://$BREG_ADDR/tok/busybox:1" "oci:$W/tokoci:bb"
	[ -f "$W/tokoci/index.json" ]
	run skopeo copy -q --insecure-policy --dest-tls-verify=false --dest-creds reader:rpw \
		"oci:$W/tokoci:bb" "docker://$BREG_ADDR/tok/busybox:2"
	[ "$status" -ne 0 ]
	run skopeo copy -q --insecure-policy --src-tls-verify=false --src-creds alice:wrong \
		"docker://$BREG_ADDR/tok/busybox:1" "oci:$W/tokoci2:bb"
	[ "$status" -ne 0 ]
}

@test "TLS: curl and skopeo over https, plain http refused" {
	local t=$W/tls
	mkdir -p "$t/certs"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
	cp "$t/cert.pem" "$t/certs/ca.crt"
	printf '{"tls":{"certificate":"%s","key":"%s"}}' "$t/cert.pem" "$t/key.pem" >"$t/cfg.json"
	start_berth_registry --config "$t/cfg.json"
	run curl -sf --cacert "$t/cert.pem" "https://$BREG_ADDR/v2/"
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
	run curl -sf "http://$BREG_ADDR/v2/"
	[ "$status" -ne 0 ]
	head -c 3000000 /dev/urandom >"$W/tlsblob"
	d=$(sha "$W/tlsblob")
	run curl -sf --cacert "$t/cert.pem" -X POST --data-binary "@$W/tlsblob" \
		"https://$BREG_ADDR/v2/tls/r/blobs/uploads/?digest=$d"
	[ "$status" -eq 0 ]
	curl -sf --cacert "$t/cert.pem" "https://$BREG_ADDR/v2/tls/r/blobs/$d" -o "$W/tlsblob.back"
	cmp "$W/tlsblob" "$W/tlsblob.back"
	skopeo copy -q --insecure-policy --dest-cert-dir "$t/certs" \
		"docker-archive:$(busybox_archive)" "docker://$BREG_ADDR/tls/busybox:1"
	rm -rf "$W/tlsoci"
	skopeo copy -q --insecure-policy --src-cert-dir "$t/certs" \
		"docker://$BREG_ADDR/tls/busybox:1" "oci:$W/tlsoci:bb"
	[ -f "$W/tlsoci/index.json" ]
	# a bad key pair is refused at start
	printf '{"tls":{"certificate":"%s","key":"%s"}}' "$t/cert.pem" "$W/auth/htpasswd" >"$t/bad.json"
	run "$BERTH_REGISTRY_BIN" serve --addr 127.0.0.1:1 --root "$t/root" --config "$t/bad.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"TLS certificate"* ]]
}

@test "read-only mode: pulls work, writes answer 405 UNSUPPORTED" {
	make_image ro/r v1
	put_manifest ro/r v1 "$W/m-ro_r-v1.json"
	BREG_ROOT=$MAIN_DIR/root start_berth_registry --read-only
	req GET /v2/ro/r/manifests/v1
	[ "$code" = 200 ]
	req POST /v2/ro/r/blobs/uploads/
	[ "$code" = 405 ]
	[ "$(errcode)" = UNSUPPORTED ]
	[ "$(hdr Allow)" = "GET, HEAD" ]
	req DELETE /v2/ro/r/manifests/v1
	[ "$code" = 405 ]
	put_manifest ro/r v2 "$W/m-ro_r-v1.json"
	[ "$code" = 405 ]
}

@test "gc: a deleted manifest's blobs go, the others stay" {
	make_image gc/r keep
	keep_cfg=$CFG keep_layer=$LAYER
	put_manifest gc/r keep "$W/m-gc_r-keep.json"
	make_image gc/r drop
	drop_cfg=$CFG drop_layer=$LAYER
	put_manifest gc/r drop "$W/m-gc_r-drop.json"
	req DELETE "/v2/gc/r/manifests/$(sha "$W/m-gc_r-drop.json")"
	[ "$code" = 202 ]
	# an upload session abandoned two days ago, and a fresh one
	req POST /v2/gc/r/blobs/uploads/
	old=$(hdr Docker-Upload-UUID)
	touch -d '2 days ago' "$BREG_DIR/root/uploads/$old/data"
	req POST /v2/gc/r/blobs/uploads/
	fresh=$(hdr Docker-Upload-UUID)
	run "$BERTH_REGISTRY_BIN" gc --root "$BREG_DIR/root" --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"would delete $drop_layer"* ]]
	[ -f "$BREG_DIR/root/blobs/sha256/${drop_layer#sha256:}" ]
	run "$BUILD/src/cli/berth" registry gc --root "$BREG_DIR/root"
	[ "$status" -eq 0 ]
	[ ! -e "$BREG_DIR/root/blobs/sha256/${drop_layer#sha256:}" ]
	[ ! -e "$BREG_DIR/root/uploads/$old" ]
	[ -d "$BREG_DIR/root/uploads/$fresh" ]
	[ ! -e "$BREG_DIR/root/blobs/sha256/${drop_cfg#sha256:}" ]
	[ -f "$BREG_DIR/root/blobs/sha256/${keep_layer#sha256:}" ]
	[ -f "$BREG_DIR/root/blobs/sha256/${keep_cfg#sha256:}" ]
	req GET "/v2/gc/r/blobs/$keep_layer"
	[ "$code" = 200 ]
	req GET "/v2/gc/r/blobs/$drop_layer"
	[ "$code" = 404 ]
	req GET /v2/gc/r/manifests/keep
	[ "$code" = 200 ]
}

@test "the access log has one line per request" {
	req GET /v2/ -A log-probe
	req GET /v2/no/such/tags/list
	sleep 0.1
	grep -E '^[0-9T:.-]+Z 127\.0\.0\.1 "GET /v2/" 200 2 [0-9.]+ms$' "$BREG_DIR/access.log"
	grep -E '"GET /v2/no/such/tags/list" 404 [0-9]+ ' "$BREG_DIR/access.log"
}

@test "SIGTERM stops the server cleanly" {
	start_berth_registry
	kill -TERM "$BREG_PID"
	local st=0
	wait "$BREG_PID" || st=$?
	[ "$st" -eq 0 ]
	BREG_PID=
}
