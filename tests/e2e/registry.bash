# Registry fixtures for the end-to-end tests: Debian's docker-registry on a
# free loopback port with its own storage, optionally behind htpasswd (bcrypt)
# Basic auth or Bearer tokens, and a busybox image to put into it.
#
#   free_port                      print a free TCP port on 127.0.0.1
#   start_docker_registry [--htpasswd FILE] [--token REALM SERVICE ISSUER CERTBUNDLE]
#                                  sets DREG_PORT, DREG_ADDR (127.0.0.1:PORT),
#                                  DREG_DIR (config, storage, log), DREG_PID
#   stop_docker_registry           stops it (by its PID) and removes DREG_DIR
#   make_htpasswd FILE USER PASS   a bcrypt htpasswd line
#   busybox_archive                print the path of a docker-save/OCI archive
#                                  of busybox:latest (made once per file)
#   skopeo_put ARCHIVE HOST:PORT/REPO:TAG   copy an archive into a registry
#                                  (plain http, no auth unless SKOPEO_CREDS=user:pass)

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Hltn "sport = :$p" | grep -q .; then
			echo "$p"
			return
		fi
	done
}

start_docker_registry() {
	local auth=""
	DREG_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/dreg.XXXXXX")
	mkdir -p "$DREG_DIR/storage"
	case ${1:-} in
	--htpasswd)
		auth=$(printf 'auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n' "$2")
		;;
	--token)
		auth=$(printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
			"$2" "$3" "$4" "$5")
		;;
	esac
	DREG_PORT=$(free_port)
	DREG_ADDR=127.0.0.1:$DREG_PORT
	cat >"$DREG_DIR/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $DREG_DIR/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$DREG_PORT
$auth
EOC
	docker-registry serve "$DREG_DIR/config.yml" >"$DREG_DIR/log" 2>&1 &
	DREG_PID=$!
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null "http://$DREG_ADDR/v2/" && return 0
		sleep 0.05
	done
	echo "docker-registry did not start:" >&2
	cat "$DREG_DIR/log" >&2
	return 1
}

stop_docker_registry() {
	if [ -n "${DREG_PID:-}" ]; then
		kill "$DREG_PID" 2>/dev/null || true
		wait "$DREG_PID" 2>/dev/null || true
		DREG_PID=
	fi
	[ -n "${DREG_DIR:-}" ] && rm -rf "$DREG_DIR"
	DREG_DIR=
}

make_htpasswd() {
	python3 -W ignore -c 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
		"$2" "$3" >>"$1"
}

busybox_archive() {
	local work=$BATS_FILE_TMPDIR/regimg
	if [ ! -f "$work/busybox.tar" ]; then
		mkdir -p "$work"
		BERTH_RUNTIME=$BUILD/berth-runtime TESTINIT=$BUILD/tests/testinit \
			"$HELPERS/mkbundle.sh" "$work/bundle" >/dev/null
		"$HELPERS/mkimage.sh" "$work/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null
	fi
	echo "$work/busybox.tar"
}

skopeo_put() {
	local creds=()
	[ -n "${SKOPEO_CREDS:-}" ] && creds=(--dest-creds "$SKOPEO_CREDS")
	skopeo copy -q --insecure-policy --dest-tls-verify=false "${creds[@]}" \
		"docker-archive:$1" "docker://$2" >/dev/null
}

# ---- berth's own registry (berth-registry serve) ----
#
#   start_berth_registry [ARGS...]   berth-registry serve on a free loopback port
#                                    with a temporary root and ARGS (--config FILE,
#                                    --read-only...); sets BREG_PORT, BREG_ADDR
#                                    (127.0.0.1:PORT), BREG_DIR (root in
#                                    $BREG_DIR/root, access log in
#                                    $BREG_DIR/access.log, stderr in $BREG_DIR/log)
#                                    and BREG_PID. BREG_ROOT=DIR serves that root.
#                                    (Also waits for a TLS server, --tls-cert.)
#   stop_berth_registry              stops it (by its PID) and removes BREG_DIR

BERTH_REGISTRY_BIN=${BERTH_REGISTRY_BIN:-$BUILD/src/registry/berth-registry}

start_berth_registry() {
	BREG_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/breg.XXXXXX")
	BREG_PORT=$(free_port)
	BREG_ADDR=127.0.0.1:$BREG_PORT
	"$BERTH_REGISTRY_BIN" serve --addr "$BREG_ADDR" --root "${BREG_ROOT:-$BREG_DIR/root}" \
		--access-log "$BREG_DIR/access.log" "$@" >"$BREG_DIR/log" 2>&1 3>&- &
	BREG_PID=$!
	local i
	for i in $(seq 100); do
		if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$BREG_ADDR/v2/")" != 000 ] ||
			[ "$(curl -sk -o /dev/null -w '%{http_code}' "https://$BREG_ADDR/v2/")" != 000 ]; then
			return 0
		fi
		if ! kill -0 "$BREG_PID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "berth-registry did not start:" >&2
	cat "$BREG_DIR/log" >&2
	return 1
}

stop_berth_registry() {
	if [ -n "${BREG_PID:-}" ]; then
		kill "$BREG_PID" 2>/dev/null || true
		wait "$BREG_PID" 2>/dev/null || true
		BREG_PID=
	fi
	[ -n "${BREG_DIR:-}" ] && rm -rf "$BREG_DIR"
	BREG_DIR=
}
