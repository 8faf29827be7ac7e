/**
 * WscClient: one logical connection to a wsc hub (PROTOCOL.md 1.1) that outlives sockets.
 *
 * - Reconnects with full-jitter backoff, except after the closes that say not to (§5: 1008
 *   policy violation, 4001 kicked, 4002 replaced; 4004 token expired only with `getToken`).
 * - Keeps the connection alive with app-level `ping` and declares the hub dead when nothing
 *   arrives for `keepalive.intervalMs + keepalive.timeoutMs`.
 * - Queues frames while disconnected and sends them in order once the hub said `connected`;
 *   frames with `require_ack` stay queued until the hub's receipt comes, and are resent with the
 *   same message_id on every new connection and after `ackTimeoutMs` (§3).
 * - Hands every message to the `message` listeners once per (sender, message_id), offline
 *   replays included, then ACKs it (`autoAck`) when it asked for one (§4).
 * - Falls back to SSE (§6) when WebSocket attempts never open and an `sse` URL is given.
 */
import { backoffConfig, backoffDelay, type BackoffConfig } from "./backoff.js";
import { afterClose, closeName, DEAD_HUB } from "./close_codes.js";
import { Heartbeat } from "./heartbeat.js";
import { Inbound } from "./inbound.js";
import { byteLength, windowEvents } from "./platform.js";
import { SseSendError, sseEventNames, ssePost } from "./sse.js";
import type {
  EventSourceCtor,
  EventSourceLike,
  WebSocketCtor,
  WebSocketLike,
  WscClientOptions,
  WscError,
  WscFrame,
  WscRawFrame,
  WscReceipt,
  WscSession,
  WscState,
} from "./types.js";
import { newMessageId, sseSendUrl, withToken } from "./urls.js";

interface Events {
  message: WscFrame;
  state: WscState;
  error: WscError;
  frame: WscRawFrame;
}
type EventName = keyof Events;
type Listener<E extends EventName> = (value: Events[E]) => unknown;

interface Outgoing {
  text: string;
  ack: boolean;
  messageId?: string;
  sentAt: number; /* 0: not written on the current connection */
  resolve: (r: WscReceipt | undefined) => void;
}

export class WscClient {
  private readonly opts: WscClientOptions;
  private readonly backoff: BackoffConfig;
  private readonly inbound: Inbound;
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = {
    message: new Set(),
    state: new Set(),
    error: new Set(),
    frame: new Set(),
  };
  private _state: WscState = "closed";
  private ws: WebSocketLike | null = null;
  private es: EventSourceLike | null = null;
  private mode: "ws" | "sse" = "ws";
  private outbox: Outgoing[] = [];
  private token: string | undefined;
  private stopped = true; /* no connect() yet, or close(), or a final close code */
  private final = false; /* close() or a final close code: send() refuses */
  private everOpen = false;
  private attempt = 0; /* failed attempts since the last open */
  private failedOpens = 0; /* WebSocket attempts in a row that never opened */
  private generation = 0; /* callbacks of older sockets and attempts are ignored */
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly heartbeat: Heartbeat;
  private sseChain: Promise<void> = Promise.resolve();
  /* The browser says the network is back: waiting out the backoff would only delay. */
  private readonly onOnline = () => {
    if (this.retryTimer === undefined || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.open();
  };

  /** What the hub said in its last `connected` frame. */
  session: WscSession | null = null;
  /** The last close of a WebSocket (code and reason), for display. */
  lastClose: { code: number; reason: string } | null = null;

  constructor(opts: WscClientOptions) {
    if (!opts || typeof opts.url !== "string") throw new TypeError("WscClient: url is required");
    this.opts = opts;
    this.token = opts.token;
    this.backoff = backoffConfig(opts.backoff);
    this.inbound = new Inbound(opts.dedupeWindow ?? 1000, opts.autoAck !== false, {
      handlers: () => this.listeners.message,
      ack: (f) => this.ackIt(f),
      failed: (e) => this.emit("error", { code: "handler_failed", reason: String(e) }),
    });
    this.heartbeat = new Heartbeat(opts.keepalive, this.ackTimeout());
  }

  get state(): WscState {
    return this._state;
  }

  /** The transport in use: "ws", or "sse" after the fallback. */
  get transport(): "ws" | "sse" {
    return this.mode;
  }

  /** Frames waiting: queued while disconnected, or sent with require_ack and not answered. */
  get queued(): number {
    return this.outbox.length;
  }

  /** Starts connecting (again after close()). Does nothing while already started. */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.final = false;
    this.mode = "ws";
    this.attempt = 0;
    this.failedOpens = 0;
    this.setState(this.everOpen ? "reconnecting" : "connecting");
    windowEvents()?.addEventListener("online", this.onOnline);
    void this.open();
  }

