/** Handing received messages to the application (PROTOCOL.md §4): once per (sender, message_id)
 * within the dedupe window, then an ACK when the message asked for one and every handler
 * succeeded (a handler's promise is waited for). A handler that fails leaves the message un-ACKed
 * and forgotten, so the hub's resend is handled again: at-least-once. */
import { DedupeWindow } from "./dedupe.js";
import type { WscFrame } from "./types.js";

export interface InboundHooks {
  /** The `message` listeners, called in order. */
  handlers(): Iterable<(f: WscFrame) => unknown>;
  /** Sends the ACK of f. */
  ack(f: WscFrame): void;
  /** A handler threw or its promise rejected. */
  failed(error: unknown): void;
}

export class Inbound {
  private readonly dedupe: DedupeWindow;

  constructor(window: number, private readonly autoAck: boolean, private readonly hooks: InboundHooks) {
    this.dedupe = new DedupeWindow(window);
  }

  handle(f: WscFrame): void {
    const id = f.message_id;
    if (id && this.dedupe.seenBefore(f.sender, id)) {
      if (f.require_ack) this.hooks.ack(f); /* a copy: the hub did not get our ACK */
      return;
    }
    let failed = false;
    const pending: PromiseLike<unknown>[] = [];
    for (const cb of [...this.hooks.handlers()]) {
      try {
        const r = cb(f) as PromiseLike<unknown> | undefined;
        if (r && typeof r.then === "function") pending.push(r);
      } catch (e) {
        failed = true;
        this.hooks.failed(e);
      }
    }
    if (pending.length === 0) return this.done(f, !failed);
    Promise.all(pending).then(
      () => this.done(f, !failed),
      (e) => {
        this.hooks.failed(e);
        this.done(f, false);
      },
    );
  }

  private done(f: WscFrame, ok: boolean): void {
    if (!ok && f.message_id) this.dedupe.forget(f.sender, f.message_id);
    else if (ok && f.require_ack && this.autoAck) this.hooks.ack(f);
  }
}
