#!/usr/bin/env python3
"""Image archives for the image tests, made locally with the tarfile module.

  mkarchive.py layer OUT.tar < SPEC
      A layer tar from SPEC, one entry a line (fields split on spaces):
        dir PATH [opts]            file PATH TEXT [opts]   (TEXT: \\n for newline)
        symlink PATH TARGET [opts] hardlink PATH TARGET
        char PATH MAJOR MINOR      block PATH MAJOR MINOR  fifo PATH
      opts: mode=0755 uid=N gid=N mtime=N xattr=NAME=VALUE (repeatable)
      Names are written as given: "../x", "/abs" and ".wh.NAME" included.

  mkarchive.py image OUT.tar --tag NAME:TAG [--format docker|oci|legacy]
               [--layer FILE[:gzip|:zstd]]... [--cmd WORD]... [--env K=V]...
               [--label K=V]... [--bad-diffid N] [--bad-layer-digest N]
               [--missing-blob N] [--extra-entry NAME] [--multi-platform]
      An image archive: "docker" is the docker 25+ layout (manifest.json over
      blobs/sha256), "oci" an OCI layout alone (index.json, no manifest.json),
      "legacy" docker's pre-25 layout (<id>/layer.tar, <hex>.json). Faults
      for the bad-input tests: a wrong diff id or layer digest for layer N,
      or the blob of layer N left out. --multi-platform (oci) puts the image
      in an index with a linux/arm64 manifest whose blobs are not there.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile


def parse_opts(words, info):
    for w in words:
        k, _, v = w.partition("=")
        if k == "mode":
            info.mode = int(v, 8)
        elif k == "uid":
            info.uid = int(v)
        elif k == "gid":
            info.gid = int(v)
        elif k == "mtime":
            info.mtime = int(v)
        elif k == "xattr":
            name, _, value = v.partition("=")
            info.pax_headers["SCHILY.xattr." + name] = value
        else:
            raise SystemExit("mkarchive: unknown option '%s'" % w)


def make_layer(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for line in sys.stdin:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            kind, path, rest = words[0], words[1], words[2:]
            info = tarfile.TarInfo(path)
            info.mtime = 1000000000
            info.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "file":
                data = rest[0].replace("\\n", "\n").encode()
                info.size = len(data)
                rest = rest[1:]
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = rest[0]
                rest = rest[1:]
            elif kind in ("char", "block"):
                info.type = tarfile.CHRTYPE if kind == "char" else tarfile.BLKTYPE
                info.devmajor, info.devminor = int(rest[0]), int(rest[1])
                rest = rest[2:]
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            else:
                raise SystemExit("mkarchive: unknown entry kind '%s'" % kind)
            parse_opts(rest, info)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                               stdout=subprocess.PIPE).stdout
    return data


LAYER_MEDIA = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def make_image(a):
    layers = []
    for spec in a.layer:
        path, _, how = spec.partition(":")
        how = how or "none"
        with open(path, "rb") as f:
            raw = f.read()
        blob = compress(raw, how)
        layers.append({"raw": raw, "blob": blob, "how": how,
                       "diff_id": "sha256:" + sha(raw), "digest": sha(blob)})
    diff_ids = [l["diff_id"] for l in layers]
    if a.bad_diffid is not None:
        diff_ids[a.bad_diffid] = "sha256:" + "0" * 64
    config = {
        "architecture": "amd64", "os": "linux", "created": "2020-01-02T03:04:05Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
            + a.env,
            "Cmd": a.cmd or ["sh"],
            "Labels": dict(kv.split("=", 1) for kv in a.label) or None,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2020-01-02T03:04:05Z", "created_by": "layer %d" % i}
                    for i in range(len(layers))],
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": LAYER_MEDIA[l["how"]], "digest": "sha256:" + l["digest"],
                    "size": len(l["blob"])} for l in layers],
    }
    if a.bad_layer_digest is not None:
        manifest["layers"][a.bad_layer_digest]["digest"] = "sha256:" + "1" * 64
    man = json.dumps(manifest).encode()
    repo, _, tag = a.tag.rpartition(":")
    with tarfile.open(a.out, "w") as tar:
        if a.format == "legacy":
            names = []
            for i, l in enumerate(layers):
                d = sha(("%d" % i).encode() + l["raw"])
                if i != a.missing_blob:
                    add(tar, d + "/layer.tar", l["blob"])
                names.append(d + "/layer.tar")
            add(tar, sha(cfg) + ".json", cfg)
            add(tar, "manifest.json", json.dumps(
                [{"Config": sha(cfg) + ".json", "RepoTags": [a.tag], "Layers": names}]).encode())
        else:
            add(tar, "blobs/sha256/" + sha(cfg), cfg)
            for i, l in enumerate(layers):
                if i != a.missing_blob:
                    d = a.bad_layer_digest == i and "1" * 64 or l["digest"]
                    add(tar, "blobs/sha256/" + d, l["blob"])
            add(tar, "blobs/sha256/" + sha(man), man)
            add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            top = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": "sha256:" + sha(man), "size": len(man)}
            if a.multi_platform:
                # An index of two platforms; only linux/amd64's blobs are in the archive.
                other = {"mediaType": top["mediaType"], "digest": "sha256:" + "2" * 64,
                         "size": 100, "platform": {"architecture": "arm64", "os": "linux"}}
                mine = dict(top, platform={"architecture": "amd64", "os": "linux"})
                sub = json.dumps({"schemaVersion": 2,
                                  "mediaType": "application/vnd.oci.image.index.v1+json",
                                  "manifests": [other, mine]}).encode()
                add(tar, "blobs/sha256/" + sha(sub), sub)
                top = {"mediaType": "application/vnd.oci.image.index.v1+json",
                       "digest": "sha256:" + sha(sub), "size": len(sub)}
            top["annotations"] = {"io.containerd.image.name": a.tag,
                                  "org.opencontainers.image.ref.name": tag}
            index = {"schemaVersion": 2, "manifests": [top]}
            add(tar, "index.json", json.dumps(index).encode())
            if a.format == "docker":
                ls = ["blobs/sha256/" + (a.bad_layer_digest == i and "1" * 64 or l["digest"])
                      for i, l in enumerate(layers)]
                add(tar, "manifest.json", json.dumps(
                    [{"Config": "blobs/sha256/" + sha(cfg), "RepoTags": [a.tag],
                      "Layers": ls}]).encode())
        for name in a.extra_entry:
            add(tar, name, b"x")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "layer":
        make_layer(sys.argv[2])
        return
    p = argparse.ArgumentParser(prog="mkarchive.py image")
    p.add_argument("what", choices=["image"])
    p.add_argument("out")
    p.add_argument("--tag", required=True)
    p.add_argument("--format", default="docker", choices=["docker", "oci", "legacy"])
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--cmd", action="append", default=[])
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--bad-diffid", type=int)
    p.add_argument("--bad-layer-digest", type=int)
    p.add_argument("--missing-blob", type=int)
    p.add_argument("--extra-entry", action="append", default=[])
    p.add_argument("--multi-platform", action="store_true")
    make_image(p.parse_args())


if __name__ == "__main__":
    main()
