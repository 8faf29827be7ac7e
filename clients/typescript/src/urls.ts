/** URL helpers: the token goes into the `token` query parameter, every other parameter stays. */

function base(): string | undefined {
  const loc = (globalThis as { location?: { href?: string } }).location;
  return loc?.href;
}

/** `url` (absolute, or relative to the page) with `token` set when given. */
export function withToken(url: string, token: string | undefined): string {
  const u = new URL(url, base());
  if (token) u.searchParams.set("token", token);
  return u.toString();
}

/** The SSE upstream URL of PROTOCOL.md §6: the SSE path + `/send`, same query. */
export function sseSendUrl(sse: string): string {
  const u = new URL(sse, base());
  u.pathname = u.pathname.replace(/\/$/, "") + "/send";
  return u.toString();
}

/** A new message id for frames sent with `require_ack` that carry none. */
export function newMessageId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return "m-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}
