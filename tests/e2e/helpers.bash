# Shared setup of the end-to-end tests: a bundle made from busybox-static, a
# private state root, a unique container id and cgroup path per test, and a
# teardown that removes every container the test made.

BUILD=${BERTH_BUILD:-$(realpath "$BATS_TEST_DIRNAME/../../build")}
RUNTIME=$BUILD/berth-runtime
TESTINIT=$BUILD/tests/testinit
HELPERS=$(realpath "$BATS_TEST_DIRNAME/../helpers")
export BERTH_RUNTIME=$RUNTIME TESTINIT

# One template root file system per test file, copied for each test.
make_template() {
	TEMPLATE=$BATS_FILE_TMPDIR/template
	[ -d "$TEMPLATE/rootfs" ] || "$HELPERS/mkbundle.sh" "$TEMPLATE" >/dev/null
}

# setup_bundle [ARGS...]: a fresh bundle in $BUNDLE whose process runs ARGS.
setup_bundle() {
	make_template
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	STATE=$BATS_TEST_TMPDIR/state
	ID=bt-$$-${BATS_TEST_NUMBER}
	CGPATH=/berth-test/$ID
	rm -rf "$BUNDLE"
	mkdir -p "$BUNDLE"
	cp -a "$TEMPLATE/rootfs" "$BUNDLE/rootfs"
	cp "$TEMPLATE/config.json" "$BUNDLE/config.json"
	local args='["sh"]'
	if [ $# -gt 0 ]; then
		args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	fi
	cfg ".process.args = $args | .linux.cgroupsPath = \"$CGPATH\""
}

# cfg JQ-FILTER: edit the bundle's config.json.
cfg() {
	jq "$@" "$BUNDLE/config.json" > "$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

rt() {
	"$RUNTIME" --root "$STATE" "$@"
}

# The container's output lands here when started with run_ct.
run_ct() {
	run "$RUNTIME" --root "$STATE" run --bundle "$BUNDLE" "$ID"
}

cleanup_containers() {
	[ -n "${STATE:-}" ] && [ -d "$STATE" ] || return 0
	local id
	for id in $("$RUNTIME" --root "$STATE" list -q 2>/dev/null); do
		"$RUNTIME" --root "$STATE" delete --force "$id" >/dev/null 2>&1 || true
	done
}

# Every cgroup directory of the test's container, in every hierarchy.
cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$d${CGPATH#/}" ] && echo "$d${CGPATH#/}"
	done
	return 0
}

teardown() {
	cleanup_containers
	[ -n "${NETNS:-}" ] && ip netns del "$NETNS" 2>/dev/null
	local d
	for d in /sys/fs/cgroup/*/berth-test /sys/fs/cgroup/berth-test; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

# run_detached CMD...: like bats' `run`, for commands that leave a container
# holding their stdout (create, run -d, exec -d): output goes through a file,
# so nothing waits for the container to close it.
run_detached() {
	local out=$BATS_TEST_TMPDIR/detached.$RANDOM
	status=0
	"$@" >"$out" 2>&1 </dev/null || status=$?
	output=$(cat "$out")
	mapfile -t lines <<<"$output"
}

# nprocs_at_least N: the container has at least N processes.
nprocs_at_least() {
	[ "$("$RUNTIME" --root "$STATE" ps --format json "$ID" | jq length)" -ge "$1" ]
}

ct_status() {
	"$RUNTIME" --root "$STATE" state "${1:-$ID}" 2>/dev/null | jq -r .status
}

# wait_status STATUS [ID]: until the container reaches STATUS (~5 s).
wait_status() {
	local i
	for i in $(seq 100); do
		[ "$(ct_status "${2:-}")" = "$1" ] && return 0
		sleep 0.05
	done
	echo "container ${2:-$ID} is $(ct_status "${2:-}"), not $1" >&2
	return 1
}

# wait_for CMD...: retry up to ~5 s.
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