  /** Closes for good: no reconnect; frames still waiting are answered `rejected` / `closed`. */
  close(): void {
    this.stopped = true;
    this.final = true;
    this.generation++;
    this.stopTimers();
    this.detach();
    windowEvents()?.removeEventListener("online", this.onOnline);
    this.rejectAll("closed");
    this.setState("closed");
  }

  on(event: "message", cb: (frame: WscFrame) => unknown): () => void;
  on(event: "state", cb: (state: WscState) => unknown): () => void;
  on(event: "error", cb: (error: WscError) => unknown): () => void;
  on(event: "frame", cb: (frame: WscRawFrame) => unknown): () => void;
  on<E extends EventName>(event: E, cb: Listener<E>): () => void {
    const set = this.listeners[event] as Set<Listener<E>>;
    if (!set) throw new TypeError("WscClient: unknown event " + String(event));
    set.add(cb);
    return () => set.delete(cb);
  }

  /**
   * Sends one frame. Without `require_ack` it resolves `undefined` once written (queued until
   * then while disconnected); with it, the hub's receipt. Answers `rejected` with `too_large`,
   * `queue_full` or `closed` when the frame cannot be taken.
   */
  send(frame: WscFrame): Promise<WscReceipt | undefined> {
    if (this.final) return Promise.resolve({ status: "rejected", error: "closed" });
    const f: WscFrame = { ...frame };
    const ack = f.require_ack === true;
    if (ack && !f.message_id) f.message_id = newMessageId();
    const text = JSON.stringify(f);
    if (byteLength(text) > (this.opts.maxFrameBytes ?? 65536))
      return Promise.resolve({ status: "rejected", error: "too_large" });
    if (this.outbox.length >= (this.opts.maxQueue ?? 1000))
      return Promise.resolve({ status: "rejected", error: "queue_full" });
    return new Promise((resolve) => {
      const o: Outgoing = { text, ack, messageId: f.message_id, sentAt: 0, resolve };
      this.outbox.push(o);
      if (this._state === "open") this.flush();
    });
  }

  /* --- connecting ------------------------------------------------------------------------ */

  private async open(): Promise<void> {
    const gen = ++this.generation;
    if (this.opts.getToken) {
      try {
        this.token = await this.opts.getToken();
      } catch (e) {
        if (gen !== this.generation) return;
        this.emit("error", { code: "token_failed", reason: String(e) });
        this.retry();
        return;
      }
      if (gen !== this.generation) return;
    }
    if (this.mode === "sse") this.openSse(gen);
    else this.openWs(gen);
  }

