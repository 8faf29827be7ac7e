import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WscClient, backoffDelay, backoffConfig } from "../src/index.js";
import type { WscClientOptions, WscError, WscFrame, WscState } from "../src/types.js";
import { FakeEventSource, FakeWebSocket } from "./fakes.js";

const URL_ = "ws://hub.test/ws?user_id=alice";

function client(extra: Partial<WscClientOptions> = {}) {
  const c = new WscClient({
    url: URL_,
    WebSocket: FakeWebSocket as never,
    backoff: { initialMs: 100, maxMs: 1000 },
    ...extra,
  });
  const states: WscState[] = [];
  const errors: WscError[] = [];
  const messages: WscFrame[] = [];
  c.on("state", (s) => states.push(s));
  c.on("error", (e) => errors.push(e));
  c.on("message", (m) => messages.push(m));
  return { c, states, errors, messages };
}

beforeEach(() => {
  FakeWebSocket.reset();
  FakeEventSource.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("connecting", () => {
  it("opens on the hub's connected frame, offers wsc.v1 and keeps the query", () => {
    const { c, states } = client({ token: "T1" });
    c.connect();
    expect(c.state).toBe("connecting");
    const ws = FakeWebSocket.last;
    expect(ws.protocols).toEqual(["wsc.v1"]);
    const u = new URL(ws.url);
    expect(u.searchParams.get("user_id")).toBe("alice");
    expect(u.searchParams.get("token")).toBe("T1");
    ws.readyState = 1;
    ws.onopen?.({});
    expect(c.state).toBe("connecting"); /* not before `connected` */
    ws.frame({ message_type: "connected", data: { user_id: "alice", client_id: "c-9" } });
    expect(c.state).toBe("open");
    expect(c.session?.client_id).toBe("c-9");
    expect(states).toEqual(["connecting", "open"]);
  });

  it("full-jitter backoff grows to its bound and draws below it", () => {
    const cfg = backoffConfig({ initialMs: 100, maxMs: 1000, factor: 2 });
    expect(backoffDelay(cfg, 0, () => 0.999)).toBe(99);
    expect(backoffDelay(cfg, 3, () => 0.999)).toBe(799);
    expect(backoffDelay(cfg, 10, () => 0.999)).toBe(999);
    expect(backoffDelay(cfg, 10, () => 0)).toBe(0);
    const d = backoffConfig(undefined);
    expect(d).toEqual({ initialMs: 500, maxMs: 30000, factor: 2 });
  });

  it("retries a connection that never opened with growing delays", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { c } = client();
    c.connect();
    FakeWebSocket.last.drop(1006);
    expect(c.state).toBe("reconnecting");
    vi.advanceTimersByTime(98);
    expect(FakeWebSocket.all.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all.length).toBe(2);
    FakeWebSocket.last.drop(1006);
    vi.advanceTimersByTime(198);
    expect(FakeWebSocket.all.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all.length).toBe(3);
    FakeWebSocket.last.accept();
    expect(c.state).toBe("open");
    FakeWebSocket.last.drop(1006); /* after an open the backoff starts over */
    vi.advanceTimersByTime(99);
    expect(FakeWebSocket.all.length).toBe(4);
  });
});

describe("network back", () => {
  it("retries at once when the browser says it is online again", () => {
    const target = new EventTarget();
    vi.stubGlobal("addEventListener", target.addEventListener.bind(target));
    vi.stubGlobal("removeEventListener", target.removeEventListener.bind(target));
    vi.spyOn(Math, "random").mockReturnValue(0.999);
    const { c } = client({ backoff: { initialMs: 30000, maxMs: 30000 } });
    c.connect();
    FakeWebSocket.last.drop(1006);
    target.dispatchEvent(new Event("online"));
    expect(FakeWebSocket.all.length).toBe(2);
    c.close();
    target.dispatchEvent(new Event("online"));
    expect(FakeWebSocket.all.length).toBe(2);
    vi.unstubAllGlobals();
  });
});

describe("close codes (PROTOCOL.md §5)", () => {
  for (const code of [1000, 1001, 1006, 1009, 1011, 1013, 4003]) {
    it(`reconnects after ${code}`, () => {
      const { c, states } = client();
      c.connect();
      FakeWebSocket.last.accept();
      FakeWebSocket.last.drop(code, "bye");
      expect(c.state).toBe("reconnecting");
      vi.advanceTimersByTime(1000);
      expect(FakeWebSocket.all.length).toBe(2);
      FakeWebSocket.last.accept();
      expect(states).toEqual(["connecting", "open", "reconnecting", "open"]);
    });
  }

  for (const [code, name] of [
    [1008, "policy_violation"],
    [4001, "kicked"],
    [4002, "replaced"],
  ] as const) {
    it(`stays closed after ${code} and says ${name}`, async () => {
      const { c, errors } = client({ getToken: async () => "T" });
      c.connect();
      await vi.advanceTimersByTimeAsync(0);
      FakeWebSocket.last.accept();
      const pending = c.send({ receiver: "bob", content: "x", require_ack: true });
      FakeWebSocket.last.drop(code, "why");
      expect(c.state).toBe("closed");
      await vi.advanceTimersByTimeAsync(60000);
      expect(FakeWebSocket.all.length).toBe(1);
      expect(errors.map((e) => e.code)).toEqual([name]);
      expect(await pending).toEqual({ status: "rejected", error: name });
      expect(await c.send({ receiver: "bob" })).toEqual({ status: "rejected", error: "closed" });
    });
  }

  it("4004 with getToken: reconnects at once with a new token", async () => {
    let n = 0;
    const getToken = vi.fn(async () => "T" + ++n);
    const { c, errors } = client({ getToken });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(new URL(FakeWebSocket.last.url).searchParams.get("token")).toBe("T1");
    FakeWebSocket.last.accept();
    FakeWebSocket.last.drop(4004, "token expired");
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.all.length).toBe(2);
    expect(new URL(FakeWebSocket.last.url).searchParams.get("token")).toBe("T2");
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(errors).toEqual([]);
  });

  it("getToken is asked again before every reconnect", async () => {
    let n = 0;
    const { c } = client({ getToken: async () => "T" + ++n });
    c.connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.last.drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(new URL(FakeWebSocket.last.url).searchParams.get("token")).toBe("T2");
  });

  it("4004 without getToken: closed (the same token would be refused)", () => {
    const { c, errors } = client({ token: "old" });
    c.connect();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.drop(4004, "token expired");
    vi.advanceTimersByTime(60000);
    expect(c.state).toBe("closed");
    expect(FakeWebSocket.all.length).toBe(1);
    expect(errors[0].code).toBe("token_expired");
  });

  it("close() is final", async () => {
    const { c, states } = client();
    c.connect();
    FakeWebSocket.last.accept();
    const p = c.send({ receiver: "bob", require_ack: true });
    c.close();
    expect(FakeWebSocket.last.closedByClient?.code).toBe(1000);
    vi.advanceTimersByTime(60000);
    expect(FakeWebSocket.all.length).toBe(1);
    expect(states[states.length - 1]).toBe("closed");
    expect(await p).toEqual({ status: "rejected", error: "closed" });
  });
});

