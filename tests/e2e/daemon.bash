# Helpers for tests against a real berthd: a daemon on its own temporary data
# root, exec root and socket, the berth and docker CLIs pointed at it, and a
# busybox image made locally from busybox-static.

BUILD=${BERTH_BUILD:-$(realpath "$BATS_TEST_DIRNAME/../../build")}
BERTHD=$BUILD/src/daemon/berthd
BERTH=$BUILD/src/cli/berth
DOCKER=${DOCKER:-/usr/local/bin/docker}
HELPERS=$(realpath "$BATS_TEST_DIRNAME/../helpers")

# start_berthd [BERTHD OPTIONS...]: a daemon for this test file (called from
# setup_file); extra options (--registry-mirror URL...) go to berthd.
start_berthd() {
	DROOT=$BATS_FILE_TMPDIR/data
	XROOT=$BATS_FILE_TMPDIR/exec
	SOCK=$BATS_FILE_TMPDIR/berth.sock
	# one cgroup parent per file, kept when a test starts the daemon again
	# (a test runs in another process, whose $$ differs)
	CGPARENT=$(cat "$BATS_FILE_TMPDIR/cgroup-parent" 2>/dev/null) || CGPARENT=/berth-test-$$
	export DROOT XROOT SOCK CGPARENT
	mkdir -p "$DROOT" "$XROOT"
	echo "$CGPARENT" > "$BATS_FILE_TMPDIR/cgroup-parent"
	net_identity
	# a socket left by a killed daemon would pass for the new one's
	rm -f "$SOCK"
	"$BERTHD" --host "unix://$SOCK" --data-root "$DROOT" --exec-root "$XROOT" \
		--cgroup-parent "$CGPARENT" --log-level debug \
		--bridge-name "$BRIDGE" --nft-table "$NFT_TABLE" --bip "$BIP" \
		--default-address-pool "base=$POOL_BASE,size=24" \
		"$@" >>"$BATS_FILE_TMPDIR/berthd.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	BERTHD_PID=$!
	echo "$BERTHD_PID" > "$BATS_FILE_TMPDIR/berthd.pid"
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$BERTHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BATS_FILE_TMPDIR/berthd.log" >&2
	return 1
}

# The network names of this test file's daemon, chosen once per file (kept
# when a test starts the daemon again): its default bridge, nftables table and
# address ranges inside 10.213.128.0/17, never the host's "berth0" or "berth".
# The links that exist before are noted, so cleanup removes only ours, and
# ip_forward's value, so cleanup puts it back.
net_identity() {
	local f=$BATS_FILE_TMPDIR/net-identity
	if [ ! -f "$f" ]; then
		local hex
		hex=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
		{
			echo "BRIDGE=bt${hex:0:5}"
			echo "NFT_TABLE=berth_t$hex"
			echo "BIP=10.213.$((128 + RANDOM % 32)).1/24"
			echo "POOL_BASE=10.213.160.0/19"
			echo "IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)"
		} > "$f"
		ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' > "$BATS_FILE_TMPDIR/links-before"
	fi
	# shellcheck disable=SC1090
	. "$f"
	export BRIDGE NFT_TABLE BIP POOL_BASE IP_FORWARD
}

# Bridges the daemon made (its default one, and those of user networks noted
# by cleanup_berthd), its nftables table, and ip_forward as it was.
cleanup_network() {
	[ -f "$BATS_FILE_TMPDIR/net-identity" ] || return 0
	net_identity
	local l
	for l in $(ip -o link show type bridge | awk -F': ' '{print $2}' | sed 's/@.*//'); do
		grep -qx "$l" "$BATS_FILE_TMPDIR/links-before" && continue
		[ "$l" = "$BRIDGE" ] && ip link del "$l" 2>/dev/null
		# bridges of user networks the daemon could not remove itself
		[ -n "$(grep -lx "$l" "$BATS_FILE_TMPDIR"/net-bridges 2>/dev/null)" ] &&
			ip link del "$l" 2>/dev/null
	done
	nft delete table ip "$NFT_TABLE" 2>/dev/null || true
	echo "$IP_FORWARD" > /proc/sys/net/ipv4/ip_forward
}

# stop_berthd [SIGNAL]: stop our daemon by its pid (TERM by default).
stop_berthd() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/berthd.pid" 2>/dev/null) || return 0
	kill -"${1:-TERM}" "$pid" 2>/dev/null || true
	local i
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$BATS_FILE_TMPDIR/berthd.pid"
}

# Remove every container (so monitors and mounts go), then stop the daemon.
cleanup_berthd() {
	[ -S "${SOCK:-}" ] && for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1; done
	# user networks: their bridges noted, then removed by the daemon
	if [ -S "${SOCK:-}" ]; then
		local n
		for n in $(b network ls -q --filter type=custom 2>/dev/null); do
			ip -j -d link show type bridge 2>/dev/null |
				jq -r --arg id "${n:0:12}" '.[] | select(.ifname == "br-" + $id) | .ifname' \
					>> "$BATS_FILE_TMPDIR/net-bridges"
			b network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$n" \
				2>/dev/null | grep . >> "$BATS_FILE_TMPDIR/net-bridges"
		done
		b network prune -f >/dev/null 2>&1
	fi
	stop_berthd
	local m
	for m in $(awk -v r="$BATS_FILE_TMPDIR" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	cleanup_network
	local cg
	cg=$(cat "$BATS_FILE_TMPDIR/cgroup-parent" 2>/dev/null) || return 0
	for d in /sys/fs/cgroup/*"$cg" /sys/fs/cgroup"$cg"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	return 0
}

b() {
	"$BERTH" -H "unix://$SOCK" "$@"
}

dk() {
	DOCKER_HOST="unix://$SOCK" "$DOCKER" "$@"
}

# The busybox image, loaded once per file as busybox:latest.
load_busybox() {
	local work=$BATS_FILE_TMPDIR/img
	mkdir -p "$work"
	BERTH_RUNTIME=$BUILD/berth-runtime TESTINIT=$BUILD/tests/testinit \
		"$HELPERS/mkbundle.sh" "$work/bundle" >/dev/null
	"$HELPERS/mkimage.sh" "$work/bundle/rootfs" "$work/busybox.tar" busybox:latest sh >/dev/null
	b load -i "$work/busybox.tar" >/dev/null
}

# The usual file: a daemon with the busybox image, removed at the end. A test
# file that needs more defines its own setup_file and teardown_file after
# `load daemon`, which replace these.
setup_file() {
	start_berthd
	load_busybox
}

teardown_file() {
	cleanup_berthd
}
