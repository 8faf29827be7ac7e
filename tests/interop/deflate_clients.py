#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""permessage-deflate (RFC 7692, PROTOCOL.md §1) as real clients see it.

Starts the real wsc-hub (WSC_HUB_BIN) with --deflate, and once more without it:

  deflate_clients.py raw        plain sockets read the frames: a message at least
                                deflate_threshold long arrives compressed (RSV1 set, inflated
                                with the stream's one window), a shorter one does not (RSV1 clear),
                                coalesced ones included; compressed client frames are taken;
                                without --deflate no extension is answered
  deflate_clients.py python     the Python `websockets` library (Debian python3-websockets)
  deflate_clients.py node       Node's `ws` (npm-installed into a throw-away directory)
  deflate_clients.py chromium   headless Chromium's WebSocket, driven over the DevTools protocol

Each library client opens a sender and a receiver, checks the negotiated extension, sends large
(compressible) and small messages to the receiver, then has the HTTP API publish the same list
to it as one batch (queued in one loop pass: the hub's coalesced write); every content must
come back byte for byte, in order.

Exit 0: passed; 1: failed; 77: the client is not installed (the message says which).
"""
import asyncio
import base64
import json
import os
import random
import re
import socket
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refusal_clients import node_dir, skip  # noqa: E402
from sse_clients import http, make_browser, stop_hub  # noqa: E402

API_KEY = "deflate-api-key"
DEADLINE_S = 30
THRESHOLD = 1024

# Large ones (well above the threshold; the base64 one stays above lws's 1 KiB output chunk
# once compressed, so it leaves in several fragments), small ones, UTF-8.
MESSAGES = [
    " ".join(f"word{i % 97}" for i in range(3000)),
    base64.b64encode(random.Random(7).randbytes(9000)).decode(),
    # Larger than zlib's 64 KiB window buffer: lws's deflater takes it in several bites, reading
    # the hub's message buffer until its last fragment is out.
    base64.b64encode(random.Random(8).randbytes(150000)).decode(),
    "hi",
    "small \u00e9\u2713",
    "x" * 500,
    "\u00e9\u2713 " * 3000,
    "y" * 1500,
    "tail",
]


class Hub:
    def __init__(self, deflate):
        self.proc = subprocess.Popen(
            [os.environ["WSC_HUB_BIN"], "--listen", "127.0.0.1:0", "--insecure-user-id",
             "--api-key", API_KEY, "--log-level", "warn", "--max-message-size", "1048576",
             f"--deflate={str(deflate).lower()}",
             "--deflate-threshold", str(THRESHOLD)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "wsc-hub listening on http://127.0.0.1:PORT/ ..."
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise SystemExit(f"FAIL: wsc-hub did not start: {line!r}")
        self.port = int(m.group(1))
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop_hub(self.proc)


def publish_batch(port, user, contents):
    status, _, data = http(port, "POST", "/api/publish",
                           json.dumps({"receiver": user,
                                       "messages": [{"content": c} for c in contents]}),
                           {"Authorization": f"Bearer {API_KEY}"})
    if status != 200:
        raise SystemExit(f"FAIL: batch publish answered {status}: {data[:200]!r}")


# --- raw sockets: the frames on the wire

class RawWS:
    def __init__(self, port, user, offer):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        self.s.sendall((f"GET /ws?user_id={user} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        f"Sec-WebSocket-Version: 13\r\n{ext if offer else ''}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise SystemExit(f"FAIL: upgrade refused: {head[:80]!r}")
        m = re.search(rb"(?i)\r\nsec-websocket-extensions: *([^\r]*)", head)
        self.ext = m.group(1).decode() if m else ""
        self.inflater = zlib.decompressobj(-15)
        self.deflater = zlib.compressobj(1, zlib.DEFLATED, -15)

    def _take(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise SystemExit("FAIL: the hub closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        b0, b1 = self._take(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(self._take(2), "big")
        elif n == 127:
            n = int.from_bytes(self._take(8), "big")
        return b0 & 0x80, b0 & 0x40, b0 & 0x0F, self._take(n)

    def message(self):
        """(compressed?, bytes on the wire, frames, text) of the next data message."""
        fin, rsv1, op, data = self.frame()
        while op >= 8:  # control frames may come between messages and fragments
            fin, rsv1, op, data = self.frame()
        wire, frames = data, 1
        while not fin:
            fin, rsv, op2, more = self.frame()
            if op2 >= 8:
                continue
            if op2 != 0 or rsv:
                raise SystemExit(f"FAIL: opcode {op2} RSV {rsv} inside a fragmented message")
            wire, frames = wire + more, frames + 1
        text = self.inflater.decompress(wire + b"\x00\x00\xff\xff") if rsv1 else wire
        return bool(rsv1), len(wire), frames, text.decode()

    def send(self, text, compress):
        data = text.encode()
        if compress:  # one window across messages (context takeover), as RFC 7692 §7.2.1
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
            data = data[:-4]
        head = bytes([0xC1 if compress else 0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def run_raw(failures):
    hub = Hub(True)
    try:
        r = RawWS(hub.port, "r", True)
        plain = RawWS(hub.port, "p", False)
        if not r.ext.startswith("permessage-deflate"):
            failures.append(f"raw: no permessage-deflate answered: {r.ext!r}")
        if plain.ext:
            failures.append(f"raw: an extension answered to a client that offered none: {plain.ext!r}")
        for c in (r, plain):
            comp, _, _, text = c.message()
            if comp or json.loads(text)["message_type"] != "connected":
                failures.append(f"raw: first frame compressed={comp} {text[:80]!r}")
        publish_batch(hub.port, "r", MESSAGES)
        publish_batch(hub.port, "p", MESSAGES)
        fragmented = 0
        for c, name in ((r, "deflate"), (plain, "plain")):
            for want in MESSAGES:
                comp, wire, frames, text = c.message()
                fragmented += comp and frames > 1
                frame = json.loads(text)
                size = len(text.encode())
                expect_comp = c is r and size >= THRESHOLD
                print(f"raw {name}: {size} bytes -> {wire} on the wire in {frames} frame(s), "
                      f"RSV1 {int(comp)}", flush=True)
                if frame.get("content") != want:
                    failures.append(f"raw {name}: content differs ({size} bytes)")
                if comp != expect_comp:
                    failures.append(f"raw {name}: {size}-byte message RSV1={int(comp)}")
                if comp and wire >= size:
                    failures.append(f"raw {name}: {size} bytes compressed to {wire}")
        if fragmented == 0:
            failures.append("raw: no compressed message left in several fragments")
        # Client to hub: compressed frames sharing one window, and an uncompressed one between.
        for i, want in enumerate(MESSAGES[:3]):
            r.send(json.dumps({"receiver": "p", "content": want}), compress=(i != 1))
        for want in MESSAGES[:3]:
            comp, _, _, text = plain.message()
            if comp or json.loads(text).get("content") != want:
                failures.append(f"raw: client frame relayed as compressed={comp} {text[:60]!r}")
    finally:
        hub.stop()
    hub = Hub(False)
    try:
        off = RawWS(hub.port, "r", True)
        if off.ext:
            failures.append(f"raw: deflate off, yet {off.ext!r} answered")
    finally:
        hub.stop()


# --- library clients: one scenario, the same in Python, Node and the browser

def check_result(which, deflate, out, failures):
    tag = f"{which} deflate={'on' if deflate else 'off'}"
    for side in ("ext_a", "ext_b"):
        ext = out.get(side) or ""
        if deflate and "permessage-deflate" not in ext:
            failures.append(f"{tag}: {side} negotiated {ext!r}")
        if not deflate and ext:
            failures.append(f"{tag}: {side} negotiated {ext!r} with deflate off")
    got = out.get("got", [])
    want = MESSAGES + MESSAGES
    bad = [i for i in range(len(want)) if i >= len(got) or got[i] != want[i]]
    print(f"{tag}: extensions {out.get('ext_a')!r}, {len(got)} messages, "
          f"{len(bad)} wrong", flush=True)
    if bad or len(got) != len(want):
        failures.append(f"{tag}: messages {bad} differ or are missing ({len(got)} received)")


def run_python(hub):
    try:
        import websockets
    except ImportError:
        skip("the Python `websockets` library is not installed (Debian: python3-websockets)")

    async def scenario():
        url = f"ws://127.0.0.1:{hub.port}/ws?user_id="
        a = await websockets.connect(url + "snd", max_size=None)
        b = await websockets.connect(url + "rcv", max_size=None)
        await a.recv()
        await b.recv()
        for c in MESSAGES:
            await a.send(json.dumps({"receiver": "rcv", "content": c}))
        got = [json.loads(await b.recv())["content"] for _ in MESSAGES]
        await asyncio.get_running_loop().run_in_executor(
            None, publish_batch, hub.port, "rcv", MESSAGES)
        got += [json.loads(await b.recv())["content"] for _ in MESSAGES]
        out = {"ext_a": a.response_headers.get("Sec-WebSocket-Extensions"),
               "ext_b": b.response_headers.get("Sec-WebSocket-Extensions"), "got": got}
        await a.close()
        await b.close()
        return out

    return asyncio.run(asyncio.wait_for(scenario(), DEADLINE_S))


# The scenario in JavaScript: WS is Node's `ws` or the browser's WebSocket.
SCENARIO_JS = r"""
async function scenario(WS, base, L, apiKey) {
  const open = user => new Promise((resolve, reject) => {
    const ws = new WS(base.replace('http', 'ws') + '/ws?user_id=' + user);
    const q = [];
    let wake = null;
    ws.onmessage = e => { q.push(String(e.data)); if (wake) { wake(); wake = null; } };
    ws.onerror = () => reject(new Error('websocket error: ' + user));
    ws.onopen = () => resolve({ws, next: async () => {
      while (!q.length) await new Promise(r => { wake = r; });
      return JSON.parse(q.shift());
    }});
  });
  const a = await open('snd'), b = await open('rcv');
  await a.next();
  await b.next();
  for (const c of L) a.ws.send(JSON.stringify({receiver: 'rcv', content: c}));
  const got = [];
  for (let i = 0; i < L.length; i++) got.push((await b.next()).content);
  const r = await fetch(base + '/api/publish', {method: 'POST',
    headers: {Authorization: 'Bearer ' + apiKey, 'Content-Type': 'application/json'},
    body: JSON.stringify({receiver: 'rcv', messages: L.map(c => ({content: c}))})});
  if (r.status !== 200) throw new Error('publish: ' + r.status);
  for (let i = 0; i < L.length; i++) got.push((await b.next()).content);
  const out = {ext_a: a.ws.extensions, ext_b: b.ws.extensions, got};
  a.ws.close();
  b.ws.close();
  return JSON.stringify(out);
}
"""


def run_node(hub, d):
    path = os.path.join(d, "deflate.js")
    with open(path, "w") as f:
        f.write(SCENARIO_JS + "\nconst [base, L, key] = [process.argv[2], JSON.parse("
                "require('fs').readFileSync(process.argv[3], 'utf8')), process.argv[4]];\n"
                "const done = o => process.stdout.write(o + '\\n', () => process.exit(0));\n"
                "scenario(require('ws'), base, L, key).then(done, "
                "e => done(JSON.stringify({error: e.message})));\n")
    messages = os.path.join(d, "messages.json")  # larger than one argument may be
    with open(messages, "w") as f:
        json.dump(MESSAGES, f)
    r = subprocess.run(["node", path, hub.base, messages, API_KEY], cwd=d,
                       capture_output=True, text=True, timeout=DEADLINE_S)
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise SystemExit(f"FAIL: node printed {r.stdout[:300]!r} {r.stderr[-300:]!r}")


def run_chromium(hub, browser):
    js = (SCENARIO_JS + f"scenario(WebSocket, {json.dumps(hub.base)}, {json.dumps(MESSAGES)}, "
          f"{json.dumps(API_KEY)})")
    return json.loads(browser.evaluate(hub.base + "/", js))


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "raw"
    if which not in ("raw", "python", "node", "chromium"):
        raise SystemExit(f"usage: {sys.argv[0]} raw|python|node|chromium")
    failures = []
    if which == "raw":
        run_raw(failures)
    else:
        extra = node_dir() if which == "node" else make_browser() if which == "chromium" \
            else None
        try:
            for deflate in (True, False):
                hub = Hub(deflate)
                try:
                    if which == "python":
                        out = run_python(hub)
                    elif which == "node":
                        out = run_node(hub, extra)
                    else:
                        out = run_chromium(hub, extra)
                finally:
                    hub.stop()
                if "error" in out:
                    failures.append(f"{which}: {out['error']}")
                    continue
                check_result(which, deflate, out, failures)
        finally:
            if which == "node":
                import shutil
                shutil.rmtree(extra, ignore_errors=True)
            elif which == "chromium":
                extra.stop()
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
