#!/usr/bin/env python3
"""A resolver that knows one name, for tests of berthd's DNS forwarding.

    fake-dns.py ADDRESS PORT NAME IPV4

Answers A queries for NAME with IPV4 over UDP, NXDOMAIN for anything else.
Binds ADDRESS:PORT (a loopback address), so nothing leaves the host.
"""
import socket
import struct
import sys


def qname(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels).lower(), off
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def main():
    addr, port, name, ip = sys.argv[1], int(sys.argv[2]), sys.argv[3].lower(), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        msg, peer = s.recvfrom(512)
        if len(msg) < 12:
            continue
        qid, flags, qd = struct.unpack("!HHH", msg[:6])
        try:
            q, end = qname(msg, 12)
        except (IndexError, UnicodeError):
            continue
        question = msg[12:end + 4]
        qtype = struct.unpack("!H", msg[end:end + 2])[0]
        if q == name and qtype == 1:
            hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
            ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(ip)
            s.sendto(hdr + question + ans, peer)
        else:
            hdr = struct.pack("!HHHHHH", qid, 0x8183 | (flags & 0x0100), 1, 0, 0, 0)
            s.sendto(hdr + question, peer)


if __name__ == "__main__":
    main()