describe("sending", () => {
  it("queues frames while disconnected and writes them in order on open", async () => {
    const { c } = client();
    const a = c.send({ receiver: "bob", content: "1" });
    c.connect();
    const b = c.send({ receiver: "bob", content: "2" });
    const r = c.send({ receiver: "bob", content: "3", require_ack: true });
    expect(FakeWebSocket.last.sent).toEqual([]);
    expect(c.queued).toBe(3);
    FakeWebSocket.last.accept();
    const sent = FakeWebSocket.last.frames();
    expect(sent.map((f) => f.content)).toEqual(["1", "2", "3"]);
    expect(await a).toBeUndefined();
    expect(await b).toBeUndefined();
    expect(sent[2].message_id).toBeTruthy();
    FakeWebSocket.last.frame({ message_type: "ack", message_id: sent[2].message_id, data: { status: "stored" } });
    expect(await r).toEqual({ status: "stored" });
    expect(c.queued).toBe(0);
  });

  it("keeps the order across a drop: unanswered ACK frames first, then what was typed offline", async () => {
    const { c } = client();
    c.connect();
    FakeWebSocket.last.accept();
    const r1 = c.send({ receiver: "bob", content: "1", message_id: "m1", require_ack: true });
    FakeWebSocket.last.drop(1006);
    const r2 = c.send({ receiver: "bob", content: "2" });
    const r3 = c.send({ receiver: "bob", content: "3", message_id: "m3", require_ack: true });
    vi.advanceTimersByTime(1000);
    FakeWebSocket.last.accept();
    const sent = FakeWebSocket.last.frames();
    expect(sent.map((f) => [f.content, f.message_id])).toEqual([
      ["1", "m1"],
      ["2", undefined],
      ["3", "m3"],
    ]);
    expect(await r2).toBeUndefined();
    FakeWebSocket.last.frame({ message_type: "ack", message_id: "m3", data: { status: "delivered" } });
    FakeWebSocket.last.frame({
      message_type: "ack",
      message_id: "m1",
      data: { status: "rejected", error: "unknown_receiver" },
    });
    expect(await r1).toEqual({ status: "rejected", error: "unknown_receiver" });
    expect(await r3).toEqual({ status: "delivered" });
  });

  it("resends an unanswered ACK frame with the same message_id after ackTimeoutMs", async () => {
    const { c } = client({ ackTimeoutMs: 2000 });
    c.connect();
    FakeWebSocket.last.accept();
    const r = c.send({ receiver: "bob", content: "x", require_ack: true });
    const ws = FakeWebSocket.last;
    expect(ws.sent.length).toBe(1);
    vi.advanceTimersByTime(1500);
    expect(ws.sent.length).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(ws.sent.length).toBe(2);
    expect(ws.sent[1]).toBe(ws.sent[0]);
    ws.frame({ message_type: "ack", message_id: ws.frames()[0].message_id, data: { status: "delivered" } });
    ws.frame({ message_type: "ack", message_id: ws.frames()[0].message_id, data: { status: "delivered" } });
    expect(await r).toEqual({ status: "delivered" });
    vi.advanceTimersByTime(10000);
    expect(ws.frames().filter((f) => f.content === "x").length).toBe(2);
  });

  it("refuses what is too large or beyond the queue limit", async () => {
    const { c } = client({ maxQueue: 2, maxFrameBytes: 100 });
    expect(await c.send({ content: "x".repeat(200) })).toEqual({ status: "rejected", error: "too_large" });
    void c.send({ content: "1" });
    void c.send({ content: "2" });
    expect(await c.send({ content: "3" })).toEqual({ status: "rejected", error: "queue_full" });
  });

  it("reports the hub's error frames", () => {
    const { c, errors } = client();
    c.connect();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.frame({
      message_type: "error",
      message_id: "m1",
      data: { code: "unknown_receiver", reason: "receiver is not online" },
    });
    expect(errors).toEqual([{ code: "unknown_receiver", reason: "receiver is not online", message_id: "m1" }]);
  });
});

