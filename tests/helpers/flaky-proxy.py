#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a registry that fails some requests,
for the client's retry tests. Python standard library only.

  flaky-proxy.py --port P --upstream HOST:PORT [--fail METHOD:N:STATUS]...
                 [--drop METHOD:N]...

--fail PUT:2:503 answers the first two PUT requests with 503 (their bodies
are read and dropped); --drop PATCH:1 closes the connection of the first
PATCH without an answer. Everything else is forwarded as it is (the Host
header too, so the registry's Locations point at the proxy). Each request
is logged on stderr: "flaky-proxy: METHOD PATH -> STATUS|dropped".
"""
import argparse
import http.client
import http.server
import sys
import threading

LOCK = threading.Lock()
RULES = []  # [method, remaining, status or None (drop)]
UPSTREAM = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def note(self, what):
        sys.stderr.write("flaky-proxy: %s %s -> %s\n" % (self.command, self.path, what))
        sys.stderr.flush()

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_one(self):
        with LOCK:
            rule = next((r for r in RULES if r[0] == self.command and r[1] > 0), None)
            if rule:
                rule[1] -= 1
        if rule and rule[2] is None:
            self.note("dropped")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        data = self.body()
        if rule:
            self.note(rule[2])
            msg = b'{"errors":[{"code":"UNAVAILABLE","message":"injected failure"}]}'
            self.send_response(rule[2])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        self.note(resp.status)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        length = resp.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one


def main():
    global UPSTREAM
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--fail", action="append", default=[])
    p.add_argument("--drop", action="append", default=[])
    a = p.parse_args()
    UPSTREAM = a.upstream
    for f in a.fail:
        m, n, s = f.split(":")
        RULES.append([m, int(n), int(s)])
    for d in a.drop:
        m, n = d.split(":")
        RULES.append([m, int(n), None])
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    sys.stderr.write("flaky-proxy: listening on 127.0.0.1:%d\n" % a.port)
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
