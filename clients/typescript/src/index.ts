export { WscClient } from "./client.js";
export { backoffDelay, backoffConfig, type BackoffConfig } from "./backoff.js";
export type {
  WscState,
  WscReceipt,
  WscError,
  WscFrame,
  WscSession,
  WscRawFrame,
  WscClientOptions,
  WscBackoff,
  WscKeepalive,
  WebSocketLike,
  WebSocketCtor,
  EventSourceLike,
  EventSourceCtor,
  FetchLike,
} from "./types.js";
