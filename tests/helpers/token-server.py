#!/usr/bin/env python3
"""A bearer token server for the registry tests (docker-registry's
"auth: token:" mode), Python standard library only; JWTs are signed RS256 by
`openssl dgst -sha256 -sign`.

  token-server.py --port P --key KEY.pem --cert CERT.pem --issuer I --service S
                  [--user NAME:PASS[:ACTIONS]]... [--users FILE]
                  [--expires SECONDS] [--stale-tokens N] [--anonymous ACTIONS]

CERT.pem is the rootcertbundle the registry is given; each token's header
carries "kid", the libtrust key id of the certificate's public key. Users:
NAME:PASS or NAME:PASS:ACTIONS (ACTIONS "pull" or "pull+push"; default:
whatever is asked); --users FILE has one such entry a line. Anonymous
requests get --anonymous ACTIONS (default: none).

Endpoints (any path): GET with optional Basic credentials, service, scope
(repeated) and offline_token=true (the answer then has a refresh_token);
POST form grant_type=refresh_token (refresh_token) or grant_type=password
(username, password), service, scope (space separated), access_type=offline.
Refused credentials: 401 {"details": "incorrect username or password"}.
--stale-tokens N: the first N tokens are issued already expired (tests of
the client's refresh on 401). Each request is logged on stderr.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid(cert_path):
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, 48, 4))


class State:
    def __init__(self, args):
        self.args = args
        self.kid = libtrust_kid(args.cert)
        self.users = {}
        self.refresh = {}
        self.stale_left = args.stale_tokens
        self.lock = threading.Lock()
        entries = list(args.user or [])
        if args.users:
            with open(args.users) as f:
                entries += [l.strip() for l in f if l.strip() and not l.startswith("#")]
        for e in entries:
            parts = e.split(":", 2)
            self.users[parts[0]] = (parts[1], parts[2].split("+") if len(parts) > 2 else None)

    def check(self, user, password):
        u = self.users.get(user)
        return u is not None and secrets.compare_digest(u[0], password)

    def allowed(self, user):
        if user is None:
            return self.args.anonymous.split("+") if self.args.anonymous else []
        return self.users[user][1]

    def sign(self, user, scopes):
        now = int(time.time())
        with self.lock:
            stale = self.stale_left > 0
            if stale:
                self.stale_left -= 1
        exp = now - 600 if stale else now + self.args.expires
        allowed = self.allowed(user)
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            granted = [a for a in actions if allowed is None or a in allowed]
            access.append({"type": typ, "name": name, "actions": granted})
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {"iss": self.args.issuer, "sub": user or "", "aud": self.args.service,
                  "exp": exp, "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16),
                  "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig), stale

    def new_refresh(self, user):
        tok = secrets.token_urlsafe(24)
        with self.lock:
            self.refresh[tok] = user
        return tok


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("token-server: " + (fmt % a) + "\n")
        sys.stderr.flush()

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def refuse(self):
        self.reply(401, {"details": "incorrect username or password"})

    def basic_user(self):
        h = self.headers.get("Authorization")
        if not h:
            return None, True
        if not h.lower().startswith("basic "):
            return None, False
        try:
            user, _, password = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:
            return None, False
        return user, STATE.check(user, password)

    def issue(self, user, scopes, refresh, oauth, how):
        token, stale = STATE.sign(user, scopes)
        self.log_message("issued token user=%s grant=%s scopes=%s%s", user or "-", how,
                         " ".join(scopes) or "-", " stale" if stale else "")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        out = {"expires_in": STATE.args.expires, "issued_at": now}
        if oauth:
            out["access_token"] = token
            out["scope"] = " ".join(scopes)
        else:
            out["token"] = token
            out["access_token"] = token
        if refresh:
            out["refresh_token"] = refresh
        self.reply(200, out)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if q.get("service", [STATE.args.service])[0] != STATE.args.service:
            return self.reply(400, {"details": "unknown service"})
        user, ok = self.basic_user()
        if not ok:
            return self.refuse()
        refresh = None
        if user and q.get("offline_token", ["false"])[0] == "true":
            refresh = STATE.new_refresh(user)
        self.issue(user, q.get("scope", []), refresh, False, "basic" if user else "anonymous")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 65536:
            return self.reply(400, {"details": "request too large"})
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        get = lambda k: form.get(k, [""])[0]
        if get("service") and get("service") != STATE.args.service:
            return self.reply(400, {"details": "unknown service"})
        scopes = [s for s in get("scope").split(" ") if s]
        grant = get("grant_type")
        if grant == "refresh_token":
            with STATE.lock:
                user = STATE.refresh.get(get("refresh_token"))
            if user is None:
                return self.refuse()
            return self.issue(user, scopes, get("refresh_token"), True, "refresh_token")
        if grant == "password":
            user = get("username")
            if not STATE.check(user, get("password")):
                return self.refuse()
            refresh = STATE.new_refresh(user) if get("access_type") == "offline" else None
            return self.issue(user, scopes, refresh, True, "password")
        self.reply(400, {"error": "unsupported_grant_type"})


def main():
    global STATE
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--user", action="append")
    p.add_argument("--users")
    p.add_argument("--anonymous", default="")
    p.add_argument("--expires", type=int, default=300)
    p.add_argument("--stale-tokens", type=int, default=0)
    STATE = State(p.parse_args())
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", STATE.args.port), Handler)
    srv.daemon_threads = True
    sys.stderr.write("token-server: listening on 127.0.0.1:%d kid %s\n"
                     % (STATE.args.port, STATE.kid))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


STATE = None

if __name__ == "__main__":
    main()
