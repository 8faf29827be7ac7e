#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Slow consumers for bench/run_slow.sh: opens N WebSocket connections to a wsc-hub as users
# slow0..slowN-1 with a small receive buffer, then never reads a byte.  Each connection keeps
# sending p2p text frames to the next slow user (RATE frames/s in all, SIZE bytes of content),
# so the hub has frames to queue towards every one of them.  A connection the hub closes
# (its queue full, or the peer too slow) is counted and opened again.  Runs until SIGTERM;
# prints one JSON line: {"slow_conns":..,"sent":..,"reopened":..}.  --read makes them read
# (and drop) what arrives: the control run, same connections and traffic, nobody slow.
import argparse
import base64
import json
import os
import signal
import socket
import struct
import sys
import time


def frame(text):
    """A masked WebSocket text frame.  The mask key is zero (legal, RFC 6455 5.3 only asks
    clients to mask; an unpredictable key protects proxies, not this loopback bench), so the
    payload needs no per-byte work in Python."""
    data = text.encode()
    mask = b"\0\0\0\0"
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + mask + data


def connect(port, user, read=False):
    """Opens one connection and reads only the upgrade answer; None when refused."""
    s = socket.socket()
    if not read:  # set before connect: a small window
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall((f"GET /ws?user_id={user}&client_id={user}-c HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(1)  # byte by byte: nothing after the answer's head is taken
            if not chunk:
                raise OSError("closed during the upgrade")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s


def drain(socks):
    """--read: takes whatever has arrived on every connection (and throws it away)."""
    for s in socks:
        if s is None:
            continue
        try:
            while s.recv(65536):
                pass
        except (BlockingIOError, OSError):
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=2000, help="frames per second, all connections")
    ap.add_argument("--size", type=int, default=1024, help="content bytes per frame")
    ap.add_argument("--ready", help="file written once every connection is open")
    ap.add_argument("--read", action="store_true",
                    help="control run: the same connections and traffic, but they read")
    a = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    socks = [None] * a.conns
    for i in range(a.conns):
        socks[i] = connect(a.port, f"slow{i}", a.read)
    opened = sum(1 for s in socks if s is not None)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write(f"{opened}\n")
    content = "x" * a.size
    pending = [b""] * a.conns  # the unsent tail of each connection's last frame
    sent = reopened = 0
    t0 = time.monotonic()
    i = 0
    while not stop:
        due = int((time.monotonic() - t0) * a.rate)
        while sent < due and not stop:
            k = i % a.conns
            i += 1
            s = socks[k]
            if s is None:
                socks[k] = connect(a.port, f"slow{k}", a.read)
                reopened += 1
                continue
            if not pending[k]:
                text = json.dumps({"receiver": f"slow{(k + 1) % a.conns}", "content": content})
                pending[k] = frame(text)
                sent += 1
            try:
                n = s.send(pending[k])  # frames stay whole: the tail goes out first next time
                pending[k] = pending[k][n:]
            except BlockingIOError:
                pass  # our own send buffer is full: the hub is not reading us either
            except OSError:
                s.close()
                socks[k] = None
                pending[k] = b""
        if a.read:
            drain(socks)
        time.sleep(0.002)
    print(json.dumps({"slow_conns": opened, "sent": sent, "reopened": reopened}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