  private openWs(gen: number): void {
    const WS = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    let ws: WebSocketLike;
    try {
      if (!WS) throw new Error("no WebSocket implementation");
      ws = new WS(withToken(this.opts.url, this.token), this.opts.protocols ?? ["wsc.v1"]);
    } catch (e) {
      this.emit("error", { code: "connect_failed", reason: String(e) });
      this.closed(1006, String(e), false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (gen !== this.generation) return;
      opened = true;
    };
    ws.onmessage = (ev) => {
      if (gen === this.generation && typeof ev.data === "string") this.onText(ev.data);
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.ws = null;
      this.closed(ev.code, ev.reason, opened);
    };
    ws.onerror = () => {}; /* a close event follows */
  }

  private openSse(gen: number): void {
    const ES =
      this.opts.EventSource ?? (globalThis as { EventSource?: EventSourceCtor }).EventSource;
    if (!ES || !this.opts.sse) {
      this.emit("error", { code: "connect_failed", reason: "no EventSource implementation" });
      this.retry();
      return;
    }
    const es = new ES(withToken(this.opts.sse, this.token));
    this.es = es;
    es.onopen = () => {
      if (gen === this.generation && this._state !== "open") this.onOpen(); /* `connected` may follow */
    };
    const onEvent = (ev: { data: string }) => {
      if (gen === this.generation) this.onText(ev.data);
    };
    for (const t of sseEventNames(this.opts.sseEvents)) es.addEventListener(t, onEvent);
    es.onerror = () => {
      if (gen !== this.generation) return;
      if (es.readyState === 2) {
        /* EventSource gave up (an HTTP error): a new one, maybe with a new token */
        this.es = null;
        this.stopTimers();
        this.retry();
      } else if (this._state === "open") {
        this.setState("reconnecting"); /* EventSource retries by itself */
        this.unwriteAll();
      }
    };
  }

  /** A WebSocket closed (or never opened): decides between the end and another attempt. */
  private closed(code: number, reason: string, opened: boolean): void {
    this.stopTimers();
    this.lastClose = { code, reason };
    this.unwriteAll();
    this.failedOpens = opened ? 0 : this.failedOpens + 1;
    if (this.stopped) return;
    const name = closeName(code);
    const next = afterClose(code, this.opts.getToken !== undefined);
    if (next === "stop") {
      this.emit("error", { code: name, reason: reason || "the hub closed with " + code });
      this.stopped = true;
      this.final = true;
      windowEvents()?.removeEventListener("online", this.onOnline);
      this.rejectAll(name);
      this.setState("closed");
      return;
    }
    if (this.opts.sse && this.failedOpens >= (this.opts.sseAfterFailures ?? 2)) this.mode = "sse";
    this.retry(next === "now" ? 0 : undefined); /* 4004: at once, with a new token */
  }

  private retry(delay?: number): void {
    if (this.stopped) return;
    this.setState("reconnecting");
    const d = delay ?? backoffDelay(this.backoff, this.attempt);
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.open();
    }, d);
  }

  /* --- receiving ------------------------------------------------------------------------- */

  private onText(text: string): void {
    this.heartbeat.traffic();
    this.emit("frame", { dir: "in", text });
    let f: WscFrame;
    try {
      f = JSON.parse(text);
    } catch {
      return;
    }
    if (!f || typeof f !== "object" || Array.isArray(f)) return;
    const data = (f.data ?? {}) as Record<string, unknown>;
    switch (f.message_type) {
      case "connected":
        this.session = data as unknown as WscSession;
        this.onOpen();
        return;
      case "pong":
      case "kick_out": /* the 4001 close follows */
        return;
      case "ack":
        this.onReceipt(f.message_id, data);
        return;
      case "error":
        this.emit("error", {
          code: String(data.code ?? "error"),
          reason: String(data.reason ?? ""),
          ...(f.message_id ? { message_id: f.message_id } : {}),
        });
        return;
    }
    this.inbound.handle(f);
  }

  private onOpen(): void {
    if (this._state === "open") return;
    this.attempt = 0;
    this.failedOpens = 0;
    this.everOpen = true;
    this.setState("open");
    this.startTimers();
    this.flush();
  }

  private onReceipt(messageId: string | undefined, data: Record<string, unknown>): void {
    const i = this.outbox.findIndex((o) => o.ack && o.messageId === messageId);
    if (i < 0) return; /* a receipt for a resend already answered */
    const [o] = this.outbox.splice(i, 1);
    const status = data.status as WscReceipt["status"];
    o.resolve(data.error ? { status, error: String(data.error) } : { status });
  }

  private ackIt(f: WscFrame): void {
    if (this._state !== "open" || !f.message_id) return; /* the hub replays it on reconnect */
    const ack: WscFrame = { message_type: "ack", message_id: f.message_id };
    if (f.sender) ack.sender = f.sender;
    void this.transmit(JSON.stringify(ack))?.catch(() => {});
  }

  /* --- sending --------------------------------------------------------------------------- */

  /** Writes, in order, every frame not yet written on this connection. */
  private flush(): void {
    for (const o of [...this.outbox]) {
      if (this._state !== "open") return;
      if (o.sentAt > 0) continue;
      let p: Promise<void> | void;
      try {
        p = this.transmit(o.text);
      } catch {
        return; /* the socket is going away: its close event comes next */
      }
      if (o.ack) {
        o.sentAt = Date.now();
        continue;
      }
      this.outbox.splice(this.outbox.indexOf(o), 1);
      if (p) p.then(() => o.resolve(undefined), () => o.resolve({ status: "rejected", error: "send_failed" }));
      else o.resolve(undefined);
    }
  }

  /** Writes one frame: on the WebSocket, or POSTed in order to the SSE upstream. */
  private transmit(text: string): Promise<void> | void {
    if (this.mode === "ws") {
      if (!this.ws) throw new Error("not connected");
      this.ws.send(text);
      this.emit("frame", { dir: "out", text });
      return;
    }
    this.emit("frame", { dir: "out", text });
    const p = this.sseChain.then(() => this.post(text));
    this.sseChain = p.catch(() => {});
    return p;
  }

  private async post(text: string): Promise<void> {
    const url = this.opts.sseSendUrl ?? sseSendUrl(this.opts.sse as string);
    try {
      await ssePost(this.opts.fetch, url, this.token, text);
    } catch (e) {
      this.emit("error", e instanceof SseSendError ? e.wsc : { code: "send_failed", reason: String(e) });
      throw e;
    }
  }

  /** The connection is gone: every frame waiting is written again on the next one. */
  private unwriteAll(): void {
    for (const o of this.outbox) o.sentAt = 0;
  }

  private rejectAll(error: string): void {
    const all = this.outbox;
    this.outbox = [];
    for (const o of all) o.resolve({ status: "rejected", error });
  }

  /* --- timers: keepalive, dead hub, receipt resends --------------------------------------- */

  private ackTimeout(): number {
    return this.opts.ackTimeoutMs ?? 10000;
  }

  private startTimers(): void {
    this.heartbeat.start(this.mode === "ws", {
      ping: () => {
        try {
          this.transmit('{"message_type":"ping"}');
        } catch {
          /* closing: its close event comes next */
        }
      },
      dead: (idle) => this.dead(idle),
      each: (now) => this.resendDue(now),
    });
  }

  private stopTimers(): void {
    this.heartbeat.stop();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Writes again, same message_id, the frames whose receipt is ackTimeoutMs late. */
  private resendDue(now: number): void {
    let due = false;
    for (const o of this.outbox) {
      if (o.ack && o.sentAt > 0 && now - o.sentAt >= this.ackTimeout()) {
        o.sentAt = 0;
        due = true;
      }
    }
    if (due) this.flush();
  }

  private dead(idle: number): void {
    this.generation++; /* the old socket's events no longer count */
    this.detach();
    this.emit("error", { code: "dead_hub", reason: "no frame from the hub for " + idle + " ms" });
    this.closed(DEAD_HUB, "dead hub", true);
  }

  private detach(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = null;
      ws.onclose = null;
      try {
        ws.close(1000, "bye");
      } catch {
        /* already closed */
      }
    }
    const es = this.es;
    this.es = null;
    es?.close();
  }

  /* --- events ----------------------------------------------------------------------------- */

  private setState(s: WscState): void {
    if (s === this._state) return;
    this._state = s;
    this.emit("state", s);
  }

  private emit<E extends EventName>(event: E, value: Events[E]): void {
    for (const cb of [...(this.listeners[event] as Set<Listener<E>>)]) {
      try {
        cb(value);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }
}
