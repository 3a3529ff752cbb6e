#!/bin/sh
# Install the Debian packages a target needs, only those missing.
#   deps.sh GROUP...   groups: build test engines bench
set -eu
pkgs=""
for group in "$@"; do
	case $group in
	build) pkgs="$pkgs gcc make meson ninja-build pkg-config libseccomp-dev libjson-c-dev libarchive-dev libsqlite3-dev libssl-dev zlib1g-dev libzstd-dev libcurl4-openssl-dev libcrypt-dev libmnl-dev libnftables-dev" ;;
	test) pkgs="$pkgs busybox-static bats jq iproute2 procps util-linux clang libclang-rt-14-dev python3 openssl docker-registry skopeo nftables" ;;
	engines) pkgs="$pkgs containerd docker.io" ;;
	bench) pkgs="$pkgs hyperfine crun runc time bc containerd docker.io podman conmon netavark aardvark-dns" ;;
	*) echo "deps.sh: unknown group '$group'" >&2; exit 2 ;;
	esac
done
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Debian's docker.io and containerd start services when installed; policy-rc.d
# keeps our test machines quiet (the tests start their own daemons).
apt-get install -y -qq --no-install-recommends $missing >/dev/null
