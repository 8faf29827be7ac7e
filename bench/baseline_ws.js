// SPDX-License-Identifier: MIT
// baseline_ws: a Node.js broadcast/echo server on the `ws` package (v8), the second baseline
// of docs/benchmarks.md.  Same control endpoint as bench_hub:
//   POST /bench/broadcast?n=50&size=64   POST /bench/burst?n=100&size=64   GET /bench/stats
// Text frames from clients are echoed back, except those of the publisher (the connection whose
// query says user_id=pub): each of its messages goes to every other connection.  Stops after
// --timeout seconds.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const port = opt('--port', 8080);
const timeoutS = opt('--timeout', 600);

function stamped(size) {
  const head = '@' + process.hrtime.bigint().toString().padStart(20, '0') + '@';
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const n = Number(url.searchParams.get('n') ?? 1);
  const size = Math.min(65000, Math.max(22, Number(url.searchParams.get('size') ?? 64)));
  let queued = 0;
  if (url.pathname === '/bench/broadcast') {
    for (let i = 0; i < n; i++) {
      const buf = stamped(size); // one buffer shared by every receiver
      for (const c of wss.clients) {
        c.send(buf, { binary: false });
        queued++;
      }
    }
  } else if (url.pathname === '/bench/burst') {
    const first = wss.clients.values().next().value; // the oldest connection
    for (let i = 0; first && i < n; i++) {
      first.send(stamped(size), { binary: false });
      queued++;
    }
  } else if (url.pathname !== '/bench/stats') {
    res.writeHead(404).end('{"error":"not_found"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(url.pathname === '/bench/stats' ? JSON.stringify({ connections: wss.clients.size })
    : JSON.stringify({ queued }));
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  if (new URL(req.url, 'http://x').searchParams.get('user_id') === 'pub') {
    ws.on('message', (data, isBinary) => {
      for (const c of wss.clients) if (c !== ws) c.send(data, { binary: isBinary });
    });
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
  ws.on('error', () => {});
});

server.listen(port, '0.0.0.0', () => {
  console.log(JSON.stringify({ baseline_ws: 'listening', port }));
});
setTimeout(() => process.exit(0), timeoutS * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
