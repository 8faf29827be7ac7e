#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Chaos at scale (issue 15): require_ack messages through the real wsc-hub on Redis + MariaDB
(the hybrid store) while the receivers' connections are cut every few seconds, the hub is
killed with -9 twice (right after it answered, without waiting for a quiet moment) and Redis
restarts once.  Every process is separate, as users run them:

  sender     this script, over a raw WebSocket: sends N messages with require_ack to R
             receivers in turn, a window of W unanswered; a message counts as accepted once the
             hub answered `delivered` or `stored`; `rejected` and unanswered messages (the
             connection died) are sent again with the same message_id;
  receivers  R `wsc-cli` processes (the C client library: auto-ACK and dedupe by message_id,
             its dedupe_window as large as the messages each gets, --dedupe-window);
             each received frame is a line on its stdout, which this script reads: that is
             what the application sees;
  proxy      this script, between the receivers and the hub: every CUT seconds it cuts every
             receiver connection (both directions, at once);
  hub        `wsc-hub --redis URL --mysql URL --ack-durable` (hybrid), killed with -9 at 30% and 65% of the
             accepted messages and started again at once on the same port; Redis restarts at
             50% (scripts/services.sh restart-redis).

Checks: every accepted message reaches its receiver's application (0 lost) and none reaches it
twice (0 duplicates).  Reports the messages sent again by the sender, and what the hub sent
again on the wire (resends and offline replays, from /metrics, summed over the hub's lives).

  tests/chaos/chaos.py [--messages N] [--receivers R] [--window W] [--cut S]
Needs WSC_HUB_BIN, WSC_CLI_BIN, and WSC_TEST_REDIS_URL, WSC_TEST_MYSQL_URL, WSC_SERVICES_DIR,
WSC_SERVICES_SCRIPT (scripts/services.sh start prints them; scripts/chaos.sh does it all).
The hub runs with --ack-durable (docs/reliability.md, "Durable delivery"): without it
(--no-durable) a kill -9 loses messages answered `delivered`.  CI runs a short version
(scripts/test.sh: --messages 5000 --cut 1).
Exit 0: passed; 1: failed; 77: a service is missing.
"""
import argparse
import asyncio
import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

DEADLINE_S = 300  # after the last message is accepted, for the stored ones to arrive
SETTLE_S = 20  # ... unless nothing more arrives for this long


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(77)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def metric_sum(text, name):
    """The sum of every series of a counter in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Hub:
    """The wsc-hub process, started again on the same port after a kill."""

    def __init__(self, port, redis, mysql, durable=True):
        self.port, self.redis, self.mysql = port, redis, mysql
        self.durable = durable
        self.proc = None
        self.lives = 0
        self.counted = {"resent": 0.0, "replayed": 0.0}  # of the hubs killed so far
        self.last = {"resent": 0.0, "replayed": 0.0}  # of the live hub, last scrape

    def start(self):
        self.proc = subprocess.Popen(
            [os.environ["WSC_HUB_BIN"], "--listen", f"127.0.0.1:{self.port}",
             "--insecure-user-id", "--insecure-api", "--redis", self.redis, "--mysql", self.mysql,
             "--ack-timeout-ms", "1000", "--max-conns-per-ip", "0", "--max-pending-per-ip", "0",
             "--msg-rate-per-conn", "0", "--offline-max-per-user", "10000000",
             "--offline-max-per-sender", "0", "--offline-max-msgs-per-sender", "0",
             "--offline-max-bytes-per-sender", "0", "--log-level", "error"]
            + (["--ack-durable"] if self.durable else []),
            stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        if not re.search(r"listening", line):
            raise SystemExit(f"FAIL: wsc-hub did not start: {line!r}")
        self.lives += 1

    async def scrape(self):
        """Reads the live hub's resend and replay counters (what it sent again on the wire)."""
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 2)
            w.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = await asyncio.wait_for(r.read(), 5)
            w.close()
        except (OSError, asyncio.TimeoutError):
            return
        text = data.decode(errors="replace")
        self.last = {"resent": metric_sum(text, "wsc_retries_total"),
                     "replayed": metric_sum(text, "wsc_offline_replayed_total")}

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        for k in self.counted:
            self.counted[k] += self.last[k]
        self.last = {"resent": 0.0, "replayed": 0.0}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Proxy:
    """TCP proxy for the receivers; cut() drops every connection through it at once."""

    def __init__(self, port, upstream):
        self.port, self.upstream = port, upstream
        self.pairs = set()
        self.cuts = 0

    async def start(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, cr, cw):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            cw.close()
            return
        pair = (cw, uw)
        self.pairs.add(pair)

        async def pump(r, w):
            try:
                while True:
                    data = await r.read(65536)
                    if not data:
                        break
                    w.write(data)
                    await w.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                w.close()

        await asyncio.gather(pump(cr, uw), pump(ur, cw))
        self.pairs.discard(pair)

    def cut(self):
        for cw, uw in list(self.pairs):
            for w in (cw, uw):
                s = w.get_extra_info("socket")
                if s is not None:  # RST, not FIN: the way a network drop looks
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                w.close()
        self.pairs.clear()
        self.cuts += 1


class Sender:
    """A raw WebSocket client that sends require_ack messages and reads the hub's receipts."""

    def __init__(self, port, n, receivers, window):
        self.port, self.n, self.receivers, self.window = port, n, receivers, window
        self.accepted = {}  # message_id -> (receipt status, hub life when answered)
        self.life = lambda: 0
        self.unanswered = {}  # message_id -> frame bytes
        self.next = 0
        self.sent_again = 0
        self.rejected = 0
        self.connections = 0

    def frame(self, i):
        mid = f"m{i}"
        body = json.dumps({"receiver": f"r{i % self.receivers}", "message_id": mid,
                           "require_ack": True, "content": f"chaos {i}"}).encode()
        head = struct.pack("!BB", 0x81, 0x80 | len(body)) if len(body) < 126 else \
            struct.pack("!BBH", 0x81, 0x80 | 126, len(body))
        return mid, head + b"\0\0\0\0" + body  # zero mask key: legal, nothing to XOR

    async def connect(self):
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        w.write((f"GET /ws?user_id=sender&client_id=s1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await r.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError(head.split(b"\r\n", 1)[0].decode())
        self.connections += 1
        return r, w

    async def read_frame(self, r):
        b0, b1 = await r.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await r.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await r.readexactly(8))[0]
        return b0 & 0x0F, await r.readexactly(n)

    async def session(self):
        """One connection: sends everything unanswered first, then new messages within the
        window; returns when the connection ends or every message is accepted."""
        r, w = await self.connect()
        room = asyncio.Event()
        room.set()

        async def writer():
            for frame in list(self.unanswered.values()):
                w.write(frame)
                self.sent_again += 1
            while self.next < self.n and not w.is_closing():
                await room.wait()
                while (self.next < self.n and len(self.unanswered) < self.window and
                       not w.is_closing()):
                    mid, frame = self.frame(self.next)
                    self.next += 1
                    self.unanswered[mid] = frame
                    w.write(frame)
                await w.drain()
                room.clear()

        task = asyncio.ensure_future(writer())
        try:
            while len(self.accepted) < self.n:
                op, data = await self.read_frame(r)
                if w.is_closing():
                    break
                if op == 9:  # ping: answer, or the hub takes us for dead
                    w.write(struct.pack("!BB", 0x8A, 0x80 | len(data)) + b"\0\0\0\0" + data)
                    continue
                if op != 1:
                    continue
                j = json.loads(data)
                if j.get("message_type") != "ack":
                    continue
                mid, status = j.get("message_id"), (j.get("data") or {}).get("status")
                if status in ("delivered", "stored") and mid in self.unanswered:
                    del self.unanswered[mid]
                    self.accepted[mid] = (status, self.life())
                    room.set()
                elif status == "rejected" and mid in self.unanswered:
                    self.rejected += 1
                    w.write(self.unanswered[mid])  # store_unavailable: try again
                    self.sent_again += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            task.cancel()
            w.close()

    async def run(self):
        while len(self.accepted) < self.n:
            try:
                await self.session()
            except OSError:
                await asyncio.sleep(0.05)  # the hub is starting again


class Receiver:
    """A wsc-cli process; what it prints is what the application received."""

    def __init__(self, name, port, window):
        self.name, self.window = name, window
        self.seen = {}  # message_id -> times
        self.port = port

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            os.environ["WSC_CLI_BIN"], "--dedupe-window", str(self.window),
            f"ws://127.0.0.1:{self.port}/ws?user_id={self.name}&client_id={self.name}-c", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, limit=1 << 20)
        self.task = asyncio.ensure_future(self._read())

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("message_type") != "text" or j.get("sender") != "sender":
                continue
            mid = j.get("message_id")
            self.seen[mid] = self.seen.get(mid, 0) + 1

    async def stop(self):
        self.proc.kill()
        await self.proc.wait()
        self.task.cancel()


async def chaos(args, hub, proxy, sender):
    """Cuts the receivers every args.cut seconds; kills the hub at 30% and 65% of accepted
    messages (at once after an answer) and restarts Redis at 50%."""
    events = [(0.30, "kill"), (0.50, "redis"), (0.65, "kill")]
    events = [e for e in events if (e[1] == "kill" and args.kills) or
              (e[1] == "redis" and args.redis_restart)]
    last_cut = time.monotonic()
    while len(sender.accepted) < sender.n:
        await asyncio.sleep(0.01)
        if events and len(sender.accepted) >= events[0][0] * sender.n:
            what = events.pop(0)[1]
            if what == "kill":
                hub.kill()
                print(f"chaos: wsc-hub killed with -9 at {len(sender.accepted)} accepted",
                      flush=True)
                hub.start()
            else:
                print(f"chaos: Redis restarts at {len(sender.accepted)} accepted", flush=True)
                await asyncio.create_subprocess_exec(
                    "bash", os.environ["WSC_SERVICES_SCRIPT"], "restart-redis",
                    os.environ["WSC_SERVICES_DIR"], stdout=subprocess.DEVNULL)
        if time.monotonic() - last_cut >= args.cut:
            proxy.cut()
            last_cut = time.monotonic()
        if int(time.monotonic() * 100) % 100 == 0:
            await hub.scrape()


async def main_async(args):
    for var in ("WSC_TEST_REDIS_URL", "WSC_TEST_MYSQL_URL", "WSC_SERVICES_DIR",
                "WSC_SERVICES_SCRIPT"):
        if not os.environ.get(var):
            skip(f"{var} is not set (scripts/services.sh start prints it)")
    hub = Hub(free_port(), os.environ["WSC_TEST_REDIS_URL"], os.environ["WSC_TEST_MYSQL_URL"],
              args.durable)
    hub.start()
    proxy = Proxy(free_port(), hub.port)
    await proxy.start()
    # Each application remembers as many message ids as it may receive: a resend or a replay
    # can come long after the first copy (the hub's retries, then the store, then a reconnect).
    window = args.dedupe_window or args.messages // args.receivers + 1
    receivers = [Receiver(f"r{i}", proxy.port, window) for i in range(args.receivers)]
    for rc in receivers:
        await rc.start()
    sender = Sender(hub.port, args.messages, args.receivers, args.window)
    sender.life = lambda: hub.lives
    t0 = time.monotonic()
    try:
        await asyncio.gather(sender.run(), chaos(args, hub, proxy, sender))
        t_accepted = time.monotonic() - t0
        print(f"chaos: all {args.messages} accepted in {t_accepted:.1f} s", flush=True)
        want = {f"r{i}": set() for i in range(args.receivers)}
        for mid in sender.accepted:
            want[f"r{int(mid[1:]) % args.receivers}"].add(mid)
        # Until everything arrived, or nothing more arrived for SETTLE_S (what is left then
        # comes only on a new connection, below), or DEADLINE_S.
        end = time.monotonic() + DEADLINE_S
        last, last_change = -1, time.monotonic()
        while time.monotonic() < end and time.monotonic() - last_change < SETTLE_S:
            missing = sum(len(want[rc.name] - rc.seen.keys()) for rc in receivers)
            if missing == 0:
                break
            if missing != last:
                last, last_change = missing, time.monotonic()
            await asyncio.sleep(0.5)
        missing_first = sum(len(want[rc.name] - rc.seen.keys()) for rc in receivers)
        if missing_first:  # what comes only on a new connection: late, not lost
            proxy.cut()
            end = time.monotonic() + 60
            while time.monotonic() < end and \
                    sum(len(want[rc.name] - rc.seen.keys()) for rc in receivers):
                await asyncio.sleep(0.5)
        await hub.scrape()
        await asyncio.sleep(1)  # late duplicates, if any, show up here
    finally:
        for rc in receivers:
            await rc.stop()
        hub.stop()
    lost_ids = [m for rc in receivers for m in want[rc.name] - rc.seen.keys()]
    lost = len(lost_ids)
    lost_by = {}
    for m in lost_ids:
        status, life = sender.accepted[m]
        k = f"{status}_in_life_{life}"
        lost_by[k] = lost_by.get(k, 0) + 1
    dups = sum(n - 1 for rc in receivers for n in rc.seen.values() if n > 1)
    foreign = sum(len(rc.seen.keys() - want[rc.name]) for rc in receivers)
    out = {"chaos": "hybrid", "messages": args.messages, "receivers": args.receivers,
           "accepted": len(sender.accepted),
           "accepted_delivered": sum(1 for v in sender.accepted.values() if v[0] == "delivered"),
           "accepted_stored": sum(1 for v in sender.accepted.values() if v[0] == "stored"),
           "missing_before_reconnect": missing_first,
           "lost": lost, "lost_by_receipt": lost_by, "lost_ids": sorted(lost_ids)[:20],
           "app_duplicates": dups,
           "foreign": foreign, "sender_sent_again": sender.sent_again,
           "sender_rejected": sender.rejected, "sender_connections": sender.connections,
           "receiver_cuts": proxy.cuts, "hub_lives": hub.lives,
           "hub_resent_on_wire": int(hub.counted["resent"] + hub.last["resent"]),
           "hub_replayed_on_wire": int(hub.counted["replayed"] + hub.last["replayed"]),
           "seconds_to_accept": round(t_accepted, 1),
           "seconds_total": round(time.monotonic() - t0, 1)}
    print(json.dumps(out), flush=True)
    ok = lost == 0 and dups == 0 and foreign == 0 and hub.lives == 1 + (2 if args.kills else 0)
    print("PASS" if ok else "FAIL", flush=True)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--receivers", type=int, default=4)
    ap.add_argument("--window", type=int, default=512)
    ap.add_argument("--cut", type=float, default=3.0, help="seconds between receiver cuts")
    ap.add_argument("--dedupe-window", type=int, default=0,
                    help="the receivers' dedupe_window (default: every message they get)")
    ap.add_argument("--no-kills", dest="kills", action="store_false",
                    help="no kill -9 of the hub (to tell its losses from others)")
    ap.add_argument("--no-redis-restart", dest="redis_restart", action="store_false")
    ap.add_argument("--no-durable", dest="durable", action="store_false",
                    help="run the hub without --ack-durable: a kill -9 then loses messages "
                         "answered `delivered` (docs/reliability.md)")
    args = ap.parse_args()
    for var in ("WSC_HUB_BIN", "WSC_CLI_BIN"):
        if not os.environ.get(var):
            raise SystemExit(f"FAIL: {var} is not set")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
