// End-to-end tests of the demo page (built on WscClient) in headless Chromium against the real
// wsc-hub: two pages chat (direct and group), a page survives a hub restart and delivers what was
// typed meanwhile, offline messages arrive after reconnect and auto-ACK leaves nothing to replay,
// a kicked page does not reconnect.
//
//   WSC_HUB_BIN=build/dev/examples/wsc-hub CHROMIUM=/usr/bin/chromium node e2e/run.mjs
// Exit 0: passed; 1: failed; 77: Chromium is not installed (the message says so).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const hubBin = process.env.WSC_HUB_BIN ?? join(root, "build/dev/examples/wsc-hub");
const onPath = (name) => (process.env.PATH ?? "").split(":").map((d) => join(d, name));
const browserBin = [process.env.CHROMIUM, ...onPath("chromium"), ...onPath("chromium-browser")].find(
  (p) => p && existsSync(p),
);
if (!browserBin) {
  console.log("SKIP: Chromium is not installed (Debian: apt-get install chromium; or set CHROMIUM)");
  process.exit(77);
}
if (!existsSync(hubBin)) {
  console.error(`FAIL: no wsc-hub at ${hubBin} (build it, or set WSC_HUB_BIN)`);
  process.exit(1);
}

const WAIT = 30000; /* generous: the machine running the suite may be busy */

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

class Hub {
  constructor(port) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
  }
  async start() {
    for (let i = 0; i < 50; i++) {
      this.proc = spawn(
        hubBin,
        ["--listen", `127.0.0.1:${this.port}`, "--ws-path", "/chat/ws", "--insecure-user-id", "--insecure-api", "--log-level", "error"],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const line = await new Promise((ok) => {
        let out = "";
        this.proc.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) ok(out);
        });
        this.proc.on("exit", () => ok(out));
      });
      if (line.includes("listening")) return;
      await sleep(100); /* the port may still be held right after a kill */
    }
    throw new Error("wsc-hub did not start");
  }
  async kill(signal = "SIGKILL") {
    const gone = new Promise((ok) => this.proc.once("exit", ok));
    this.proc.kill(signal);
    await gone;
  }
  async api(method, path, body) {
    const res = await fetch(this.base + "/api" + path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  }
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until the hub counts no connection of user. */
async function offline(hub, user) {
  for (let i = 0; (await hub.api("GET", `/users/${user}`)).body.online; i++) {
    if (i > 200) throw new Error(`${user} stays online`);
    await sleep(50);
  }
}

async function openPage(browser, hub, user, query = "", viewport) {
  const ctx = await browser.newContext(viewport ? { viewport } : {});
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`[${user}] page error: ${e.message}`));
  await page.goto(`${hub.base}/?user=${user}${query}`);
  await page.waitForSelector("#state[data-state=open]", { timeout: WAIT });
  return page;
}

