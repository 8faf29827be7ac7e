#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Refused WebSocket upgrades as real client libraries read them (PROTOCOL.md §1).

Starts the real wsc-hub (WSC_HUB_BIN) with JWT identity and --max-conns 1, then checks that a
client without a token is told 401 and, while one connection fills the node, a client with a
valid token is told 503, each in the HTTP/1.1 answer with the JSON body:

  refusal_clients.py raw        a plain socket reads the status line and the body
  refusal_clients.py python     the Python `websockets` library (Debian python3-websockets)
  refusal_clients.py node       Node's `ws` (npm-installed into a throw-away directory)
  refusal_clients.py chromium   headless Chromium, driven over the DevTools protocol

Exit 0: passed; 1: failed; 77: the client is not installed (the message says which).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hubstop import stop_hub  # noqa: E402

SECRET = "interop-secret"
DEADLINE_S = 20


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
    def __init__(self):
        self.proc = subprocess.Popen(
            [os.environ["WSC_HUB_BIN"], "--listen", "127.0.0.1:0", "--jwt-secret", SECRET,
             "--max-conns", "1", "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()  # "wsc-hub listening on http://127.0.0.1:PORT/ ..."
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise SystemExit(f"FAIL: wsc-hub did not start: {line!r}")
        self.port = int(m.group(1))
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        stop_hub(self.proc)


def upgrade_request(port, query=""):
    return (f"GET /ws{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def raw_answer(port, query=""):
    """The hub's answer to an upgrade, read until the head and its Content-Length body."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(upgrade_request(port, query))
    data = b""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        if sep and (head.startswith(b"HTTP/1.1 101") or (m and len(body) >= int(m.group(1)))):
            return s, data
        chunk = s.recv(4096)
        if not chunk:
            return s, data
        data += chunk


def check_raw(port, query, status, code):
    s, data = raw_answer(port, query)
    s.close()
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    if not line.startswith(f"HTTP/1.1 {status} "):
        return f"status line {line!r}"
    body = json.loads(data.partition(b"\r\n\r\n")[2])
    if body.get("error") != code or not body.get("reason"):
        return f"body {body}"
    return None


def check_python(url, token, status):
    try:
        import asyncio
        import websockets
    except ImportError:
        skip("the Python `websockets` library is not installed (Debian: python3-websockets)")

    async def attempt():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with websockets.connect(url, extra_headers=headers, open_timeout=5):
                return "connected"
        except Exception as e:  # InvalidStatusCode (10.x) or InvalidStatus (11+)
            got = getattr(e, "status_code", None)
            if got is None and getattr(e, "response", None) is not None:
                got = e.response.status_code
            return got if got is not None else f"{type(e).__name__}: {e}"

    got = asyncio.run(attempt())
    return None if got == status else f"websockets saw {got!r}"


NODE_CLIENT = r"""
const WebSocket = require('ws');
const [url, token] = process.argv.slice(2);
const ws = new WebSocket(url, token ? {headers: {Authorization: 'Bearer ' + token}} : {});
ws.on('unexpected-response', (req, res) => {
  let body = '';
  res.on('data', d => body += d);
  res.on('end', () => { console.log(JSON.stringify(
      {status: res.statusCode, version: res.httpVersion, body: JSON.parse(body)})); process.exit(0); });
});
ws.on('open', () => { console.log(JSON.stringify({status: 101})); process.exit(0); });
ws.on('error', e => { console.log(JSON.stringify({error: e.message})); process.exit(0); });
"""


def node_dir():
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip("node or npm is not installed (Debian: nodejs npm)")
    d = tempfile.mkdtemp(prefix="wsc-interop-node-")
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "ws@8"], cwd=d,
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        skip(f"npm could not install ws: {r.stderr.strip()[:200]}")
    with open(os.path.join(d, "client.js"), "w") as f:
        f.write(NODE_CLIENT)
    return d


def check_node(d, url, token, status, code):
    r = subprocess.run(["node", os.path.join(d, "client.js"), url, token or ""], cwd=d,
                       capture_output=True, text=True, timeout=DEADLINE_S)
    try:
        got = json.loads(r.stdout)
    except ValueError:
        return f"node printed {r.stdout!r} {r.stderr[-300:]!r}"
    if got.get("status") != status or got.get("version") != "1.1" or \
            got.get("body", {}).get("error") != code:
        return f"ws saw {got}"
    return None


class Chromium:
    """Headless Chromium on the DevTools protocol (spoken with `websockets`)."""

    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            skip("chromium is not installed (Debian: chromium)")
        try:
            import websockets  # noqa: F401  (the DevTools protocol is spoken over it)
        except ImportError:
            skip("the Python `websockets` library is not installed (Debian: python3-websockets)")
        self.profile = tempfile.mkdtemp(prefix="wsc-interop-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + DEADLINE_S
        self.devtools = None
        while self.devtools is None and time.monotonic() < end:
            line = self.proc.stderr.readline()
            if not line:
                break
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                self.devtools = m.group(1)
        if self.devtools is None:
            self.stop()
            raise SystemExit("FAIL: chromium did not start its DevTools endpoint")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def websocket_error(self, url):
        """Opens `new WebSocket(url)` in a page; returns the console's network error text."""
        import asyncio
        import websockets

        async def run():
            async with websockets.connect(self.devtools, max_size=None) as b:
                ids = iter(range(1, 1000))

                async def call(method, params=None, session=None):
                    my = next(ids)
                    msg = {"id": my, "method": method, "params": params or {}}
                    if session:
                        msg["sessionId"] = session
                    await b.send(json.dumps(msg))
                    while True:
                        r = json.loads(await b.recv())
                        if r.get("id") == my:
                            return r.get("result", {})

                t = await call("Target.createTarget", {"url": "about:blank"})
                s = (await call("Target.attachToTarget",
                                {"targetId": t["targetId"], "flatten": True}))["sessionId"]
                await call("Log.enable", {}, s)
                await call("Runtime.evaluate", {"expression": f"new WebSocket({json.dumps(url)})"},
                           s)
                while True:
                    r = json.loads(await b.recv())
                    if r.get("method") == "Log.entryAdded" and "WebSocket" in \
                            r["params"]["entry"]["text"]:
                        return r["params"]["entry"]["text"]

        return asyncio.run(asyncio.wait_for(run(), DEADLINE_S))


def check_chromium(browser, url, token, want):
    text = browser.websocket_error(url + (f"?token={token}" if token else ""))
    return None if want in text else f"chromium said {text!r}"


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "raw"
    if which not in ("raw", "python", "node", "chromium"):
        raise SystemExit(f"usage: {sys.argv[0]} raw|python|node|chromium")
    extra = node_dir() if which == "node" else Chromium() if which == "chromium" else None
    hub = Hub()
    failures = []
    try:
        # (what is refused, token, status, error code, what Chromium reports for it)
        cases = [("no token", None, 401, "unauthorized", "HTTP Authentication failed")]
        holder, data = raw_answer(hub.port, f"?token={mint('holder')}")
        if not data.startswith(b"HTTP/1.1 101"):
            failures.append(f"the first connection was refused: {data[:60]!r}")
        cases.append(("node full", mint("u2"), 503, "unavailable",
                      "Unexpected response code: 503"))
        for what, token, status, code, chromium_text in cases:
            if which == "raw":
                why = check_raw(hub.port, f"?token={token}" if token else "", status, code)
            elif which == "python":
                why = check_python(hub.url, token, status)
            elif which == "node":
                why = check_node(extra, hub.url, token, status, code)
            else:
                why = check_chromium(extra, hub.url, token, chromium_text)
            print(f"{which}: {what}: want {status}: {'ok' if why is None else why}", flush=True)
            if why is not None:
                failures.append(f"{what}: {why}")
        holder.close()
    finally:
        hub.stop()
        if which == "node":
            shutil.rmtree(extra, ignore_errors=True)
        elif which == "chromium":
            extra.stop()
    if failures:
        print("FAIL: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
