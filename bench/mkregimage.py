#!/usr/bin/env python3
"""The registry benchmark's image, made locally and deterministically.

    mkregimage.py DIR [SCALE]

Writes an OCI image layout in DIR (tag "latest", gzip layers, linux/amd64)
whose layers mix what real images hold: incompressible files (seeded
pseudo-random bytes), text-like compressible files (words drawn from a fixed
vocabulary), one layer of many small files, half-compressible binaries and a
small configuration layer. SCALE (default 1.0) multiplies every size; at 1.0
the compressed layers sum to about 200 MB. The same arguments give the same
bytes, hence the same digests: fixed seeds, mtimes, owners and gzip headers.
Prints the number of layers and the sum of the compressed layer sizes.
"""
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

MTIME = 1700000000
WORDS = (
    "the of and to in is for on that with as by this from be are at or an it "
    "container image layer registry manifest digest blob index config tag push "
    "pull mount overlay process signal network bridge volume runtime engine "
    "daemon socket request response header status error warning info debug "
    "function return value string number object array true false null static "
    "include define struct union enum const void int char long size offset"
).split()


class HashWriter:
    """A file object that hashes and counts what goes through it."""

    def __init__(self, out):
        self.out, self.h, self.n = out, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        if self.out is not None:
            self.out.write(b)
        return len(b)

    def flush(self):
        pass


def text(rng, n):
    out, size = [], 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        line = f"{rng.randint(0, 99999):05d} {line}\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def halfbin(rng, n):
    """Binary-like data compressing to about half: random runs and repeats."""
    out = bytearray()
    while len(out) < n:
        chunk = rng.randbytes(rng.randint(16, 256))
        out += chunk * rng.randint(1, 3)
    return bytes(out[:n])


def layer_files(spec, scale, rng):
    """Yield (path, bytes) for one layer's spec."""
    kind, count, size = spec[1], spec[2], spec[3]
    if kind == "small":  # more or fewer files, of the same sizes
        count = max(1, int(count * scale))
    else:
        size = max(1, int(size * scale))
    for i in range(count):
        if kind == "random":
            yield f"opt/blob/{spec[0]}/data-{i:03d}.bin", rng.randbytes(size)
        elif kind == "text":
            yield f"usr/share/doc/{spec[0]}/file-{i:03d}.txt", text(rng, size)
        elif kind == "half":
            yield f"usr/lib/{spec[0]}/lib{i:03d}.so", halfbin(rng, size)
        elif kind == "small":
            n = rng.randint(200, size)
            data = text(rng, n) if i % 2 else rng.randbytes(n)
            yield f"usr/lib/python3/{spec[0]}/m{i // 100:03d}/f{i:05d}.py", data
        elif kind == "etc":
            yield f"etc/{spec[0]}/conf-{i:02d}", text(rng, size)


# name, kind, file count, file size (bytes at scale 1)
LAYERS = [
    ("base", "small", 6000, 6000),
    ("rand1", "random", 4, 12 << 20),
    ("docs", "text", 60, 2 << 20),
    ("rand2", "random", 40, 1 << 20),
    ("libs", "half", 20, 2 << 20),
    ("rand3", "random", 1, 30 << 20),
    ("conf", "etc", 20, 4096),
]


def make_layer(blobs, spec, scale, seed):
    rng = random.Random(seed)
    tmp = os.path.join(blobs, "layer.tmp")
    with open(tmp, "wb") as f:
        comp = HashWriter(f)
        with gzip.GzipFile(fileobj=comp, mode="wb", compresslevel=6, mtime=0, filename="") as gz:
            raw = HashWriter(gz)
            with tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                dirs = set()
                for path, data in layer_files(spec, scale, rng):
                    parts = path.split("/")[:-1]
                    for j in range(1, len(parts) + 1):
                        d = "/".join(parts[:j])
                        if d not in dirs:
                            dirs.add(d)
                            ti = tarfile.TarInfo(d)
                            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
                            tar.addfile(ti)
                    ti = tarfile.TarInfo(path)
                    ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
                    tar.addfile(ti, io.BytesIO(data))
    digest = comp.h.hexdigest()
    os.rename(tmp, os.path.join(blobs, digest))
    return digest, comp.n, "sha256:" + raw.h.hexdigest()


def put(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    out = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layers, diff_ids = [], []
    for n, spec in enumerate(LAYERS):
        digest, size, diff_id = make_layer(blobs, spec, scale, 1000 + n)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + digest, "size": size})
        diff_ids.append(diff_id)
    created = "2023-11-14T22:13:20Z"
    config = {
        "created": created, "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created, "created_by": f"berth bench layer {s[0]}"} for s in LAYERS],
    }
    cdesc = put(blobs, json.dumps(config, sort_keys=True).encode())
    cdesc["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cdesc, "layers": layers}
    mdesc = put(blobs, json.dumps(manifest, sort_keys=True).encode())
    mdesc["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(len(layers), sum(l["size"] for l in layers))


if __name__ == "__main__":
    main()
