/** The close-code rules of PROTOCOL.md §5, as the client applies them. */

const NAMES: Record<number, string> = {
  1000: "normal",
  1001: "going_away",
  1006: "connection_lost",
  1008: "policy_violation",
  1009: "too_large",
  1011: "internal",
  1013: "overloaded",
  4001: "kicked",
  4002: "replaced",
  4003: "heartbeat_timeout",
  4004: "token_expired",
};

/** A dead hub (no frame for too long) is handled like the hub's own heartbeat timeout. */
export const DEAD_HUB = 4003;

/** The code's name, as the `error` event reports it. */
export function closeName(code: number): string {
  return NAMES[code] ?? "closed_" + code;
}

/** What to do after a close: stop for good, reconnect at once (with a new token), or after a
 * backoff delay.  1008, 4001 and 4002 say not to reconnect; 4004 needs a new token, which only
 * `getToken` can give. */
export function afterClose(code: number, canRenewToken: boolean): "stop" | "now" | "backoff" {
  if (code === 1008 || code === 4001 || code === 4002) return "stop";
  if (code === 4004) return canRenewToken ? "now" : "stop";
  return "backoff";
}
