/** A fake WebSocket and EventSource that record what the client does and let a test play the hub. */
import type { WscFrame } from "../src/types.js";

export class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  static get last(): FakeWebSocket {
    return FakeWebSocket.all[FakeWebSocket.all.length - 1];
  }
  readyState = 0;
  sent: string[] = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(public url: string, public protocols?: string | string[]) {
    FakeWebSocket.all.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error("InvalidStateError");
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }
  /* --- the hub's side --- */
  accept(userId = "alice"): void {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ message_type: "connected", data: { user_id: userId, client_id: "c-1" } });
  }
  frame(f: WscFrame): void {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  frames(): WscFrame[] {
    return this.sent.map((s) => JSON.parse(s));
  }
  static reset(): void {
    FakeWebSocket.all = [];
  }
}

export class FakeEventSource {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  listeners = new Map<string, ((ev: { data: string }) => void)[]>();
  closed = false;
  constructor(public url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, cb: (ev: { data: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), cb]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  /* --- the hub's side: `event: <message_type>` / `data: <json>` (PROTOCOL.md §6) --- */
  event(f: WscFrame): void {
    for (const cb of this.listeners.get(f.message_type ?? "text") ?? []) cb({ data: JSON.stringify(f) });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
}
