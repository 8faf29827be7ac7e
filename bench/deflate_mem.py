#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What permessage-deflate costs per connection, measured from outside the hub: the RSS of a
real wsc-hub process (/proc/PID/status VmRSS) before and after N raw-socket connections.

  bench/deflate_mem.py WSC_HUB_BIN [N]

Rows: the hub with --deflate and clients that do not offer it; clients that offer it and stay
idle (negotiated, nothing compressed yet); after the hub sent each of them one compressed
message (lws's deflater of each connection is set up); after each also sent one compressed
message (its inflater too); and the hub without --deflate for reference.  Prints one JSON line
per row: the RSS growth and bytes per connection.  Not part of the test suite.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import zlib

API_KEY = "mem-key"
BIG = " ".join(f"word{i % 97}" for i in range(600))  # 3.6 KB, above the 1 KiB threshold


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def start(bin_path, deflate):
    p = subprocess.Popen([bin_path, "--listen", "127.0.0.1:0", "--insecure-user-id",
                          "--api-key", API_KEY, "--log-level", "error",
                          "--max-conns-per-user", "0", "--connect-burst-per-ip", "100000",
                          "--max-pending-per-ip", "0", f"--deflate={'true' if deflate else 'false'}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r"127\.0\.0\.1:(\d+)", p.stdout.readline()).group(1))
    return p, port


def connect(port, user, offer):
    s = socket.create_connection(("127.0.0.1", port))
    ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if offer else ""
    s.sendall((f"GET /ws?user_id={user} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\n{ext}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"upgrade refused: {head[:60]!r}")
    return s, b"permessage-deflate" in head


def publish(port, users):
    body = json.dumps({"receivers": users, "message": {"content": BIG}}).encode()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /api/publish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               f"Authorization: Bearer {API_KEY}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
              + body)
    while s.recv(65536):
        pass
    s.close()


def compressed_frame(text):
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = (c.compress(text.encode()) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    mask = b"\0\0\0\0"
    n = len(data)
    head = bytes([0xC1]) + (bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + n.to_bytes(2, "big"))
    return head + mask + data


def row(name, before, after, n, negotiated):
    grown = after - before
    print(json.dumps({"row": name, "conns": n, "negotiated": negotiated, "rss_kb_before": before,
                      "rss_kb_after": after, "bytes_per_conn": round(grown * 1024 / n)}),
          flush=True)


def settle(pid):
    time.sleep(1.5)
    return rss_kb(pid)


def main():
    bin_path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    for deflate, offer, name in ((True, False, "deflate on, not offered"),
                                 (True, True, "deflate on, negotiated, idle"),
                                 (False, True, "deflate off, offered")):
        p, port = start(bin_path, deflate)
        try:
            base = settle(p.pid)
            conns = [connect(port, f"u{i}", offer) for i in range(n)]
            negotiated = sum(1 for _, ok in conns if ok)
            row(name, base, settle(p.pid), n, negotiated)
            if deflate and offer:
                users = [f"u{i}" for i in range(n)]
                for i in range(0, n, 500):
                    publish(port, users[i:i + 500])
                row("after one compressed message from the hub", base, settle(p.pid), n,
                    negotiated)
                frame = compressed_frame(json.dumps({"receiver": "nobody-online",
                                                     "content": BIG}))
                for s, _ in conns:
                    s.sendall(frame)
                row("after one compressed message from each client too", base, settle(p.pid), n,
                    negotiated)
            for s, _ in conns:
                s.close()
        finally:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
