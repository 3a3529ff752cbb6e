#!/bin/sh
# The demo (make demo): install berth into PREFIX, start berthd in the
# background when it is not running, make the default busybox image from
# Debian's busybox-static (nothing from the network), and run a container.
#
#   demo.sh BUILD [PREFIX]
set -eu
build=$(realpath "${1:-build}")
prefix=${2:-/usr/local}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$prefix/bin
sock=/run/berth/berth.sock
log=/var/log/berthd.log

[ "$(id -u)" = 0 ] || { echo "demo: run as root (berthd manages namespaces, mounts and cgroups)" >&2; exit 1; }

echo "+ make install PREFIX=$prefix"
make -C "$here" --no-print-directory install BUILD="$build" PREFIX="$prefix" >/dev/null

berth() { "$bin/berth" -H "unix://$sock" "$@"; }

if berth version >/dev/null 2>&1; then
	echo "+ berthd is already running on $sock"
else
	echo "+ $bin/berthd &   (log: $log)"
	# setsid: the daemon outlives this script and its terminal.
	setsid "$bin/berthd" --host "unix://$sock" </dev/null >>"$log" 2>&1 &
	i=0
	until berth version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "demo: berthd did not start; its log ($log) ends with:" >&2
			tail -n 20 "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi

if berth image inspect busybox >/dev/null 2>&1; then
	echo "+ the busybox image is there"
else
	echo "+ making the busybox image from $(command -v busybox || echo /bin/busybox)"
	work=$(mktemp -d /tmp/berth-demo.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	BERTH_RUNTIME="$bin/berth-runtime" "$here/tests/helpers/mkbundle.sh" "$work/bundle" >/dev/null
	"$here/tests/helpers/mkimage.sh" "$work/bundle/rootfs" "$work/busybox.tar" busybox:latest sh
	berth load -i "$work/busybox.tar"
fi

echo "+ berth run --rm busybox echo hello from berth"
berth run --rm busybox echo hello from berth
cat <<MSG

berthd is running (its pid is in /run/berth/berthd.lock; log: $log).
Use it with berth, or with the docker CLI:  export DOCKER_HOST=unix://$sock
MSG
