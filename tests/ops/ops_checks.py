#!/usr/bin/env python3
"""Operations checks against the real wsc-hub (WSC_HUB_BIN), one per argument:

  text        /metrics over raw HTTP: HELP/TYPE lines for every series, histograms with
              _bucket (cumulative, le="+Inf" = _count), _sum and _count, counters that move with
              traffic driven by real WebSocket clients.
  prometheus  the real Prometheus server (Debian `prometheus`) scrapes wsc-hub every second on
              127.0.0.1; after traffic, /api/v1/query shows counters and histogram counts grown.
              docs/grafana/wsc.json is valid and names only real metrics; promtool checks
              docs/alerts/wsc-rules.yml.  Skips (77) when prometheus is not installed.
  logs        a full session (JWT tokens in query strings and headers, API keys in
              Authorization, query strings with secrets, a refused token, kick, publish, reload,
              shutdown) at log level debug: the whole log holds none of those secrets or query
              strings, and every line of stderr is a JSON object with ts, level, component and event.

Every check stops by itself (DEADLINE_S) and leaves nothing running."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hubstop import stop_hub  # noqa: E402

SECRET = "ops-jwt-secret-7f3a9c"
API_KEY = "ops-api-key-5b1e2d"
DEADLINE_S = 60
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The "op" labels of wsc_store_op_seconds (src/repository/store_metrics.c, docs/operations.md).
STORE_OPS = {
    "offline_store", "offline_fetch", "offline_remove", "offline_count", "offline_clear",
    "record_put", "record_update", "record_get", "record_remove", "online_set", "online_refresh",
    "online_remove", "online_get", "connrec_connect", "connrec_add_counters",
    "connrec_disconnect", "connrec_get", "hubstats_put", "hubstats_get", "hubstats_list",
    "hubstats_remove", "queue_push", "queue_pop", "queue_length", "workload_set", "workload_add",
    "workload_get", "workload_remove", "workload_acquire", "ping", "pending", "bus", "cluster_slots",
    "step"}


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(77)


def fail(why):
    print(f"FAIL: {why}", flush=True)
    sys.exit(1)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(user):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": user, "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """wsc-hub with JWT identity and an API key; stderr (the log) goes to log_path."""

    def __init__(self, log_path, level="info", extra=()):
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [os.environ["WSC_HUB_BIN"], "--listen", "127.0.0.1:0", "--jwt-secret", SECRET,
             "--api-key", API_KEY, "--log-level", level, "--ack-timeout-ms", "300", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # "wsc-hub listening on http://127.0.0.1:PORT/ ..."
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            fail(f"wsc-hub did not start: {line!r}")
        self.port = int(m.group(1))

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        stop_hub(self.proc)
        self.log.close()


def http(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, ""  # not listening (yet)


async def traffic(port, rounds=5):
    """alice and bob connect with tokens in the query string; alice sends bob ACK messages
    and plain ones, pings; bob ACKs what asks for it; a bad token is refused."""
    import websockets

    base = f"ws://127.0.0.1:{port}/ws"
    alice = await websockets.connect(f"{base}?token={mint('alice')}")
    bob = await websockets.connect(base, extra_headers={"Authorization": f"Bearer {mint('bob')}"})
    for ws in (alice, bob):
        json.loads(await asyncio.wait_for(ws.recv(), 5))  # connected
    for i in range(rounds):
        await alice.send(json.dumps({"message_type": "text", "receiver": "bob",
                                     "message_id": f"m-{time.time_ns()}-{i}",
                                     "content": "hello", "require_ack": True}))
        await alice.send(json.dumps({"message_type": "chat", "receiver": "bob", "content": "x"}))
        await alice.send(json.dumps({"message_type": "ping"}))
        got = 0
        while got < 2:
            f = json.loads(await asyncio.wait_for(bob.recv(), 5))
            if f.get("sender") == "alice":
                got += 1
                if f.get("require_ack"):
                    await bob.send(json.dumps({"message_type": "ack", "sender": "alice",
                                               "message_id": f["message_id"]}))
    await asyncio.sleep(0.3)
    for ws in (alice, bob):
        await ws.close()
    try:
        bad = await websockets.connect(f"{base}?token=not-a-valid-token-secret-q")
        await bad.close()
        fail("a bad token was accepted")
    except websockets.exceptions.InvalidStatusCode as e:
        if e.status_code != 401:
            fail(f"bad token answered {e.status_code}")


def parse_metrics(text):
    """{series: value} and {name: type}; fails on a sample without HELP and TYPE."""
    values, types, helps = {}, {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            types[name] = kind
        elif line:
            series, value = line.rsplit(" ", 1)
            name = series.split("{")[0]
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            family = base if types.get(base) == "histogram" else name
            if family not in types or family not in helps:
                fail(f"sample without HELP/TYPE: {line}")
            if not name.startswith("wsc_"):
                fail(f"metric name without wsc_: {name}")
            values[series] = float(value)
    return values, types


def check_histograms(values, types):
    for name, kind in types.items():
        if kind != "histogram":
            continue
        groups = {}
        for series, v in values.items():
            if series.startswith(name + "_bucket{"):
                labels = re.sub(r',?le="[^"]*"', "", series[len(name) + 8:-1])
                le = re.search(r'le="([^"]*)"', series).group(1)
                groups.setdefault(labels, []).append((float("inf") if le == "+Inf" else
                                                      float(le), v))
        for labels, buckets in groups.items():
            buckets.sort()
            counts = [c for _, c in buckets]
            if counts != sorted(counts):
                fail(f"{name}{{{labels}}} buckets are not cumulative: {counts}")
            sel = "{" + labels + "}" if labels else ""
            if values.get(f"{name}_count{sel}") != counts[-1] or f"{name}_sum{sel}" not in values:
                fail(f"{name}{sel}: +Inf bucket {counts[-1]} != _count, or no _sum")


def check_text():
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(os.path.join(tmp, "hub.log"))
        try:
            status, before = http(hub.url("/metrics"))
            if status != 200:
                fail(f"/metrics answered {status}")
            v0, types = parse_metrics(before)
            asyncio.run(asyncio.wait_for(traffic(hub.port), DEADLINE_S))
            _, after = http(hub.url("/metrics"))
            v1, types = parse_metrics(after)
            check_histograms(v1, types)
            for name in ("wsc_queue_depth", "wsc_delivery_latency_seconds", "wsc_ack_rtt_seconds",
                         "wsc_loop_lag_seconds", "wsc_store_op_seconds"):
                if types.get(name) != "histogram":
                    fail(f"{name} is not a histogram")
            grow = ['wsc_connections_opened_total{transport="ws"}', 'wsc_frames_in_total{type="text"}',
                    'wsc_frames_in_total{type="ack"}', 'wsc_frames_in_total{type="ping"}',
                    'wsc_frames_in_total{type="other"}', 'wsc_frames_out_total{type="pong"}',
                    'wsc_frames_out_total{type="connected"}', "wsc_bytes_in_total",
                    "wsc_bytes_out_total", "wsc_queue_depth_count", "wsc_delivery_latency_seconds_count",
                    "wsc_ack_rtt_seconds_count", 'wsc_ack_outcomes_total{outcome="acked"}',
                    'wsc_handshakes_refused_total{reason="unauthorized"}', "wsc_refused_total",
                    "wsc_loop_lag_seconds_count"]
            for s in grow:
                if not v1.get(s, 0) > v0.get(s, 0):
                    fail(f"{s} did not grow: {v0.get(s)} -> {v1.get(s)}")
            store_ops = {re.search(r'op="([^"]*)"', k).group(1): v for k, v in v1.items()
                         if k.startswith('wsc_store_op_seconds_count{backend="memory"')}
            if not store_ops:
                fail("no store latency series for the memory backend")
            # Labelled by op, not by the shape of the answer: the replay of each connect
            # fetches the offline inbox, and every ACK message is recorded.
            for op in ("offline_fetch", "record_put"):
                if not store_ops.get(op, 0) > 0:
                    fail(f"no wsc_store_op_seconds series for op={op}: {sorted(store_ops)}")
            unknown = set(store_ops) - STORE_OPS
            if unknown:
                fail(f"wsc_store_op_seconds has unknown op labels {sorted(unknown)}")
            print(f"text: {len(v1)} series, {sum(1 for t in types.values() if t == 'histogram')} "
                  "histograms, all moved with traffic")
        finally:
            hub.stop()


def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    status, body = http(url)
    if status != 200:
        return None
    res = json.loads(body)["data"]["result"]
    return float(res[0]["value"][1]) if res else None


def wait_for(what, pred, deadline):
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    fail(f"timed out waiting for {what}")


def check_dashboard(names):
    with open(os.path.join(ROOT, "docs", "grafana", "wsc.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    if not exprs:
        fail("the dashboard has no queries")
    for e in exprs:
        for m in re.findall(r"\bwsc_[a-z_]+", e):
            base = re.sub(r"_(bucket|sum|count)$", "", m)
            if m not in names and base not in names:
                fail(f"dashboard query names an unknown metric {m}")
    rules = os.path.join(ROOT, "docs", "alerts", "wsc-rules.yml")
    with open(rules) as f:
        for m in re.findall(r"\bwsc_[a-z_]+", f.read()):
            if m not in names and re.sub(r"_(bucket|sum|count)$", "", m) not in names:
                fail(f"alert rule names an unknown metric {m}")
    promtool = shutil.which("promtool")
    if promtool:
        r = subprocess.run([promtool, "check", "rules", rules], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"promtool check rules: {r.stdout}{r.stderr}")
        print(f"promtool: {r.stdout.strip().splitlines()[-1]}")
    else:
        print("promtool not found: alert rules not checked by promtool")
    print(f"dashboard: {len(dash['panels'])} panels, {len(exprs)} queries over real metrics")


def check_prometheus():
    prom = shutil.which("prometheus")
    if prom is None:
        skip("prometheus is not installed (Debian package `prometheus`, scripts/install-deps.sh)")
    deadline = time.time() + DEADLINE_S
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(os.path.join(tmp, "hub.log"))
        pport = free_port()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: wsc\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{hub.port}']\n")
        p = subprocess.Popen([prom, f"--config.file={tmp}/prometheus.yml",
                              f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{pport}",
                              "--log.level=warn"], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(tmp, "prom.log"), "w"))
        try:
            def up():
                if p.poll() is not None:
                    fail("prometheus exited: " + open(os.path.join(tmp, "prom.log")).read()[-800:])
                return prom_query(pport, 'up{job="wsc"}') == 1

            wait_for("the first scrape", up, deadline)
            _, text = http(hub.url("/metrics"))
            _, types = parse_metrics(text)
            check_dashboard(set(types))
            qs = {"counter": 'wsc_frames_in_total{type="text"}',
                  "bytes": "wsc_bytes_out_total",
                  "histogram": "wsc_delivery_latency_seconds_count",
                  "ack_rtt": "wsc_ack_rtt_seconds_count",
                  "opened": 'wsc_connections_opened_total{transport="ws"}'}
            before = {k: prom_query(pport, q) or 0 for k, q in qs.items()}
            asyncio.run(asyncio.wait_for(traffic(hub.port), DEADLINE_S / 2))
            # the next scrapes must show every series above where it was
            wait_for("the series to move", lambda: all(
                (prom_query(pport, q) or 0) > before[k] for k, q in qs.items()), deadline)
            rate = wait_for("a rate over the last scrapes", lambda: prom_query(
                pport, "sum(rate(wsc_frames_in_total[10s]))"), deadline)
            q99 = prom_query(pport, "histogram_quantile(0.99, "
                             "sum(rate(wsc_delivery_latency_seconds_bucket[30s])) by (le))")
            after = {k: prom_query(pport, q) for k, q in qs.items()}
            print(f"prometheus: before {before} after {after}; frames in/s {rate:.2f}; "
                  f"delivery p99 {q99}")
        finally:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            hub.stop()


def check_logs():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "hub.log")
        hub = Hub(log, level="debug")
        tokens = []
        try:
            import websockets  # noqa: F401

            alice, bob = mint("alice"), mint("bob")
            tokens += [alice, bob]
            asyncio.run(asyncio.wait_for(session(hub.port, alice, bob), DEADLINE_S))
            auth = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
            body = json.dumps({"receiver": "alice", "message": {"content": "from api"}}).encode()
            for path in ("/api/publish?token=" + alice + "&api_key=" + API_KEY,
                         "/api/publish"):
                status, _ = http(hub.url(path), "POST", body, auth)
                if status != 200:
                    fail(f"POST {path.split('?')[0]} answered {status}")
            status, _ = http(hub.url("/api/stats"), headers={"Authorization": "Bearer wrong-key-zz9"})
            if status != 401:
                fail(f"a wrong API key answered {status}")
            http(hub.url("/api/users/bob/kick"), "POST", b"{}", auth)
            hub.proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
        finally:
            hub.stop()
        text = open(log).read()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        secrets = tokens + [SECRET, API_KEY, "wrong-key-zz9", "not-a-valid-token-secret-q",
                            "token=", "api_key=", "secret-in-query-qq7"]
        for s in secrets:
            for part in {s} | set(s.split(".")) - {""}:
                if len(part) >= 8 and part in text:
                    fail(f"the log holds a secret or query string: {part[:20]}...")
        for ln in lines:
            try:
                obj = json.loads(ln)
            except ValueError:
                fail(f"a log line is not JSON: {ln[:120]}")
            for key in ("ts", "level", "component", "event"):
                if key not in obj:
                    fail(f"log line without {key}: {ln[:120]}")
        events = {json.loads(ln)["event"] for ln in lines}
        for e in ("conn_open", "conn_close", "upgrade_refused", "config_reloaded"):
            if e not in events:
                fail(f"the session's log has no {e} line: the check saw too little ({events})")
        print(f"logs: {len(lines)} JSON lines, events {sorted(events)}, no secret in them")


async def session(port, alice_tok, bob_tok):
    import websockets

    base = f"ws://127.0.0.1:{port}/ws"
    a = await websockets.connect(f"{base}?token={alice_tok}&note=secret-in-query-qq7")
    b = await websockets.connect(base, extra_headers={"Authorization": f"Bearer {bob_tok}"})
    for ws in (a, b):
        await asyncio.wait_for(ws.recv(), 5)
    await a.send(json.dumps({"receiver": "bob", "content": "hi", "require_ack": True,
                             "message_id": "log-m1"}))
    await a.send("{not json")
    f = json.loads(await asyncio.wait_for(b.recv(), 5))
    await b.send(json.dumps({"message_type": "ack", "sender": "alice",
                             "message_id": f["message_id"]}))
    await asyncio.sleep(0.3)
    for ws in (a, b):
        await ws.close()
    for bad in ("not-a-valid-token-secret-q", bob_tok[:-4] + "AAAA"):
        try:
            ws = await websockets.connect(f"{base}?token={bad}")
            await ws.close()
        except websockets.exceptions.InvalidStatusCode:
            pass


def main():
    if "WSC_HUB_BIN" not in os.environ:
        fail("WSC_HUB_BIN is not set")
    try:
        import websockets  # noqa: F401
    except ImportError:
        skip("python3-websockets is not installed")
    checks = {"text": check_text, "prometheus": check_prometheus, "logs": check_logs}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        fail(f"usage: {sys.argv[0]} {'|'.join(checks)}")
    checks[sys.argv[1]]()


if __name__ == "__main__":
    main()
