#!/bin/sh
# Make a one-layer image archive from a root file system, with nothing from
# the network, for engines to import: `ctr images import` and `docker load`.
#
#   mkimage.sh ROOTFS OUT.tar NAME:TAG [CMD...]     CMD defaults to sh
#
# OUT.tar is an OCI image layout (oci-layout, index.json, blobs/sha256/...)
# that also carries docker's manifest.json pointing at the same blobs, the
# layout `docker save` writes since docker 25: containerd reads the former,
# dockerd 20.10 the latter. The layer is an uncompressed, reproducible tar of
# ROOTFS (sorted, owned by root, mtime 0); the config is for linux/amd64 with
# rootfs.diff_ids, Cmd and PATH. MKIMAGE_CONFIG, a JSON object, is added to
# the config's "config" (e.g. {"Healthcheck": {...}}); MKIMAGE_TAR_OPTS are
# more options of the layer's tar (e.g. --xattrs).
set -eu
[ $# -ge 3 ] || { echo "usage: mkimage.sh ROOTFS OUT.tar NAME:TAG [CMD...]" >&2; exit 2; }
rootfs=$1 out=$2 ref=$3
shift 3
[ -d "$rootfs" ] || { echo "mkimage: '$rootfs' is not a directory" >&2; exit 1; }
case $ref in
*:*) tag=${ref##*:} ;;
*) echo "mkimage: '$ref' has no tag" >&2; exit 1 ;;
esac
cmd_json='["sh"]'
extra='{}'
[ -n "${MKIMAGE_CONFIG:-}" ] && extra=$MKIMAGE_CONFIG
[ $# -gt 0 ] && cmd_json=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
blobs=$work/blobs/sha256
mkdir -p "$blobs"

# blob FILE: move FILE into the blob store; print its digest (hex) and size.
blob() {
	hex=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$blobs/$hex"
	echo "$hex $size"
}

# shellcheck disable=SC2086
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner ${MKIMAGE_TAR_OPTS:-} \
	-C "$rootfs" -cf "$work/layer" .
info=$(blob "$work/layer")
layer=${info% *} layer_size=${info#* }

jq -n -c --arg diff "sha256:$layer" --argjson cmd "$cmd_json" --argjson extra "$extra" '{
	architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
	config: ({
		Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		Cmd: $cmd, WorkingDir: "/"
	} + $extra),
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created: "1970-01-01T00:00:00Z", created_by: "mkimage.sh"}]
}' > "$work/config"
info=$(blob "$work/config")
config=${info% *} config_size=${info#* }

jq -n -c --arg c "sha256:$config" --argjson cs "$config_size" \
	--arg l "sha256:$layer" --argjson ls "$layer_size" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
}' > "$work/manifest"
info=$(blob "$work/manifest")
manifest=${info% *} manifest_size=${info#* }

jq -n -c --arg m "sha256:$manifest" --argjson ms "$manifest_size" \
	--arg ref "$ref" --arg tag "$tag" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $m, size: $ms,
		platform: {architecture: "amd64", os: "linux"},
		annotations: {"io.containerd.image.name": $ref, "org.opencontainers.image.ref.name": $tag}
	}]
}' > "$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/oci-layout"
jq -n -c --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg ref "$ref" \
	'[{Config: $c, RepoTags: [$ref], Layers: [$l]}]' > "$work/manifest.json"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$work" -cf "$out" oci-layout index.json manifest.json blobs
