#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The SSE transport (PROTOCOL.md §6) against the real wsc-hub (WSC_HUB_BIN), over sockets.

  sse_clients.py raw        plain sockets speak HTTP/1.1: the stream's format, the `: ping`
                            comment, POST /sse/send (200, 400, 401, 409; sender stamped, the ACK
                            receipt on the stream), offline replay in order, Last-Event-ID (header
                            and query), an ACK posted upstream, presence, kick closing the stream
  sse_clients.py cluster    two wsc-hub nodes on one Redis (WSC_TEST_REDIS_URL): a stream on
                            one node gets what the other routes (API publish, another node's
                            stream's POST with its ACK receipt), presence and kick across nodes
  sse_clients.py curl       curl as the client, as an operator would try it: `curl -N` reads the
                            stream (connected, `: ping`, events with id/event/data, offline replay
                            in order, Last-Event-ID), `curl --data-binary` posts to /sse/send
                            (200 and the ACK receipt, 401 without identity), kick ends curl
  sse_clients.py chromium   headless Chromium's EventSource: events, /sse/send with fetch(), and
                            the browser's own reconnect sending Last-Event-ID after a kick

The hub runs with JWT identity, an API key and a 300 ms ping interval.
Exit 0: passed; 1: failed; 77: the client is not installed (the message says which).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hubstop import stop_hub  # noqa: E402

SECRET = "sse-secret"
API_KEY = "sse-api-key"
DEADLINE_S = 30


def until(cond, seconds):
    """Polls cond() until it is true (True) or the deadline passes (False): no fixed waits."""
    deadline = time.monotonic() + seconds
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(77)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(user):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": user, "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


class Hub:
    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [os.environ["WSC_HUB_BIN"], "--listen", "127.0.0.1:0", "--jwt-secret", SECRET,
             "--api-key", API_KEY, "--sse-ping-interval-ms", "300", "--log-level", "warn",
             *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "wsc-hub listening on http://127.0.0.1:PORT/ ..."
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise SystemExit(f"FAIL: wsc-hub did not start: {line!r}")
        self.port = int(m.group(1))

    def stop(self):
        stop_hub(self.proc)


def http(port, method, path, body=None, headers=None):
    """One request on its own connection; returns (status, headers dict, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
    data = body.encode() if isinstance(body, str) else (body or b"")
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if method != "GET":
        head += f"Content-Length: {len(data)}\r\n"
    s.sendall(head.encode() + b"\r\n" + data)
    raw = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    s.close()
    top, _, rest = raw.partition(b"\r\n\r\n")
    lines = top.decode().split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {ln.split(":", 1)[0].lower(): ln.split(":", 1)[1].strip() for ln in lines[1:]}
    return status, hdrs, rest


def api(port, method, path, body=None):
    status, _, data = http(port, method, path, json.dumps(body) if body is not None else None,
                           {"Authorization": f"Bearer {API_KEY}"})
    return status, json.loads(data or b"null")


def post_send(port, token, frame, query=""):
    q = f"?token={token}{query}" if token else ""
    status, hdrs, data = http(port, "POST", f"/sse/send{q}", frame if isinstance(frame, str)
                              else json.dumps(frame))
    return status, json.loads(data) if data else None


class Stream:
    """An open GET /sse: reads the status, headers and then events (dicts) or comments."""

    def __init__(self, port, token, client_id=None, last_id=None, query_last=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
        q = f"?token={token}" + (f"&client_id={client_id}" if client_id else "") + \
            (f"&last_event_id={query_last}" if query_last else "")
        extra = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        self.s.sendall(f"GET /sse{q} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                       f"{extra}\r\n".encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        top, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = top.decode().split("\r\n")
        self.status_line = lines[0]
        self.headers = {ln.split(":", 1)[0].lower(): ln.split(":", 1)[1].strip()
                        for ln in lines[1:]}
        self.eof = False

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            self.eof = True
            raise EOFError
        self.buf += chunk

    def _timeout(self, seconds):
        """How long _fill may wait for more."""
        self.s.settimeout(seconds)

    def block(self, timeout=DEADLINE_S):
        """The next block (text up to a blank line), or None at EOF / timeout."""
        self._timeout(timeout)
        try:
            while b"\n\n" not in self.buf:
                self._fill()
        except (EOFError, socket.timeout):
            return None
        blk, _, self.buf = self.buf.partition(b"\n\n")
        return blk.decode()

    def event(self, timeout=DEADLINE_S):
        """The next event as {"id":…, "event":…, "data": parsed JSON}, skipping comments;
        None at EOF or when none came within timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            blk = self.block(left) if left > 0 else None
            if blk is None:
                return None
            if blk.startswith(":"):
                continue
            ev = {}
            for ln in blk.split("\n"):
                k, _, v = ln.partition(": ")
                ev[k] = v
            ev["data"] = json.loads(ev["data"])
            return ev

    def close(self):
        self.s.close()


class CurlStream(Stream):
    """GET /sse read by a `curl -N` child process (its stdout is the event stream)."""

    def __init__(self, port, token, client_id=None, last_id=None):
        q = f"?token={token}" + (f"&client_id={client_id}" if client_id else "")
        cmd = ["curl", "-sSN", "--max-time", str(DEADLINE_S * 2), "-H",
               "Accept: text/event-stream"]
        if last_id:
            cmd += ["-H", f"Last-Event-ID: {last_id}"]
        self.proc = subprocess.Popen(cmd + [f"http://127.0.0.1:{port}/sse{q}"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        self.eof = False

    def _fill(self):
        r, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not r:
            raise socket.timeout
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            self.eof = True
            raise EOFError
        self.buf += chunk

    def _timeout(self, seconds):
        self.timeout = seconds

    def ended(self, timeout):
        """True when curl's stream ended (the hub closed it) within timeout seconds."""
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self):
        self.proc.kill()
        self.proc.wait()


def curl_post(port, token, frame):
    """POST /sse/send with curl; returns (status, parsed body)."""
    q = f"?token={token}" if token else ""
    out = subprocess.run(["curl", "-sS", "--max-time", str(DEADLINE_S), "-w", "\n%{http_code}",
                          "-H", "Content-Type: application/json", "--data-binary", "@-",
                          f"http://127.0.0.1:{port}/sse/send{q}"],
                         input=json.dumps(frame).encode(), capture_output=True, check=False)
    body, _, code = out.stdout.decode().rpartition("\n")
    return int(code or 0), json.loads(body) if body else None


def run_curl(hub):
    if shutil.which("curl") is None:
        skip("curl is not installed")
    failures = []
    port = hub.port
    alice = CurlStream(port, mint("alice"), client_id="tab-c")
    first = alice.event()
    expect(failures, first is not None and first.get("event") == "connected" and
           first["data"]["data"]["client_id"] == "tab-c", "curl: the connected event")
    t0 = time.monotonic()
    expect(failures, alice.block(3) == ": ping" and time.monotonic() - t0 < 2.5,
           "curl: a `: ping` comment within the interval")
    bob = CurlStream(port, mint("bob"))
    bob.event()
    st, body = curl_post(port, mint("alice"), {"receiver": "bob", "content": "hi from curl",
                                               "message_id": "c1", "require_ack": True})
    expect(failures, st == 200 and body == {"ok": True}, "curl POST /sse/send: 200 {ok:true}")
    ev = bob.event()
    expect(failures, ev is not None and ev.get("id") == "c1" and ev.get("event") == "text" and
           ev["data"]["sender"] == "alice" and ev["data"]["content"] == "hi from curl",
           "curl stream: id/event/data, sender stamped")
    ack = alice.event()
    expect(failures, ack is not None and ack.get("event") == "ack" and
           ack["data"]["data"]["status"] == "delivered", "curl stream: the ACK receipt")
    st, body = curl_post(port, None, {"receiver": "bob"})
    expect(failures, st == 401 and body["error"] == "unauthorized", "curl POST, no identity: 401")
    for i in range(1, 4):
        api(port, "POST", "/api/publish", {"receiver": "dora", "message": {
            "content": f"q{i}", "message_id": f"q{i}", "require_ack": True}})
    d = CurlStream(port, mint("dora"))
    d.event()
    got = [d.event(5) for _ in range(3)]
    expect(failures, [e and e.get("id") for e in got] == ["q1", "q2", "q3"] and
           all(e["data"]["source"] == "offline" for e in got), "curl: offline replay in order")
    d.close()
    d = CurlStream(port, mint("dora"), last_id="q2")
    d.event()
    got = d.event(5)
    expect(failures, got is not None and got.get("id") == "q3" and d.event(0.5) is None,
           "curl -H 'Last-Event-ID: q2': only q3 replayed")
    d.close()
    st, _ = api(port, "POST", "/api/users/bob/kick", {"reason": "bye"})
    kicked = bob.event(5)
    expect(failures, st == 200 and kicked is not None and kicked.get("event") == "kick_out" and
           bob.ended(5), "kick: curl gets kick_out and its stream ends")
    bob.close()
    alice.close()
    return failures


def expect(failures, cond, what):
    print(f"sse: {what}: {'ok' if cond else 'FAILED'}", flush=True)
    if not cond:
        failures.append(what)


def check_format_and_send(port, failures):
    alice = Stream(port, mint("alice"), client_id="tab-a")
    expect(failures, alice.status_line.startswith("HTTP/1.1 200"), "stream answers 200")
    expect(failures, alice.headers.get("content-type") == "text/event-stream",
           "content-type text/event-stream")
    first = alice.event()
    expect(failures, first is not None and first.get("event") == "connected" and
           "id" not in first and first["data"]["data"]["client_id"] == "tab-a",
           "first event: connected, no id line, announces the client id")
    t0 = time.monotonic()
    blk = alice.block(3)
    expect(failures, blk == ": ping" and time.monotonic() - t0 < 2.5,
           "a `: ping` comment within the configured interval")
    bob = Stream(port, mint("bob"))
    bob.event()  # connected
    st, body = post_send(port, mint("alice"), {"receiver": "bob", "content": "hello",
                                              "message_id": "a1", "require_ack": True,
                                              "sender": "mallory"}, "&client_id=tab-a")
    expect(failures, st == 200 and body == {"ok": True}, "POST /sse/send answers 200 {ok:true}")
    ev = bob.event()
    expect(failures, ev is not None and ev.get("id") == "a1" and ev.get("event") == "text" and
           ev["data"]["sender"] == "alice" and ev["data"]["sender_client"] == "tab-a" and
           ev["data"]["content"] == "hello", "receiver gets id/event/data, sender stamped")
    ack = alice.event()
    expect(failures, ack is not None and ack.get("event") == "ack" and
           ack["data"]["message_id"] == "a1" and ack["data"]["data"]["status"] == "delivered",
           "the ACK receipt arrives on the sender's stream")
    st, body = post_send(port, mint("alice"), "not json")
    expect(failures, st == 400 and body["error"] == "invalid_json", "bad body: 400 invalid_json")
    st, body = post_send(port, mint("alice"), {"message_type": "kick_out"})
    expect(failures, st == 400 and body["error"] == "invalid_message",
           "hub-only type: 400 invalid_message")
    st, body = post_send(port, None, {"receiver": "bob"})
    expect(failures, st == 401 and body["error"] == "unauthorized", "no identity: 401")
    st, body = post_send(port, mint("carol"), {"receiver": "bob"})
    expect(failures, st == 409 and body["error"] == "no_stream", "no open stream: 409 no_stream")
    return alice, bob


def check_offline(port, failures):
    for i in range(1, 5):
        st, body = api(port, "POST", "/api/publish",
                       {"receiver": "dave", "message": {"content": f"o{i}", "message_id": f"o{i}",
                                                        "require_ack": True}})
        if st != 200 or body.get("stored") != 1:
            failures.append(f"publish o{i} to offline dave: {st} {body}")
    d = Stream(port, mint("dave"))
    d.event()
    got = [d.event(5) for _ in range(4)]
    ids = [e and e.get("id") for e in got]
    expect(failures, ids == ["o1", "o2", "o3", "o4"] and
           all(e["data"]["source"] == "offline" for e in got), "offline replay in order")
    d.close()
    d = Stream(port, mint("dave"), last_id="o2")
    d.event()
    got = [d.event(5) for _ in range(2)]
    expect(failures, [e and e.get("id") for e in got] == ["o3", "o4"] and d.event(0.5) is None,
           "Last-Event-ID o2: o1, o2 count as received, o3, o4 replayed")
    d.close()
    d = Stream(port, mint("dave"), query_last="o4")
    d.event()
    expect(failures, d.event(0.5) is None, "last_event_id=o4 (query): nothing left to replay")
    d.close()
    d = Stream(port, mint("dave"))
    d.event()
    expect(failures, d.event(0.5) is None, "the store is empty after the resumes")
    d.close()
    # An ACK posted upstream removes the stored message.
    api(port, "POST", "/api/publish", {"receiver": "erin", "message": {
        "content": "e1", "message_id": "e1", "require_ack": True}})
    e = Stream(port, mint("erin"))
    e.event()
    ev = e.event(5)
    st, _ = post_send(port, mint("erin"), {"message_type": "ack", "message_id": "e1"})
    e.close()

    def nothing_replayed():  # the removal is asynchronous: a new stream until none comes
        again = Stream(port, mint("erin"))
        again.event()
        empty = again.event(0.5) is None
        again.close()
        return empty

    expect(failures, ev is not None and ev.get("id") == "e1" and st == 200 and
           until(nothing_replayed, 10), "an ack posted to /sse/send removes the stored message")


def check_presence_and_kick(port, bob, failures):
    st, body = api(port, "GET", "/api/users/bob")
    expect(failures, st == 200 and body.get("online") and body.get("connections") == 1,
           "presence counts the stream")
    st, body = api(port, "GET", "/api/stats")
    expect(failures, st == 200 and body.get("connections", 0) >= 2, "stats count the streams")
    st, body = api(port, "POST", "/api/users/bob/kick", {"reason": "bye"})
    expect(failures, st == 200 and body.get("kicked") == 1, "kick answers kicked 1")
    ev = bob.event(5)
    expect(failures, ev is not None and ev.get("event") == "kick_out", "kick_out event first")
    expect(failures, bob.block(5) is None and bob.eof, "then the stream ends")

    def offline():
        st, body = api(port, "GET", "/api/users/bob")
        return st == 200 and not body.get("online")

    expect(failures, until(offline, 10), "the kicked user is offline")


def check_off(failures):
    off = Hub("--sse-path=")
    try:
        st, _, _ = http(off.port, "GET", f"/sse?token={mint('alice')}")
        st2, _, _ = http(off.port, "POST", f"/sse/send?token={mint('alice')}", "{}")
    finally:
        off.stop()
    expect(failures, st == 404 and st2 == 404, "--sse-path= turns SSE off (404)")


def run_raw(hub):
    failures = []
    alice, bob = check_format_and_send(hub.port, failures)
    check_offline(hub.port, failures)
    check_presence_and_kick(hub.port, bob, failures)
    alice.close()
    check_off(failures)
    return failures


CHROMIUM_JS = """
(async () => {
  const log = [];
  const done = new Promise((resolve, reject) => {
    let connected = 0, texts = 0;
    const es = new EventSource('/sse?token=TOKEN');
    es.addEventListener('connected', e => {
      connected++;
      log.push({type: 'connected'});
      if (connected === 2)
        setTimeout(() => { es.close(); resolve(log); }, 800);
    });
    es.addEventListener('text', e => {
      log.push({type: 'text', id: e.lastEventId, content: JSON.parse(e.data).content});
      if (++texts === 3)
        fetch('/sse/send?token=TOKEN', {method: 'POST',
          body: JSON.stringify({receiver: 'yan', message_id: 'y1', content: 'hi',
                                require_ack: true})})
          .then(r => r.json()).then(j => log.push({type: 'post', body: j}));
    });
    es.addEventListener('ack', e => {
      log.push({type: 'ack', status: JSON.parse(e.data).data.status});
      fetch('/api/users/zed/kick', {method: 'POST', headers: {Authorization: 'Bearer APIKEY'}});
    });
    es.addEventListener('kick_out', e => log.push({type: 'kick_out'}));
    setTimeout(() => reject(new Error('timeout: ' + JSON.stringify(log))), 20000);
  });
  return JSON.stringify(await done);
})()
"""


def make_browser():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from refusal_clients import Chromium

    class Browser(Chromium):
        def evaluate(self, url, expression):
            """Loads url in a new page, then evaluates expression (a promise) there."""
            import asyncio
            import websockets

            async def run():
                async with websockets.connect(self.devtools, max_size=None) as b:
                    ids = iter(range(1, 1000))

                    async def call(method, params=None, session=None, wait_event=None):
                        my = next(ids)
                        msg = {"id": my, "method": method, "params": params or {}}
                        if session:
                            msg["sessionId"] = session
                        await b.send(json.dumps(msg))
                        result, seen = None, wait_event is None
                        while result is None or not seen:
                            r = json.loads(await b.recv())
                            if r.get("id") == my:
                                if "error" in r:
                                    raise SystemExit(f"FAIL: devtools {method}: {r['error']}")
                                result = r.get("result", {})
                            elif r.get("method") == wait_event:
                                seen = True
                        return result

                    t = await call("Target.createTarget", {"url": "about:blank"})
                    s = (await call("Target.attachToTarget",
                                    {"targetId": t["targetId"], "flatten": True}))["sessionId"]
                    await call("Page.enable", {}, s)
                    await call("Page.navigate", {"url": url}, s, "Page.loadEventFired")
                    r = await call("Runtime.evaluate", {"expression": expression,
                                                        "awaitPromise": True,
                                                        "returnByValue": True}, s)
                    if "exceptionDetails" in r:
                        raise SystemExit(f"FAIL: page: {r['exceptionDetails']}")
                    return r["result"]["value"]

            return asyncio.run(asyncio.wait_for(run(), DEADLINE_S))

    return Browser()


def run_chromium(hub, browser):
    """zed has three stored messages.  The page's EventSource gets them, posts a message to
    yan with fetch() (the ACK receipt comes on the stream), is kicked, and reconnects by itself
    with Last-Event-ID: z3, which tells the hub z1..z3 were received."""
    for i in range(1, 4):
        api(hub.port, "POST", "/api/publish", {"receiver": "zed", "message": {
            "content": f"z{i}", "message_id": f"z{i}", "require_ack": True}})
    js = CHROMIUM_JS.replace("TOKEN", mint("zed")).replace("APIKEY", API_KEY)
    log = json.loads(browser.evaluate(f"http://127.0.0.1:{hub.port}/", js))
    print(f"chromium: {log}", flush=True)
    texts = [(e["id"], e["content"]) for e in log if e["type"] == "text"]
    failures = []
    if texts != [("z1", "z1"), ("z2", "z2"), ("z3", "z3")]:
        failures.append(f"texts {texts} (want z1..z3 once: nothing replayed after the resume)")
    if {"type": "post", "body": {"ok": True}} not in log:
        failures.append("the POST was not answered {ok:true}")
    if {"type": "ack", "status": "stored"} not in log:
        failures.append("no ACK receipt")
    if {"type": "kick_out"} not in log:
        failures.append("no kick_out event")
    if sum(1 for e in log if e["type"] == "connected") != 2:
        failures.append("EventSource did not reconnect")
    d = Stream(hub.port, mint("zed"))
    d.event()
    if d.event(0.5) is not None:
        failures.append("stored messages left after the browser's Last-Event-ID")
    d.close()
    y = Stream(hub.port, mint("yan"))
    y.event()
    ev = y.event(5)
    if ev is None or ev["data"].get("sender") != "zed" or ev.get("id") != "y1":
        failures.append(f"yan did not get zed's message: {ev}")
    y.close()
    return failures


def run_cluster():
    url = os.environ.get("WSC_TEST_REDIS_URL")
    if not url:
        skip("WSC_TEST_REDIS_URL is not set (scripts/services.sh)")
    tag = f"sse{os.getpid()}"
    a, b = Hub("--redis", url, "--node-id", f"{tag}-a"), Hub("--redis", url, "--node-id", f"{tag}-b")
    failures = []

    def check(cond, what):
        print(f"cluster: {what}: {'ok' if cond else 'FAILED'}", flush=True)
        if not cond:
            failures.append(what)

    try:
        u1, u2 = f"{tag}-one", f"{tag}-two"
        s1, s2 = Stream(a.port, mint(u1)), Stream(b.port, mint(u2))
        s1.event()
        s2.event()
        # The nodes learn where the users are: wait until node b counts u1's stream, within a
        # deadline (a fixed sleep failed under ASan on a loaded machine).
        def counted():
            st, body = api(b.port, "GET", f"/api/users/{u1}")
            return st == 200 and body.get("connections") == 1

        check(until(counted, 10), "presence of a stream on another node")
        api(b.port, "POST", "/api/publish", {"receiver": u1, "message": {
            "content": "p1", "message_id": "p1"}})
        ev = s1.event(5)
        check(ev is not None and ev.get("id") == "p1", "a publish on node b reaches node a's stream")
        st, _ = post_send(b.port, mint(u2), {"receiver": u1, "content": "c1", "message_id": "c1",
                                             "require_ack": True})
        ev = s1.event(5)
        ack = s2.event(5)
        check(st == 200 and ev is not None and ev["data"].get("sender") == u2 and
              ack is not None and ack["data"]["data"]["status"] == "delivered",
              "a POST on node b reaches node a's stream, the receipt comes back")
        st, body = api(b.port, "POST", f"/api/users/{u1}/kick")
        ev = s1.event(5)
        check(st == 200 and body.get("kicked") == 1 and ev is not None and
              ev.get("event") == "kick_out" and s1.block(5) is None, "kick across nodes")
        s2.close()
    finally:
        a.stop()
        b.stop()
    return failures


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "raw"
    if which not in ("raw", "curl", "chromium", "cluster"):
        raise SystemExit(f"usage: {sys.argv[0]} raw|curl|chromium|cluster")
    if which == "cluster":
        failures = run_cluster()
        if failures:
            print("FAIL: " + "; ".join(failures))
            sys.exit(1)
        print("PASS")
        return
    browser = make_browser() if which == "chromium" else None
    hub = Hub()
    try:
        failures = (run_raw(hub) if which == "raw" else run_curl(hub) if which == "curl"
                    else run_chromium(hub, browser))
    finally:
        hub.stop()
        if browser is not None:
            browser.stop()
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