async function type(page, text) {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

function bubble(page, who, text) {
  return page.locator(`.msg.${who}`).filter({ has: page.locator(".text", { hasText: text }) });
}

async function waitStatus(page, text, statuses) {
  const b = bubble(page, "mine", text);
  await b.waitFor({ timeout: WAIT });
  const sel = statuses.map((s) => `[data-status=${s}]`).join(",");
  await page.waitForFunction(
    ([t, s]) => [...document.querySelectorAll(".msg.mine")].some((m) => m.matches(s) && m.textContent.includes(t)),
    [text, sel],
    { timeout: WAIT },
  );
  return b.getAttribute("data-status");
}

const tests = {
  async "two pages chat: direct messages, presence, a group, 390 px wide"(browser, hub) {
    const alice = await openPage(browser, hub, "alice", "&to=bob", { width: 390, height: 844 });
    const bob = await openPage(browser, hub, "bob", "&to=alice");
    await alice.waitForSelector("#people li[data-user=bob][data-online=true]", { timeout: WAIT });
    await bob.waitForSelector("#people li[data-user=alice][data-online=true]", { timeout: WAIT });
    await type(alice, "hello bob");
    await bubble(bob, "theirs", "hello bob").waitFor({ timeout: WAIT });
    const sender = await bubble(bob, "theirs", "hello bob").locator(".sender").textContent();
    if (sender !== "alice") throw new Error(`sender shown as ${sender}`);
    if ((await waitStatus(alice, "hello bob", ["delivered"])) !== "delivered") throw new Error("no receipt");
    await type(bob, "hi alice");
    await bubble(alice, "theirs", "hi alice").waitFor({ timeout: WAIT });
    for (const p of [alice, bob]) {
      await p.fill("#group-name", "team");
      await p.click("#group-join");
      await p.waitForSelector("#groups li[data-group=team]");
    }
    await bob.click("#people li[data-user=alice] button"); /* away from the group: it gets a badge */
    await type(alice, "hello team");
    await waitStatus(alice, "hello team", ["delivered"]);
    await bob.waitForSelector("#groups li[data-group=team] .badge", { timeout: WAIT });
    await bob.click("#groups li[data-group=team] button");
    await bubble(bob, "theirs", "hello team").waitFor({ timeout: WAIT });
    const path = await alice.evaluate(() => WS_PATH); /* the hub spliced its --ws-path in */
    if (path !== "/chat/ws") throw new Error(`the page connects to ${path}`);
    const width = await alice.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) throw new Error(`the page is ${width} px wide at 390`);
    if ((await alice.locator("#frames div").count()) === 0) throw new Error("the debug panel is empty");
    await alice.context().close();
    await bob.context().close();
  },

  async "a page survives a hub restart and delivers what was typed meanwhile"(browser, hub) {
    const carol = await openPage(browser, hub, "carol", "&to=dave");
    const dave = await openPage(browser, hub, "dave", "&to=carol");
    await hub.kill();
    await carol.waitForSelector("#state[data-state=reconnecting]", { timeout: WAIT });
    await type(carol, "typed while the hub was down");
    await waitStatus(carol, "typed while the hub was down", ["queued"]);
    await hub.start();
    await carol.waitForSelector("#state[data-state=open]", { timeout: WAIT });
    await dave.waitForSelector("#state[data-state=open]", { timeout: WAIT });
    await bubble(dave, "theirs", "typed while the hub was down").waitFor({ timeout: WAIT });
    await waitStatus(carol, "typed while the hub was down", ["delivered", "stored"]);
    await type(dave, "welcome back");
    await bubble(carol, "theirs", "welcome back").waitFor({ timeout: WAIT });
    await carol.context().close();
    await dave.context().close();
  },

  async "offline messages arrive after reconnect and auto-ACK leaves nothing to replay"(browser, hub) {
    const erin = await openPage(browser, hub, "erin", "&to=frank");
    const before = await openPage(browser, hub, "frank", "&to=erin");
    await erin.waitForSelector("#people li[data-user=frank][data-online=true]", { timeout: WAIT });
    await before.context().close(); /* frank goes offline */
    await offline(hub, "frank");
    await type(erin, "while you were out");
    if ((await waitStatus(erin, "while you were out", ["stored"])) !== "stored") throw new Error("not stored");
    const frank = await openPage(browser, hub, "frank", "&to=erin");
    await frank.locator(".msg.theirs.offline").filter({ hasText: "while you were out" }).waitFor({ timeout: WAIT });
    await frank.waitForFunction(
      () => [...document.querySelectorAll("#frames .out")].some((d) => d.textContent.includes('"message_type":"ack"')),
      null,
      { timeout: WAIT },
    );
    await frank.context().close();
    await offline(hub, "frank"); /* the hub has read everything the page sent, its ACK included */
    const again = await openPage(browser, hub, "frank", "&to=erin");
    /* Stored messages are replayed before live traffic (PROTOCOL.md §4): once a live message is
     * in, a replay would have come before it. */
    await type(erin, "live after the replay");
    await bubble(again, "theirs", "live after the replay").waitFor({ timeout: WAIT });
    const replayed = await again.evaluate(() => document.querySelectorAll(".msg").length);
    const frames = await again.locator("#frames").textContent();
    if (replayed !== 1 || frames.includes('"source":"offline"')) throw new Error("the hub replayed an ACKed message");
    await again.context().close();
    await erin.context().close();
  },

  async "a kicked page does not reconnect"(browser, hub) {
    const gina = await openPage(browser, hub, "gina");
    const r = await hub.api("POST", "/users/gina/kick", { reason: "e2e" });
    if (r.body.kicked !== 1) throw new Error(`kick answered ${JSON.stringify(r.body)}`);
    await gina.waitForSelector("#state[data-state=closed]", { timeout: WAIT });
    await gina.waitForSelector("#notice[data-code=kicked]", { timeout: WAIT });
    /* After an open the first retry comes within the demo's initial backoff bound (250 ms);
     * a second is four times longer than that. */
    await sleep(1000);
    if ((await gina.getAttribute("#state", "data-state")) !== "closed") throw new Error("it reconnected");
    const u = await hub.api("GET", "/users/gina");
    if (u.body.connections !== 0) throw new Error(`gina has ${u.body.connections} connections`);
    await gina.context().close();
  },
};

const hub = new Hub(await freePort());
await hub.start();
const browser = await chromium.launch({ executablePath: browserBin, args: ["--no-sandbox"] });
let failed = 0;
const t0 = Date.now();
for (const [name, fn] of Object.entries(tests)) {
  const t = Date.now();
  try {
    await fn(browser, hub);
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
await browser.close();
await hub.kill("SIGTERM"); /* a graceful stop: the hub's coverage counters are written then */
console.log(`${Object.keys(tests).length - failed}/${Object.keys(tests).length} e2e tests passed in ${Date.now() - t0} ms`);
process.exit(failed ? 1 : 0);
