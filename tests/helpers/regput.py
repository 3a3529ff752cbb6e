#!/usr/bin/env python3
"""Put test images into a registry over plain HTTP on loopback (stdlib only).

    regput.py image HOST REPO:TAG [--base REPO:TAG] [--layers N] [--size BYTES]
                    [--seed S] [--arch A] [--variant V]
        An image whose layers are the base image's (if any) plus N new gzip
        layers of about BYTES incompressible bytes each. Prints the manifest
        digest, then one line per layer blob digest.
    regput.py index HOST REPO:TAG REF=OS/ARCH[/VARIANT]...
        An OCI index of the given manifests (tags or digests in REPO), with
        an attestation entry (platform unknown/unknown) first. Prints its
        digest.
    regput.py tags HOST REPO:TAG N
        Tags REPO:TAG's manifest again as t000 ... t<N-1>.
    regput.py schema1-server PORT
        A registry that answers every manifest with a schema 1 manifest.
"""
import gzip
import hashlib
import http.server
import io
import json
import random
import sys
import tarfile
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
ACCEPT = ", ".join([OCI_INDEX, OCI_MANIFEST,
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def req(method, url, body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(r) as resp:
        return resp.status, dict(resp.headers), resp.read()


def get_manifest(host, repo, ref):
    _, h, body = req("GET", f"http://{host}/v2/{repo}/manifests/{ref}",
                     headers={"Accept": ACCEPT})
    return json.loads(body), body, h.get("Content-Type")


def put_blob(host, repo, data):
    d = digest(data)
    _, h, _ = req("POST", f"http://{host}/v2/{repo}/blobs/uploads/", b"")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = f"http://{host}{loc}"
    sep = "&" if "?" in loc else "?"
    req("PUT", f"{loc}{sep}digest={d}", data, {"Content-Type": "application/octet-stream"})
    return d


def put_manifest(host, repo, tag, body, media_type):
    req("PUT", f"http://{host}/v2/{repo}/manifests/{tag}", body, {"Content-Type": media_type})
    return digest(body)


def make_layer(seed, size):
    rnd = random.Random(seed)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for i in range(2):
            data = rnd.randbytes(size // 2)
            ti = tarfile.TarInfo(f"layer-{seed}/file{i}")
            ti.size = len(data)
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    return gzip.compress(tar, compresslevel=1, mtime=0), digest(tar)


def cmd_image(a):
    host, name = a[0], a[1]
    repo, tag = name.rsplit(":", 1)
    opts = {"--base": None, "--layers": "1", "--size": "65536", "--seed": "1",
            "--arch": "amd64", "--variant": None}
    i = 2
    while i < len(a):
        opts[a[i]] = a[i + 1]
        i += 2
    layers, diff_ids = [], []
    if opts["--base"]:
        brepo, btag = opts["--base"].rsplit(":", 1)
        m, _, _ = get_manifest(host, brepo, btag)
        _, _, cfg = req("GET", f"http://{host}/v2/{brepo}/blobs/{m['config']['digest']}")
        diff_ids = json.loads(cfg)["rootfs"]["diff_ids"]
        for l in m["layers"]:
            _, _, blob = req("GET", f"http://{host}/v2/{brepo}/blobs/{l['digest']}")
            put_blob(host, repo, blob)
            layers.append({"mediaType": OCI_LAYER, "digest": l["digest"], "size": l["size"]})
    for n in range(int(opts["--layers"])):
        blob, diff = make_layer(f"{opts['--seed']}-{n}", int(opts["--size"]))
        layers.append({"mediaType": OCI_LAYER, "digest": put_blob(host, repo, blob),
                       "size": len(blob)})
        diff_ids.append(diff)
    cfg = {"architecture": opts["--arch"], "os": "linux",
           "config": {"Cmd": ["sh"], "Env": ["SEED=" + opts["--seed"]]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if opts["--variant"]:
        cfg["variant"] = opts["--variant"]
    cfgb = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {"mediaType": OCI_CONFIG, "digest": put_blob(host, repo, cfgb),
                      "size": len(cfgb)},
           "layers": layers}
    print(put_manifest(host, repo, tag, json.dumps(man).encode(), OCI_MANIFEST))
    for l in layers:
        print(l["digest"])


def cmd_index(a):
    host, name = a[0], a[1]
    repo, tag = name.rsplit(":", 1)
    first = None
    entries = []
    for spec in a[2:]:
        ref, plat = spec.split("=", 1)
        _, body, ct = get_manifest(host, repo, ref)
        parts = plat.split("/")
        p = {"os": parts[0], "architecture": parts[1]}
        if len(parts) > 2:
            p["variant"] = parts[2]
        d = {"mediaType": ct or OCI_MANIFEST, "digest": digest(body), "size": len(body),
             "platform": p}
        first = first or d
        entries.append(d)
    att = {"mediaType": OCI_MANIFEST, "digest": first["digest"], "size": first["size"],
           "platform": {"os": "unknown", "architecture": "unknown"},
           "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                           "vnd.docker.reference.digest": first["digest"]}}
    idx = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [att] + entries}
    print(put_manifest(host, repo, tag, json.dumps(idx).encode(), OCI_INDEX))


def cmd_tags(a):
    host, name, n = a[0], a[1], int(a[2])
    repo, tag = name.rsplit(":", 1)
    _, body, ct = get_manifest(host, repo, tag)
    for i in range(n):
        put_manifest(host, repo, f"t{i:03d}", body, ct)


class Schema1(http.server.BaseHTTPRequestHandler):
    BODY = json.dumps({"schemaVersion": 1, "name": "old", "tag": "latest",
                       "architecture": "amd64", "fsLayers": [], "history": []}).encode()

    def do_GET(self):
        if "/manifests/" in self.path:
            self.send_response(200)
            self.send_header("Content-Type",
                             "application/vnd.docker.distribution.manifest.v1+prettyjws")
            self.send_header("Docker-Content-Digest", digest(self.BODY))
            self.send_header("Content-Length", str(len(self.BODY)))
            self.end_headers()
            self.wfile.write(self.BODY)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "image":
        cmd_image(a)
    elif cmd == "index":
        cmd_index(a)
    elif cmd == "tags":
        cmd_tags(a)
    elif cmd == "schema1-server":
        srv = http.server.HTTPServer(("127.0.0.1", int(a[0])), Schema1)
        print("listening", flush=True)
        srv.serve_forever()
    else:
        sys.exit(f"regput.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
