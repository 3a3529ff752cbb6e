#!/bin/sh
# Make an OCI bundle for tests from Debian's busybox-static, with nothing from
# the network: DIR/rootfs (busybox and its applets, testinit, passwd, group)
# and DIR/config.json (berth-runtime's example spec, made non-interactive).
#
#   mkbundle.sh DIR [ARGS...]     ARGS become process.args (default: sh)
#
# Environment: BERTH_RUNTIME (path of berth-runtime), TESTINIT (static testinit).
set -eu
dir=$1; shift
: "${BERTH_RUNTIME:?set BERTH_RUNTIME}"
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkbundle: $busybox missing: apt-get install busybox-static" >&2; exit 1; }

root="$dir/rootfs"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" \
	"$root/root" "$root/home/user" "$root/var/tmp"
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
for app in $("$busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
[ -n "${TESTINIT:-}" ] && cp "$TESTINIT" "$root/bin/testinit"
mkdir -p "$root/usr/bin" "$root/sbin" "$root/usr/sbin"
cat > "$root/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$root/etc/group" <<GR
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
GR
echo "berth-test" > "$root/etc/hostname"

rm -f "$dir/config.json"
"$BERTH_RUNTIME" spec --bundle "$dir"
args_json='["sh"]'
if [ $# -gt 0 ]; then
	args_json=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
fi
tmp="$dir/config.json.tmp"
jq --argjson args "$args_json" \
	'.process.terminal = false | .process.args = $args | .root.readonly = false' \
	"$dir/config.json" > "$tmp"
mv "$tmp" "$dir/config.json"
