#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rewrites docs/benchmarks.md from the JSON lines of one bench/run.sh run, with gnuplot PNG
plots in docs/img/.  Usage: report.py RESULTS.jsonl docs/benchmarks.md docs/img"""
import json
import os
import platform
import subprocess
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return rows


def pick(rows, scenario, server=None, **kw):
    for r in rows:
        if r.get('scenario') != scenario or (server and r.get('server') != server):
            continue
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:
        return ''


def machine():
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    lws = sh("pkg-config --modversion libwebsockets")
    node = sh("node --version")
    ws = sh("node -p \"require('./bench/node_modules/ws/package.json').version\"")
    return (f"{cpu}, {os.cpu_count()} cores, {mem}; Linux {platform.release()}; "
            f"libwebsockets {lws}; Node.js {node}, ws {ws}")


def fmt(v, unit=''):
    if v is None:
        return 'n/a'
    if isinstance(v, float) and v < 100:
        return f'{v:.2f}{unit}'
    return f'{int(round(v)):,}{unit}'


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def fr(x):
    return 'n/a' if x is None else f'{x:.2f}x'


def val(r, key):
    return None if r is None else r.get(key)


def plot(imgdir, name, title, ylabel, labels, series, logscale=False):
    """series: list of (name, [values per label])"""
    data = os.path.join(imgdir, name + '.dat')
    with open(data, 'w') as f:
        f.write('label ' + ' '.join('"%s"' % s for s, _ in series) + '\n')
        for i, lab in enumerate(labels):
            f.write('"%s" ' % lab + ' '.join(str(v[i] if v[i] is not None else 0)
                                               for _, v in series) + '\n')
    cols = ', '.join("'%s' using %d:xtic(1) title columnheader(%d)" % (data, i + 2, i + 2)
                     for i in range(len(series)))
    script = f"""set terminal pngcairo size 760,360 font 'sans,10'
