/** Types shared by the client and its framework bindings (PROTOCOL.md 1.1). */

/** Connection state: `connecting` before the first open, `open` once the hub's `connected` frame
 * arrived, `reconnecting` while waiting for or making another attempt, `closed` for good. */
export type WscState = "connecting" | "open" | "reconnecting" | "closed";

/** The hub's receipt for a frame sent with `require_ack` (PROTOCOL.md §3). */
export interface WscReceipt {
  status: "delivered" | "stored" | "rejected";
  error?: string;
}

/** An `error` frame of the hub, a terminal close, or a local failure. */
export interface WscError {
  code: string;
  reason: string;
  /** The message the hub's `error` frame refers to, when it names one. */
  message_id?: string;
}

/** One frame in either direction (PROTOCOL.md §2); unknown fields are carried through. */
export interface WscFrame {
  message_type?: string;
  id?: string;
  message_id?: string;
  sender?: string;
  sender_client?: string;
  receiver?: string;
  receiver_client?: string;
  group_ids?: string[];
  broadcast_type?: "global";
  content?: string;
  data?: Record<string, unknown>;
  create_at?: string;
  source?: "online" | "offline";
  require_ack?: boolean;
  priority?: "low" | "normal" | "high" | "urgent" | "critical";
  [field: string]: unknown;
}

/** What the hub told about this connection in its `connected` frame. */
export interface WscSession {
  user_id: string;
  client_id: string;
  node_id?: string;
  heartbeat_ms?: number;
  server_time?: string;
}

/** A raw frame seen by the client (the `frame` event, for debug views). */
export interface WscRawFrame {
  dir: "in" | "out";
  text: string;
}

/** The constructor the client uses for WebSockets (the browser's, or one given for Node/tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The part of EventSource the SSE fallback uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  addEventListener(type: string, cb: (ev: { data: string; lastEventId?: string }) => void): void;
  close(): void;
}
export type EventSourceCtor = new (url: string) => EventSourceLike;
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface WscBackoff {
  /** First reconnect delay's upper bound (ms). Default 500. */
  initialMs?: number;
  /** Largest delay bound (ms). Default 30000. */
  maxMs?: number;
  /** Growth of the bound per failed attempt. Default 2. */
  factor?: number;
}

export interface WscKeepalive {
  /** Send an app-level `ping` after this long without a frame from the hub (ms). Default 20000;
   * 0 turns keepalive off. */
  intervalMs?: number;
  /** Declare the hub dead (close and reconnect) when still nothing arrived this long after the
   * ping was due (ms). Default 10000. */
  timeoutMs?: number;
}

export interface WscClientOptions {
  /** ws:// or wss:// URL of the hub's WebSocket path; its query (e.g. `user_id`, `client_id`)
   * is kept. */
  url: string;
  /** A JWT, sent as the `token` query parameter (browsers cannot set headers on WebSockets). */
  token?: string;
  /** Called before every connection attempt (and so after a 4004 close) for a fresh token. */
  getToken?: () => Promise<string>;
  /** ACK every `require_ack` message after the message handlers ran. Default true. */
  autoAck?: boolean;
  /** SSE URL (PROTOCOL.md §6) to fall back to when WebSocket attempts never open. */
  sse?: string;
  /** Where SSE clients POST frames. Default: the SSE URL's path + `/send`. */
  sseSendUrl?: string;
  /** WebSocket attempts in a row that never opened before falling back to SSE. Default 2. */
  sseAfterFailures?: number;
  /** Event names the SSE fallback listens to (EventSource only delivers named events it was
   * told about). Default: `text`, `message` and the hub's own types; add your own types here. */
  sseEvents?: string[];
  backoff?: WscBackoff;
  keepalive?: WscKeepalive;
  /** Frames waiting (queued while disconnected, or sent with `require_ack` and not yet
   * answered). Default 1000; beyond it `send` answers `rejected` / `queue_full`. */
  maxQueue?: number;
  /** Resend a `require_ack` frame with the same message_id when no receipt came in this long
   * (ms). Default 10000. */
  ackTimeoutMs?: number;
  /** How many received message ids are remembered to drop duplicates. Default 1000. */
  dedupeWindow?: number;
  /** Largest frame sent (bytes of JSON); larger ones are refused locally with `too_large`
   * instead of getting the connection closed with 1009. Default 65536. */
  maxFrameBytes?: number;
  /** Sub-protocols offered. Default ["wsc.v1"]. */
  protocols?: string[];
  /** Implementations to use instead of the globals (Node, tests). */
  WebSocket?: WebSocketCtor;
  EventSource?: EventSourceCtor;
  fetch?: FetchLike;
}
