/** What the client needs from its environment that browsers and Node offer differently. */

export interface WindowEvents {
  addEventListener(type: string, cb: () => void): void;
  removeEventListener(type: string, cb: () => void): void;
}

/** The page's window events (browsers), or undefined (Node, workers without them). */
export function windowEvents(): WindowEvents | undefined {
  const g = globalThis as Partial<WindowEvents>;
  return typeof g.addEventListener === "function" && typeof g.removeEventListener === "function"
    ? (g as WindowEvents)
    : undefined;
}

/** Bytes of s in UTF-8. */
export function byteLength(s: string): number {
  return typeof TextEncoder !== "undefined" ? new TextEncoder().encode(s).length : s.length;
}
