/** One interval timer while a connection is open: app-level pings when the hub has been quiet,
 * dead-hub detection (PROTOCOL.md §5), and a periodic call for the receipt resends (§3). */
import type { WscKeepalive } from "./types.js";

export interface HeartbeatHooks {
  /** Nothing came for keepalive.intervalMs: send an app-level ping. */
  ping(): void;
  /** Still nothing keepalive.timeoutMs later: the hub is dead. */
  dead(idleMs: number): void;
  /** Every tick, for the receipt resends. */
  each(now: number): void;
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastRx = 0;
  private lastPing = 0;
  private readonly interval: number;
  private readonly timeout: number;
  private readonly period: number;

  constructor(ka: WscKeepalive | undefined, ackTimeoutMs: number) {
    this.interval = ka?.intervalMs ?? 20000;
    this.timeout = ka?.timeoutMs ?? 10000;
    let period = Math.min(1000, ackTimeoutMs / 4);
    if (this.interval > 0) period = Math.min(period, this.interval / 4, this.timeout / 4);
    this.period = Math.max(10, period);
  }

  /** Starts ticking; `watch` false (SSE: its pings are invisible) leaves out pings and deaths. */
  start(watch: boolean, hooks: HeartbeatHooks): void {
    this.stop();
    this.lastRx = this.lastPing = Date.now();
    this.timer = setInterval(() => this.tick(watch, hooks), this.period);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A frame came from the hub. */
  traffic(): void {
    this.lastRx = Date.now();
  }

  private tick(watch: boolean, hooks: HeartbeatHooks): void {
    const now = Date.now();
    if (watch && this.interval > 0) {
      const idle = now - this.lastRx;
      if (idle >= this.interval + this.timeout) {
        this.stop();
        return hooks.dead(idle);
      }
      if (idle >= this.interval && now - this.lastPing >= this.interval) {
        this.lastPing = now;
        hooks.ping();
      }
    }
    hooks.each(now);
  }
}
