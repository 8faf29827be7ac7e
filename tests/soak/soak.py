#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Soak (issue 15): mixed traffic through the real wsc-hub for a long time, driven from this
separate process the way users drive it, while the hub's RSS is sampled from /proc.

Traffic, all at once, for --seconds:
  churn      --users WebSocket users that connect (?user_id=), stay 2-20 s, send point-to-point
             messages to random users (a third with require_ack, to online and offline users:
             offline ones are stored and replayed when they connect), ACK what asks for one,
             and leave with a close handshake or by dropping the TCP connection; then again
  groups     users join and leave groups over the HTTP API; group messages are published
  http       POST /api/publish (single, batch of 20, broadcast), GET /api/users/{id},
             /api/stats, /metrics, /healthz; a kick now and then
  sse        an SSE stream opened for a few seconds, with POST /sse/send upstream

The hub runs on its memory store with low bounds (50 offline messages per user, 5,000 message
records) so that what is bounded fills within the warm-up.  Under ASan, give the allocator a
small quarantine (ASAN_OPTIONS=quarantine_size_mb=16) or RSS grows with it for a long time.

Passes when the hub answered throughout, exits cleanly on SIGTERM with no sanitizer report in
its stderr, and its RSS after the warm-up (the first --warmup seconds) stays within --rss-slack
(5%) of the RSS at the warm-up's end.  Prints one JSON line of figures.

  WSC_HUB_BIN=build/asan/examples/wsc-hub python3 tests/soak/soak.py --seconds 3600