describe("receiving", () => {
  it("hands each message_id once per sender and ACKs every copy", () => {
    const { c, messages } = client();
    c.connect();
    const ws = FakeWebSocket.last;
    ws.accept();
    const m = { message_type: "text", message_id: "m1", sender: "bob", content: "hi", require_ack: true };
    ws.frame(m);
    ws.frame(m);
    ws.frame({ ...m, sender: "carol" }); /* ids are scoped to their sender */
    ws.frame({ message_type: "text", content: "no id" });
    expect(messages.map((f) => f.sender ?? "-")).toEqual(["bob", "carol", "-"]);
    const acks = ws.frames().filter((f) => f.message_type === "ack");
    expect(acks).toEqual([
      { message_type: "ack", message_id: "m1", sender: "bob" },
      { message_type: "ack", message_id: "m1", sender: "bob" },
      { message_type: "ack", message_id: "m1", sender: "carol" },
    ]);
  });

  it("dedupes offline replays after a reconnect, and forgets beyond the window", () => {
    const { c, messages } = client({ dedupeWindow: 2 });
    c.connect();
    FakeWebSocket.last.accept();
    for (const id of ["a", "b"]) FakeWebSocket.last.frame({ message_id: id, sender: "bob" });
    FakeWebSocket.last.drop(1001);
    vi.advanceTimersByTime(1000);
    FakeWebSocket.last.accept();
    FakeWebSocket.last.frame({ message_id: "b", sender: "bob", source: "offline", require_ack: true });
    expect(messages.length).toBe(2);
    FakeWebSocket.last.frame({ message_id: "c", sender: "bob" });
    FakeWebSocket.last.frame({ message_id: "a", sender: "bob" }); /* "a" left the window */
    expect(messages.map((m) => m.message_id)).toEqual(["a", "b", "c", "a"]);
  });

  it("does not hand the hub's own frames to message listeners", () => {
    const { c, messages } = client();
    c.connect();
    const ws = FakeWebSocket.last;
    ws.accept();
    ws.frame({ message_type: "pong" });
    ws.frame({ message_type: "ack", message_id: "zz", data: { status: "delivered" } });
    ws.frame({ message_type: "kick_out", data: { reason: "x" } });
    expect(messages).toEqual([]);
  });

  it("autoAck false leaves ACKs to the application", () => {
    const { c, messages } = client({ autoAck: false });
    c.connect();
    FakeWebSocket.last.accept();
    FakeWebSocket.last.frame({ message_id: "m", sender: "bob", require_ack: true });
    expect(messages.length).toBe(1);
    expect(FakeWebSocket.last.frames().filter((f) => f.message_type === "ack")).toEqual([]);
  });

  it("ACKs after the handler's promise settles, and not when the handler fails", async () => {
    const { c } = client();
    let release: () => void = () => {};
    c.on("message", (f) => (f.content === "slow" ? new Promise<void>((r) => (release = r)) : undefined));
    c.on("message", (f) => {
      if (f.content === "bad") throw new Error("boom");
    });
    c.connect();
    const ws = FakeWebSocket.last;
    ws.accept();
    ws.frame({ message_id: "s", sender: "bob", content: "slow", require_ack: true });
    ws.frame({ message_id: "b", sender: "bob", content: "bad", require_ack: true });
    expect(ws.frames().filter((f) => f.message_type === "ack")).toEqual([]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(ws.frames().filter((f) => f.message_type === "ack").map((f) => f.message_id)).toEqual(["s"]);
    const seen: string[] = [];
    c.on("message", (f) => void seen.push(String(f.message_id)));
    ws.frame({ message_id: "b", sender: "bob", content: "bad", require_ack: true }); /* resent */
    expect(seen).toEqual(["b"]);
  });
});

describe("keepalive", () => {
  it("pings an idle hub and reconnects when it stays silent", () => {
    const { c, errors } = client({ keepalive: { intervalMs: 1000, timeoutMs: 500 } });
    c.connect();
    const ws = FakeWebSocket.last;
    ws.accept();
    vi.advanceTimersByTime(900);
    expect(ws.frames()).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(ws.frames()).toEqual([{ message_type: "ping" }]);
    ws.frame({ message_type: "pong" });
    vi.advanceTimersByTime(1000);
    expect(c.state).toBe("open");
    vi.advanceTimersByTime(600);
    expect(errors.map((e) => e.code)).toEqual(["dead_hub"]);
    expect(c.state).toBe("reconnecting");
    expect(ws.closedByClient).not.toBeNull();
    vi.advanceTimersByTime(1000);
    expect(FakeWebSocket.all.length).toBe(2);
  });

  it("is off with intervalMs 0", () => {
    const { c } = client({ keepalive: { intervalMs: 0 } });
    c.connect();
    FakeWebSocket.last.accept();
    vi.advanceTimersByTime(600000);
    expect(FakeWebSocket.last.frames()).toEqual([]);
    expect(c.state).toBe("open");
  });
});

describe("SSE fallback (PROTOCOL.md §6)", () => {
  it("falls back after WebSocket attempts that never open, receives events and POSTs frames", async () => {
    const posts: { url: string; body: string; auth?: string }[] = [];
    const fetch = vi.fn(async (url: string, init: { headers: Record<string, string>; body: string }) => {
      posts.push({ url, body: init.body, auth: init.headers.Authorization });
      return { ok: true, status: 200, text: async () => '{"ok":true}' };
    });
    const { c, messages, states } = client({
      token: "T",
      sse: "http://hub.test/sse?user_id=alice",
      EventSource: FakeEventSource as never,
      fetch,
      sseEvents: ["chat"],
    });
    const r = c.send({ receiver: "bob", content: "early", message_id: "e1", require_ack: true });
    c.connect();
    FakeWebSocket.last.drop(1006);
    vi.advanceTimersByTime(1000);
    FakeWebSocket.last.drop(1006);
    vi.advanceTimersByTime(1000);
    expect(FakeWebSocket.all.length).toBe(2);
    expect(FakeEventSource.all.length).toBe(1);
    expect(c.transport).toBe("sse");
    const es = FakeEventSource.all[0];
    expect(new URL(es.url).searchParams.get("token")).toBe("T");
    es.open();
    es.event({ message_type: "connected", data: { user_id: "alice", client_id: "c" } });
    expect(states[states.length - 1]).toBe("open");
    await vi.advanceTimersByTimeAsync(0);
    expect(posts[0].url).toBe("http://hub.test/sse/send?user_id=alice&token=T");
    expect(posts[0].auth).toBe("Bearer T");
    expect(JSON.parse(posts[0].body).message_id).toBe("e1");
    es.event({ message_type: "ack", message_id: "e1", data: { status: "stored" } });
    expect(await r).toEqual({ status: "stored" });
    es.event({ message_type: "chat", message_id: "x", sender: "bob", require_ack: true });
    es.event({ message_type: "chat", message_id: "x", sender: "bob", require_ack: true });
    expect(messages.length).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(posts.slice(1).map((p) => JSON.parse(p.body))).toEqual([
      { message_type: "ack", message_id: "x", sender: "bob" },
      { message_type: "ack", message_id: "x", sender: "bob" },
    ]);
  });

  it("reports an error body of the SSE upstream", async () => {
    const fetch = async () => ({
      ok: false,
      status: 401,
      text: async () => '{"error":"unauthorized","reason":"bad token"}',
    });
    const { c, errors } = client({
      sse: "/sse",
      sseAfterFailures: 1,
      EventSource: FakeEventSource as never,
      fetch,
    });
    vi.stubGlobal("location", { href: "http://hub.test/" });
    c.connect();
    FakeWebSocket.last.drop(1006);
    vi.advanceTimersByTime(1000);
    FakeEventSource.all[0].open();
    expect(await c.send({ receiver: "bob" })).toEqual({ status: "rejected", error: "send_failed" });
    expect(errors).toEqual([{ code: "unauthorized", reason: "bad token" }]);
    vi.unstubAllGlobals();
  });
});
