#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarises bench/run_cluster.sh's results (one wsc-loadgen JSON line per run): the median of
each row over its repeats, the targets of issue 11, met or missed.  Prints the summary as JSON
lines on stdout; with a docs path other than "-", rewrites the part of that file between the
markers <!-- figures:begin --> and <!-- figures:end -->, and prints the table on stderr either
way.  Usage: cluster_report.py RESULTS.jsonl DOCS.md|- COMMAND"""
import json
import platform
import re
import statistics
import subprocess
import sys

ROWS = [("cluster3", "3 nodes, one Redis"), ("node1", "1 node, same Redis"),
        ("single", "1 node, no Redis")]
P99_GOAL_US, RATIO_GOAL = 2000, 0.8


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{") and '"scenario"' in line:
                runs.append(json.loads(line))
    return runs


def median(runs, server, scenario, key):
    vals = [r[key] for r in runs if r["server"] == server and r["scenario"] == scenario
            and key in r]
    return statistics.median(vals) if vals else None


def total(runs, key):
    return sum(r.get(key, 0) for r in runs)


def machine():
    cpu = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    try:
        redis = subprocess.run(["redis-server", "--version"], capture_output=True,
                               text=True).stdout.split()[2].removeprefix("v=")
    except (OSError, IndexError):
        redis = "?"
    import os
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.1f} GiB; Linux {platform.release()}; "
            f"Redis {redis}")


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10:
        return f"{v:.2f}{unit}"
    return f"{v:,.0f}{unit}"


def verdict(ok, text):
    return ("met" if ok else "**missed**") + f" ({text})"


def summarise(runs):
    s = {"summary": "cluster", "runs": len(runs)}
    for server, _ in ROWS:
        for key in ("lat_us_p50", "lat_us_p99", "msgs_per_s"):
            s[f"p2p_{key}_{server}"] = median(runs, server, "p2p", key)
        for key in ("deliveries_per_s", "lat_us_p99"):
            s[f"broadcast_{key}_{server}"] = median(runs, server, "broadcast", key)
    for key in ("duplicates", "losses", "foreign"):
        s[key] = total(runs, key)
    s["runs_failed_check"] = sum(1 for r in runs if r.get("dup_loss_ok") is False)
    b3, b1 = s["broadcast_deliveries_per_s_cluster3"], s["broadcast_deliveries_per_s_node1"]
    s["broadcast_ratio_3_to_1"] = round(b3 / b1, 3) if b3 and b1 else None
    p99 = s["p2p_lat_us_p99_cluster3"]
    s["target_p99_met"] = p99 is not None and p99 <= P99_GOAL_US
    s["target_ratio_met"] = s["broadcast_ratio_3_to_1"] is not None and \
        s["broadcast_ratio_3_to_1"] >= RATIO_GOAL
    s["target_dup_loss_met"] = s["duplicates"] == 0 and s["losses"] == 0 and \
        s["foreign"] == 0 and s["runs_failed_check"] == 0
    return s


def table(runs, s, command):
    reps = max((r.get("repeat", 1) for r in runs), default=0)
    p2p = next((r for r in runs if r["scenario"] == "p2p"), {})
    bc = next((r for r in runs if r["scenario"] == "broadcast"), {})
    out = [f"- Machine: {machine()}. Everything on this one machine over loopback: the nodes, "
           "Redis and the load generator share the cores.",
           f"- Command: `{command}` (writes `bench/results/cluster.jsonl`, one line per run; "
           f"median of {reps} runs per cell).",
           f"- p2p: {p2p.get('conns', '?')} connections, connection i on node i % nodes, each "
           f"sending 64 B to the user of connection i ^ 1 (with 3 nodes always on another node) at "
           f"{p2p.get('target_rate', '?')} msgs/s in all for {p2p.get('duration_s', '?')} s. "
           f"Broadcast: {bc.get('conns', '?')} receivers spread the same way; a WebSocket client on "
           f"node 0 sends {bc.get('messages', '?')} frames of 64 B with `\"broadcast_type\":\"global\"` "
           f"back to back, {bc.get('rounds', '?')} rounds per run.",
           "",
           "| figure | " + " | ".join(label for _, label in ROWS) + " |",
           "|---" * (len(ROWS) + 1) + "|"]
    cells = [("p2p latency p50 (µs)", "p2p_lat_us_p50"), ("p2p latency p99 (µs)", "p2p_lat_us_p99"),
             ("p2p delivered (msgs/s)", "p2p_msgs_per_s"),
             ("broadcast deliveries/s", "broadcast_deliveries_per_s"),
             ("broadcast latency p99 (µs)", "broadcast_lat_us_p99")]
    for title, key in cells:
        out.append(f"| {title} | " + " | ".join(fmt(s[f"{key}_{server}"]) for server, _ in ROWS)
                   + " |")
    dl = {server: (sum(r.get("duplicates", 0) for r in runs if r["server"] == server),
                   sum(r.get("losses", 0) for r in runs if r["server"] == server))
          for server, _ in ROWS}
    out.append("| duplicates / losses (all runs) | " +
               " | ".join(f"{d} / {lo}" for d, lo in dl.values()) + " |")
    p99, ratio = s["p2p_lat_us_p99_cluster3"], s["broadcast_ratio_3_to_1"]
    out += ["", "| target (issue 11) | measured | goal | |", "|---|---|---|---|",
            f"| cross-node p2p p99 at {p2p.get('target_rate', '?')} msgs/s | {fmt(p99)} µs | "
            f"≤ {P99_GOAL_US:,} µs | " + verdict(s["target_p99_met"], (
                f"{p99 / P99_GOAL_US:.2f}× the goal" if p99 else "no figure")) + " |",
            f"| broadcast deliveries/s, 3 nodes / 1 node | {fmt(ratio)}× | ≥ {RATIO_GOAL}× | " +
            verdict(s["target_ratio_met"], (f"{ratio / RATIO_GOAL:.2f}× the goal" if ratio
                                             else "no figure")) + " |",
            f"| duplicates / losses counted by the generator | {s['duplicates']} / "
            f"{s['losses']} ({s['foreign']} foreign) | 0 / 0 | " +
            verdict(s["target_dup_loss_met"], f"{s['runs']} runs") + " |"]
    return "\n".join(out) + "\n"


def main():
    runs = load(sys.argv[1])
    s = summarise([r for r in runs])
    print(json.dumps(s))
    md = table(runs, s, sys.argv[3] if len(sys.argv) > 3 else "bench/run_cluster.sh")
    sys.stderr.write(md)
    if sys.argv[2] != "-":
        with open(sys.argv[2]) as f:
            doc = f.read()
        begin, end = "<!-- figures:begin -->\n", "<!-- figures:end -->"
        a, b = doc.index(begin) + len(begin), doc.index(end)
        with open(sys.argv[2], "w") as f:
            f.write(doc[:a] + md + doc[b:])


if __name__ == "__main__":
    main()