"""
import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import websockets


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stats:
    def __init__(self):
        self.sent = self.acked = self.received = self.connects = self.drops = 0
        self.http = self.http_errors = self.http_failures = self.sse = 0
        self.errors = []

    def error(self, what):
        if len(self.errors) < 20:
            self.errors.append(what)


def http(port, method, path, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


async def user_life(port, uid, users, stats, stop):
    """One user connecting, chatting and leaving, again and again."""
    rng = random.Random(uid)
    while not stop.is_set():
        try:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws?user_id={uid}",
                                          open_timeout=10, close_timeout=2, max_queue=None)
        except Exception as e:  # the hub must keep accepting
            stats.error(f"connect {uid}: {e!r}")
            await asyncio.sleep(1)
            continue
        stats.connects += 1
        until = time.monotonic() + rng.uniform(2, 20)
        n = 0

        async def reader():
            async for raw in ws:
                f = json.loads(raw)
                stats.received += 1
                if f.get("require_ack") and f.get("message_id"):
                    await ws.send(json.dumps({"message_type": "ack", "sender": f.get("sender"),
                                              "message_id": f["message_id"]}))
                    stats.acked += 1

        task = asyncio.create_task(reader())
        try:
            while time.monotonic() < until and not stop.is_set():
                n += 1
                frame = {"message_type": "text", "receiver": rng.choice(users),
                         "message_id": f"{uid}-{time.time_ns()}-{n}",
                         "content": "x" * rng.choice((8, 64, 512, 4096))}
                if n % 3 == 0:
                    frame["require_ack"] = True
                await ws.send(json.dumps(frame))
                stats.sent += 1
                await asyncio.sleep(rng.uniform(0.05, 0.5))
        except websockets.exceptions.ConnectionClosed:
            pass
        if rng.random() < 0.3:  # leave without a close handshake
            ws.transport.abort()
            stats.drops += 1
        else:
            await ws.close()
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, websockets.exceptions.ConnectionClosed):
            pass
        await asyncio.sleep(rng.uniform(0.5, 5))


def http_round(port, users, stats, rng):
    """One round of API calls (run in a thread: urllib blocks)."""
    calls = [
        ("POST", "/api/publish", {"receiver": rng.choice(users),
                                  "message": {"message_type": "text", "content": "api"}}),
        ("POST", "/api/publish", {"receivers": rng.sample(users, 5),
                                  "messages": [{"message_type": "text", "content": str(i)}
                                               for i in range(20)]}),
        ("POST", "/api/publish", {"group": f"g{rng.randrange(10)}",
                                  "message": {"message_type": "text", "content": "group"}}),
        ("POST", f"/api/groups/g{rng.randrange(10)}/members", {"user_ids": rng.sample(users, 8)}),
        ("DELETE", f"/api/groups/g{rng.randrange(10)}/members/{rng.choice(users)}", None),
        ("GET", f"/api/users/{rng.choice(users)}", None),
        ("GET", "/api/stats", None),
        ("GET", "/metrics", None),
        ("GET", "/healthz", None),
    ]
    if rng.random() < 0.2:
        calls.append(("POST", "/api/publish", {"broadcast": True,
                                               "message": {"message_type": "text",
                                                           "content": "all"}}))
    if rng.random() < 0.05:
        calls.append(("POST", f"/api/users/{rng.choice(users)}/kick", {"reason": "soak"}))
    for method, path, body in calls:
        try:
            status, text = http(port, method, path, body)
        except OSError as e:  # a timeout or a refused connection: counted, and the loop goes on
            stats.http_failures += 1
            stats.error(f"{method} {path}: {e!r}")
            continue
        stats.http += 1
        if status >= 500 or status == 0:
            stats.http_errors += 1
            stats.error(f"{method} {path}: {status} {text[:120]!r}")


async def api_loop(port, users, stats, stop):
    rng = random.Random(7)
    while not stop.is_set():
        await asyncio.to_thread(http_round, port, users, stats, rng)
        await asyncio.sleep(0.2)


async def sse_loop(port, users, stats, stop):
    rng = random.Random(11)
    while not stop.is_set():
        uid = rng.choice(users)
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(f"GET /sse?user_id={uid} HTTP/1.1\r\nHost: x\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode())
            await w.drain()
            await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
            stats.sse += 1
            for i in range(5):
                await asyncio.to_thread(
                    http, port, "POST", f"/sse/send?user_id={uid}",
                    {"message_type": "text", "receiver": rng.choice(users), "content": f"sse{i}"})
                await asyncio.sleep(0.5)
            w.close()
        except Exception as e:  # noqa: BLE001 (counted; the loop goes on)
            stats.error(f"sse: {e!r}")
        await asyncio.sleep(rng.uniform(0.5, 3))


async def sampler(pid, samples, stop, every):
    t0 = time.monotonic()
    while not stop.is_set():
        samples.append((round(time.monotonic() - t0, 1), rss_kib(pid)))
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            pass


async def drive(args, port, pid):
    users = [f"u{i}" for i in range(args.users)]
    stats, samples, stop = Stats(), [], asyncio.Event()
    tasks = [asyncio.create_task(user_life(port, u, users, stats, stop))
             for u in users[: args.users * 3 // 4]]  # a quarter of the users stay offline
    tasks += [asyncio.create_task(api_loop(port, users, stats, stop)),
              asyncio.create_task(sse_loop(port, users, stats, stop)),
              asyncio.create_task(sampler(pid, samples, stop, args.sample))]
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=30)
    return stats, samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--warmup", type=float, default=0, help="default: a sixth of --seconds")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--sample", type=float, default=30, help="seconds between RSS samples")
    ap.add_argument("--rss-slack", type=float, default=0.05)
    args = ap.parse_args()
    warmup = args.warmup or args.seconds / 6
    hub_bin = os.environ.get("WSC_HUB_BIN")
    if not hub_bin:
        raise SystemExit("soak.py: set WSC_HUB_BIN")
    port = free_port()
    # The hub's stderr goes to a file, read at the end: a pipe nobody reads while the soak runs
    # fills up (64 KiB of log lines) and then blocks the hub's next write, and the whole hub.
    log_path = os.environ.get("SOAK_HUB_LOG")
    log = open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        [hub_bin, "--listen", f"127.0.0.1:{port}", "--insecure-user-id", "--insecure-api",
         "--ack-timeout-ms", "2000", "--max-pending-per-ip", "0", "--max-conns-per-ip", "0",
         # Bounds low enough that the store reaches them within the warm-up: the soak looks
         # for growth that no bound stops, not for the bounds' own size.
         "--offline-max-per-user", "50", "--record-max-total", "5000", "--log-level", "warn"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()
    if "listening" not in line:
        raise SystemExit(f"FAIL: wsc-hub did not start: {line!r}")
    # Whatever else it prints is read as it comes (see the log above).
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    stats, samples = asyncio.run(drive(args, port, proc.pid))
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    log.seek(0)
    err = log.read()
    log.close()
    reports = re.findall(r"(ERROR: (?:Address|Leak)Sanitizer[^\n]*|runtime error:[^\n]*)", err)
    after = [kib for t, kib in samples if t >= warmup]
    base = after[0] if after else 0
    peak = max(after) if after else 0
    growth = (peak - base) / base if base else 0.0
    out = {"soak": "wsc-hub", "seconds": args.seconds, "users": args.users,
           "sent": stats.sent, "received": stats.received, "acked": stats.acked,
           "connects": stats.connects, "abrupt_drops": stats.drops, "http_calls": stats.http,
           "http_5xx": stats.http_errors, "http_failures": stats.http_failures,
           "sse_streams": stats.sse,
           "rss_kib_start": samples[0][1] if samples else 0, "rss_kib_after_warmup": base,
           "rss_kib_peak_after_warmup": peak, "rss_kib_end": samples[-1][1] if samples else 0,
           "rss_growth_after_warmup": round(growth, 4), "exit_code": proc.returncode,
           "sanitizer_reports": reports[:5], "errors": stats.errors[:5],
           "samples": samples}
    print(json.dumps(out))
    failures = []
    if reports:
        failures.append(f"{len(reports)} sanitizer reports")
    if proc.returncode != 0:
        failures.append(f"exit code {proc.returncode}")
    if growth > args.rss_slack:
        failures.append(f"RSS grew {growth:.1%} after the warm-up (> {args.rss_slack:.0%})")
    if stats.http_errors:
        failures.append(f"{stats.http_errors} HTTP 5xx answers")
    if stats.http_failures > stats.http // 100:
        failures.append(f"{stats.http_failures} HTTP calls without an answer (> 1%)")
    if stats.connects == 0 or stats.received == 0:
        failures.append("no traffic")
    print("FAIL: " + "; ".join(failures) if failures else "PASS")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
