#!/usr/bin/env python3
"""A TCP proxy on a loopback port that forwards to a target at a limited rate.

    throttle-proxy.py LISTEN_PORT TARGET_HOST:PORT [--rate BYTES_PER_S]
                      [--strip-range]

Bytes from the target to the client are sent at most at --rate (default
1 MB/s), so that a test can kill the proxy in the middle of a download (the
client sees the registry go away) and start it again on the same port.
--strip-range renames the Range request header (same length, "Xange:"), so
the target answers 200 with the whole blob: a registry that ignores Range.
Only 127.0.0.1 is used. Stdlib only; one thread per direction.
"""
import argparse
import socket
import sys
import threading
import time

CHUNK = 16384


def pump(src, dst, rate, strip):
    try:
        while True:
            t0 = time.monotonic()
            data = src.recv(CHUNK)
            if not data:
                break
            if strip:
                data = data.replace(b"\r\nRange:", b"\r\nXange:").replace(
                    b"\r\nrange:", b"\r\nxange:")
            dst.sendall(data)
            if rate:
                wait = len(data) / rate - (time.monotonic() - t0)
                if wait > 0:
                    time.sleep(wait)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, target, rate, strip):
    try:
        up = socket.create_connection(target)
    except OSError:
        conn.close()
        return
    threading.Thread(target=pump, args=(conn, up, 0, strip), daemon=True).start()
    threading.Thread(target=pump, args=(up, conn, rate, False), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("target")
    ap.add_argument("--rate", type=int, default=1 << 20)
    ap.add_argument("--strip-range", action="store_true")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost"):
        sys.exit("throttle-proxy: loopback targets only")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(64)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        serve(conn, ("127.0.0.1", int(port)), a.rate, a.strip_range)


if __name__ == "__main__":
    main()