set output '{os.path.join(imgdir, name + '.png')}'
set title '{title}'
set ylabel '{ylabel}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
set yrange [0:*]
{'set logscale y; set yrange [1:*]' if logscale else ''}
plot {cols}
"""
    subprocess.run(['gnuplot'], input=script, text=True, check=False)
    os.unlink(data)


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def publish_section(rows, res):
    """The issue-12 rows (bench/run.sh's publishers from outside): medians over the repeats,
    the targets, and the per-run figures.  Returns markdown lines (none without rows)."""
    if not rows:
        return []
    P = ['wsc-hub', 'lws', 'ws', 'uws']

    def med(scenario, server, key, publisher='ws', **kw):
        return median([r.get(key) for r in rows if r.get('scenario') == scenario and
                       r.get('server') == server and r.get('publisher') == publisher and
                       all(r.get(k) == v for k, v in kw.items())])

    reps = max((r.get('repeat', 1) for r in rows), default=1)
    conns = next((r.get('conns') for r in rows if r.get('scenario') == 'broadcast'), 0)
    L = ['## Publishers from outside (issue 12)', '',
         f'Generated from `{os.path.relpath(res)}`. The publisher is a separate process, as users '
         'run it: a WebSocket client of the server that sends 50 broadcast frames back to back in '
         'one write (wsc-hub: user `pub`, allowed by `--broadcast-users`; the baselines forward '
         'what the connection with `user_id=pub` sends to every other connection: plain lws one '
         '`lws_write` per message, Node `ws` `send`, uWebSockets `publish` to a topic every '
         'receiver subscribed to), or a backend on wsc-hub\'s HTTP API (`POST /api/publish`, '
         'PROTOCOL.md §7): **http-batch** sends the 50 in one request (`"messages":[…]`), '
         '**http-keepalive** sends 50 requests one at a time on one keep-alive connection. '
         f'{conns:,} receivers; figures are the median of {reps} runs, servers alternating; '
         'each broadcast run counts duplicates and losses (all 0 unless said). **wsc-hub** is '
         'the ready-made server (examples/), not bench_hub.', '']
    up = [r for r in rows if r.get('scenario') == 'meta' and r.get('uws_commit')]
    rows = [r for r in rows if r.get('scenario') != 'meta']
    T = []

    def target(name, measured, goal, ok):
        T.append(f'| {name} | {measured} | {goal} | {"yes" if ok else "**no**"} |')

    for size in (64, 1024):
        w = med('broadcast', 'wsc-hub', 'deliveries_per_s', size=size)
        for base, goal in (('lws', 10), ('uws', 5)):
            x = ratio(w, med('broadcast', base, 'deliveries_per_s', size=size))
            target(f'flat-out broadcast {size} B, WebSocket publisher, deliveries/s vs {base}',
                   fr(x), f'>= {goal}x', x is not None and x >= goal)
    w, u = med('paced', 'wsc-hub', 'lat_us_p99'), med('paced', 'uws', 'lat_us_p99')
    x = ratio(w, u)
    target('paced 10/s, WebSocket publisher, p99 vs uws', fr(x), '<= 1.0x',
           x is not None and x <= 1.0)
    x = ratio(med('paced', 'wsc-hub', 'cpu_us_per_delivery'),
              med('paced', 'uws', 'cpu_us_per_delivery'))
    target('paced 10/s, WebSocket publisher, server CPU per delivery vs uws', fr(x), '<= 1.1x',
           x is not None and x <= 1.1)
    L += ['| target | measured | goal | met |', '|---|---|---|---|'] + T + ['']
    L += ['| scenario | metric | wsc-hub | lws | ws | uws | wsc-hub/lws | wsc-hub/uws |',
          '|---|---|---|---|---|---|---|---|']
    for title, sc, keys, kw in (
            ('broadcast 50 x 64 B, WebSocket publisher', 'broadcast',
             ('deliveries_per_s', 'lat_us_p99', 'cpu_us_per_delivery'), {'size': 64}),
            ('broadcast 50 x 1024 B, WebSocket publisher', 'broadcast',
             ('deliveries_per_s', 'lat_us_p99', 'cpu_us_per_delivery'), {'size': 1024}),
            ('paced 10 msgs/s, WebSocket publisher', 'paced',
             ('lat_us_p50', 'lat_us_p99', 'cpu_us_per_delivery'), {})):
        for k in keys:
            v = [med(sc, s, k, **kw) for s in P]
            L.append(f'| {title} | {k} | ' + ' | '.join(fmt(x) for x in v) +
                     f' | {fr(ratio(v[0], v[1]))} | {fr(ratio(v[0], v[3]))} |')
    for mode in ('batch', 'keepalive'):
        for k in ('deliveries_per_s', 'lat_us_p99', 'cpu_us_per_delivery'):
            v = med('broadcast', 'wsc-hub', k, publisher='http-' + mode, size=64)
            L.append(f'| broadcast 50 x 64 B, http-{mode} | {k} | {fmt(v)} | | | | | |')
    L.append('')
    bad = [r for r in rows if r.get('scenario') == 'broadcast' and
           (r.get('dup_loss_ok') is False or r.get('complete') is False)]
    L.append(f'Runs with a duplicate, a loss or an incomplete round: {len(bad)}.')
    if up:
        L.append(f"uWebSockets {up[0]['uws_commit'][:12]}, uSockets "
                 f"{up[0].get('usockets_commit', '?')[:12]} (bench/build_uws.sh).")
    L.append('')
    L += ['| scenario | server | publisher | repeat | deliveries/s | p99 us | CPU us/delivery |',
          '|---|---|---|---|---|---|---|']
    for r in rows:
        L.append(f"| {r.get('scenario')} {r.get('size', '')} B | {r.get('server')} | "
                 f"{r.get('publisher')} | {r.get('repeat')} | {fmt(r.get('deliveries_per_s'))} | "
                 f"{fmt(r.get('lat_us_p99'))} | {fmt(r.get('cpu_us_per_delivery'))} |")
    L.append('')
    return L


def main():
    res, out, imgdir = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = load(res)
    pub_res = res[:-len('.jsonl')] + '-publish.jsonl' if res.endswith('.jsonl') else res
    pub_rows = load(pub_res) if os.path.exists(pub_res) and pub_res != res else []
    os.makedirs(imgdir, exist_ok=True)
    S = ['wsc', 'lws', 'ws']
    L = []  # markdown lines
    L.append('# Benchmarks')
    L.append('')
    L.append('Generated by `bench/run.sh` from `%s`; do not edit by hand (the analysis at the end '
             'comes from `bench/analysis.md`).' % os.path.relpath(res))
    L.append('')
    L.append('- Machine: ' + machine())
    L.append('- Everything on one machine over loopback (127.0.0.0/8): server and load generator '
             'share the 2 cores, so every figure is a ratio from one run, not an absolute capacity.')
    L.append('- Servers: **wsc** = `bench/bench_hub` (the library, default config except the '
             'limits), **lws** = `bench/baseline_lws` (plain lws 4.1 in the minimal-example style: one '
             '`lws_write` per WRITEABLE), **ws** = `bench/baseline_ws.js` (Node.js, `ws` 8, no '
             'compression). wsc frames carry the JSON envelope of PROTOCOL.md (about 140 bytes '
             'more than the content); the baselines send the bare content.')
    L.append('')
    L.append('Reproduce: `bench/run.sh` (builds Release, installs nodejs/npm/gnuplot/strace if '
             'missing, `npm install ws@8` into `bench/node_modules`, runs the matrix below, rewrites '
             'this page). The idle scenario alone: `bench/run_idle.sh`. Each line of the results '
             'file is one `wsc-loadgen` run against a freshly started server; the commands are in '
             '`bench/run.sh`.')
    L.append('')

    # --- targets
    idle19 = [r for r in rows if r.get('scenario') == 'idle' and r.get('server') == 'wsc']
    idle_best = min((r for r in idle19 if r.get('conns', 0) >= 18000),
                    key=lambda r: r.get('bytes_per_conn', 1e9), default=None)
    idle_default = next((r for r in idle19 if r.get('conns', 0) >= 18000 and
                         r.get('rx_buffer') == 128 and not r.get('note')), None)
    T = []

    def target(name, measured, goal, ok, note=''):
        T.append((name, measured, goal, ok, note))

    if idle_default:
        bpc = idle_default['bytes_per_conn']
        target('idle, 19,000 conns, rx 128 (default)', f'{bpc:,} B/conn', '<= 1,600 B',
               bpc <= 1600)
    if idle_best:
        bpc = idle_best['bytes_per_conn']
        target('idle, 19,000 conns, best config', f"{bpc:,} B/conn (rx {idle_best.get('rx_buffer')}"
               f"{', ' + idle_best['note'] if idle_best.get('note') else ''})", '<= 1,600 B',
               bpc <= 1600)
    for size in (64, 1024):
        w = pick(rows, 'broadcast', 'wsc', size=size)
        for base in ('lws', 'ws'):
            b = pick(rows, 'broadcast', base, size=size)
            x = ratio(val(w, 'deliveries_per_s'), val(b, 'deliveries_per_s'))
            target(f'flat-out broadcast {size} B, deliveries/s vs {base} (in-process trigger, '
                   'see below)', fr(x), '>= 10x', x is not None and x >= 10)
    w, b = pick(rows, 'paced', 'wsc'), pick(rows, 'paced', 'lws')
    x = ratio(val(w, 'lat_us_p99'), val(b, 'lat_us_p99'))
    target('paced broadcast, p99 latency vs lws', fr(x), '<= 1.1x', x is not None and x <= 1.1)
    x = ratio(val(w, 'cpu_us_per_delivery'), val(b, 'cpu_us_per_delivery'))
    target('paced broadcast, server CPU per delivery vs lws', fr(x), '<= 1.1x',
           x is not None and x <= 1.1)
    w, b = pick(rows, 'echo', 'wsc'), pick(rows, 'echo', 'lws')
    x = ratio(val(w, 'round_trips_per_s'), val(b, 'round_trips_per_s'))
    target('echo through p2p routing, round trips/s vs lws echo', fr(x), '>= 0.9x',
           x is not None and x >= 0.9)
    p = pick(rows, 'p2p', 'wsc')
    if p:
        target(f"p2p {p['conns']:,} conns at {p['target_rate']:,} msgs/s, p99",
               f"{p['lat_us_p99']:,} us", '<= 1,000 us', p['lat_us_p99'] <= 1000)
    w, b = pick(rows, 'connect', 'wsc'), pick(rows, 'connect', 'lws')
    x = ratio(val(w, 'handshakes_per_s'), val(b, 'handshakes_per_s'))
    target('accept handshakes/s vs lws', fr(x), '>= 1.0x', x is not None and x >= 1.0)
    for op, goal in (('enqueue', 100), ('register', 1000)):
        m = next((r for r in rows if r.get('scenario') == 'micro' and r.get('op') == op), None)
        if m:
            target(f'{op} (micro)', f"{m['ns_per_op']:.0f} ns/op", f'<= {goal:,} ns',
                   m['ns_per_op'] <= goal)
    xt = next((r for r in rows if r.get('scenario') == 'micro' and r.get('op') == 'xthread'),
              None)
    if xt:  # issue 12: sends from other threads, one wake-up per batch
        target(f"cross-thread sends, {xt['threads']} threads (micro)",
               f"{xt['msgs_per_s']:,.0f} msgs/s ({xt['posts_per_wake']:,.0f} posts per wake-up)",
               '>= 5,000,000 msgs/s', xt['msgs_per_s'] >= 5e6)
    bu = pick(rows, 'burst', 'wsc')
    if bu:
        target('burst of 100 messages to one user', f"{bu['writes']} writes", '<= 10 writes',
               0 <= bu['writes'] <= 10)
    L += publish_section(pub_rows, pub_res)
    L.append('## Targets (issue 6)')
    L.append('')
    L.append('| target | measured | goal | met |')
    L.append('|---|---|---|---|')
    for name, m, g, ok, _ in T:
        L.append(f'| {name} | {m} | {g} | {"yes" if ok else "**no**"} |')
    L.append('')

    # --- comparison table
    L.append('## wsc beside plain lws and Node `ws`')
    L.append('')
    L.append('| scenario | metric | wsc | lws | ws | wsc/lws | wsc/ws |')
    L.append('|---|---|---|---|---|---|---|')

    def row(title, scenario, key, unit='', **kw):
        v = [val(pick(rows, scenario, s, **kw), key) for s in S]
        L.append(f'| {title} | {key} | ' + ' | '.join(fmt(x, unit) for x in v) +
                 f' | {fr(ratio(v[0], v[1]))} | {fr(ratio(v[0], v[2]))} |')
        return v

    n_idle = idle_default['conns'] if idle_default else 0
    v_idle = [val(idle_default, 'bytes_per_conn')] + \
        [val(next((r for r in rows if r.get('scenario') == 'idle' and r.get('server') == s
                   and r.get('conns', 0) >= 18000), None), 'bytes_per_conn') for s in S[1:]]
    L.append(f'| idle, {n_idle:,} conns | bytes_per_conn (RSS) | ' +
             ' | '.join(fmt(x) for x in v_idle) +
             f' | {fr(ratio(v_idle[0], v_idle[1]))} | {fr(ratio(v_idle[0], v_idle[2]))} |')
    bc = {}
    for size in (64, 1024):
        t = f'broadcast 50 msgs x {size} B (in-process trigger)'
        bc[size] = row(t, 'broadcast', 'deliveries_per_s', size=size)
        row(t, 'broadcast', 'lat_us_p99', size=size)
        row(t, 'broadcast', 'cpu_us_per_delivery', size=size)
    pl = [row('paced 10 msgs/s', 'paced', k) for k in
          ('lat_us_p50', 'lat_us_p99', 'lat_us_max', 'cpu_us_per_delivery')]
    row('echo (wsc: p2p routing)', 'echo', 'round_trips_per_s')
    row('echo (wsc: p2p routing)', 'echo', 'lat_us_p99')
    row('echo (wsc: p2p routing)', 'echo', 'cpu_us_per_msg')
    row('connect', 'connect', 'handshakes_per_s')
    row('burst 100 x 64 B to one user', 'burst', 'writes')
    L.append('')
    conns = val(pick(rows, 'broadcast', 'wsc'), 'conns')
    L.append('**The flat-out broadcast figures are not what a user gets.** Each server is told by '
             'one HTTP request (`POST /bench/broadcast?n=50`) to send 50 messages, and wsc then '
             'calls `wsc_hub_broadcast` 50 times in one loop turn: the publisher is inside the '
             'server process. Users publish from outside (a WebSocket client, a backend over the '
             'HTTP API): those figures are in "Publishers from outside" above. Read these rows as '
             'a micro-benchmark of the fan-out path alone.')
    L.append('')
    L.append(f'Broadcast and paced: {conns} receivers. Latency is from the send timestamp the '
             'server puts in the content (CLOCK_MONOTONIC) to the moment the load generator parses '
             'the frame. CPU is the server process utime+stime from /proc over the scenario '
             '(10 ms ticks).')
    L.append('')
    plot(imgdir, 'broadcast', 'Flat-out broadcast: deliveries/s (log scale)', 'deliveries/s',
         ['64 B', '1 KB'], [(s, [bc[64][i], bc[1024][i]]) for i, s in enumerate(S)], True)
    plot(imgdir, 'paced', 'Paced broadcast (10 msgs/s): latency', 'microseconds',
         ['p50', 'p99', 'max'], [(s, [pl[0][i], pl[1][i], pl[2][i]]) for i, s in enumerate(S)])
    plot(imgdir, 'idle', 'Idle connections: server RSS per connection', 'bytes',
         ['idle'], [(s, [v_idle[i]]) for i, s in enumerate(S)])
    rel = os.path.relpath(imgdir, os.path.dirname(out))
    for name in ('broadcast', 'paced', 'idle'):
        L.append(f'![{name}]({rel}/{name}.png)')
    L.append('')

    # --- loop backends (bench/run_loops.sh)
    if pick(rows, 'p2p', 'wsc-poll') or pick(rows, 'p2p', 'wsc-epoll'):
        L.append('## wsc on both loop backends')
        L.append('')
        L.append('`bench_hub --loop poll|epoll` (docs/architecture.md, "Which loop").')
        L.append('')
        L.append('| scenario | metric | poll | epoll | epoll/poll |')
        L.append('|---|---|---|---|---|')
        for title, sc, keys in (
                ('p2p 20,000 msgs/s', 'p2p', ('lat_us_p50', 'lat_us_p99', 'cpu_us_per_msg')),
                ('paced 10 msgs/s', 'paced', ('lat_us_p99', 'cpu_us_per_delivery')),
                ('broadcast 50 x 64 B', 'broadcast', ('deliveries_per_s', 'cpu_us_per_delivery')),
                ('echo', 'echo', ('round_trips_per_s', 'cpu_us_per_msg')),
                ('idle', 'idle', ('bytes_per_conn',))):
            for k in keys:
                v = [val(pick(rows, sc, s), k) for s in ('wsc-poll', 'wsc-epoll')]
                L.append(f'| {title} | {k} | {fmt(v[0])} | {fmt(v[1])} | '
                         f'{fr(ratio(v[1], v[0]))} |')
        L.append('')

    # --- plain lws on both loops: what lws's libev plugin costs lws itself (issue 12)
    if pick(rows, 'idle', 'lws-libev') or pick(rows, 'echo', 'lws-libev'):
        L.append('## Plain lws on both loops')
        L.append('')
        L.append('`baseline_lws` on lws\'s own poll() loop and with `--evlib ev` (lws on libev, '
                 'epoll: the loop wsc runs on by default). Idle with rx 128 and 8 handshakes in '
                 'flight per load-generator process on both.')
        L.append('')
        L.append('| scenario | metric | lws poll | lws libev | libev/poll |')
        L.append('|---|---|---|---|---|')
        for title, sc, keys, kw in (
                ('idle', 'idle', ('bytes_per_conn',), {'rx_buffer': 128}),
                ('echo', 'echo', ('round_trips_per_s', 'cpu_us_per_msg'), {}),
                ('p2p (open-loop echo)', 'p2p', ('lat_us_p99', 'cpu_us_per_msg'), {})):
            for k in keys:
                v = [val(pick(rows, sc, s, **kw), k) for s in ('lws', 'lws-libev')]
                L.append(f'| {title} | {k} | {fmt(v[0])} | {fmt(v[1])} | '
                         f'{fr(ratio(v[1], v[0]))} |')
        L.append('')

    # --- wsc only
    L.append('## Every idle, p2p, ack and micro line of the run')
    L.append('')
    L.append('| scenario | server | figures |')
    L.append('|---|---|---|')
    skip = {'scenario', 'server'}
    for r in rows:
        if r.get('scenario') in ('idle', 'p2p', 'ack', 'micro'):
            figs = ', '.join(f'{k}={v}' for k, v in r.items() if k not in skip and
                             not isinstance(v, dict))
            st = r.get('server_stats')
            if st:
                figs += ', heap_in_use_kb=%s, heap_free_kb=%s' % (st.get('heap_in_use_kb'),
                                                                  st.get('heap_free_kb'))
            L.append(f"| {r['scenario']} | {r.get('server', 'wsc')} | {figs} |")
    L.append('')
    an = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'analysis.md')
    if os.path.exists(an):
        with open(an) as f:
            L.append(f.read().rstrip())
        L.append('')
    with open(out, 'w') as f:
        f.write('\n'.join(L))


if __name__ == '__main__':
    main()
