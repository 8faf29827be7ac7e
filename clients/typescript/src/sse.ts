/** The SSE transport's pieces (PROTOCOL.md §6): which events to listen to, and the upstream POST. */
import type { FetchLike, WscError } from "./types.js";
import { withToken } from "./urls.js";

/* EventSource hands out only the named events it was told about; the hub names each event after
 * the frame's message_type. */
const HUB_EVENTS = ["message", "text", "connected", "ack", "error", "pong", "kick_out"];

export function sseEventNames(extra: string[] | undefined): string[] {
  return [...new Set([...HUB_EVENTS, ...(extra ?? [])])];
}

/** A refused POST: the hub's error body (§1), or the HTTP status. */
export class SseSendError extends Error {
  constructor(readonly wsc: WscError) {
    super(wsc.code);
  }
}

/** POSTs one frame to the SSE upstream with the token in the query and as a Bearer header.
 * Resolves once the hub took it; throws SseSendError when refused, or the fetch error. */
export async function ssePost(
  fetchImpl: FetchLike | undefined,
  url: string,
  token: string | undefined,
  text: string,
): Promise<void> {
  const f = fetchImpl ?? (globalThis as { fetch?: FetchLike }).fetch;
  if (!f) throw new Error("no fetch implementation");
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await f(withToken(url, token), { method: "POST", headers, body: text });
  if (res.ok) return;
  let err: WscError = { code: "send_failed", reason: "HTTP " + res.status };
  try {
    const body = JSON.parse(await res.text());
    if (body && body.error) err = { code: String(body.error), reason: String(body.reason ?? "") };
  } catch {
    /* keep the status */
  }
  throw new SseSendError(err);
}
