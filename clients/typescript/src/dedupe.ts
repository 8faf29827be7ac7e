/** A window of recently received message ids: at most `size` are remembered, oldest forgotten
 * first.  Message ids are scoped to their sender (PROTOCOL.md §2), so the key holds both. */
export class DedupeWindow {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly size: number) {}

  private static key(sender: string | undefined, messageId: string): string {
    return (sender ?? "") + "\u0000" + messageId;
  }

  /** True when the id was seen already; otherwise remembers it and answers false. */
  seenBefore(sender: string | undefined, messageId: string): boolean {
    const k = DedupeWindow.key(sender, messageId);
    if (this.seen.has(k)) return true;
    this.seen.add(k);
    this.order.push(k);
    while (this.order.length > this.size) this.seen.delete(this.order.shift() as string);
    return false;
  }

  /** Forgets an id (its handler failed: a resend must be handled again). */
  forget(sender: string | undefined, messageId: string): void {
    const k = DedupeWindow.key(sender, messageId);
    if (!this.seen.delete(k)) return;
    const i = this.order.indexOf(k);
    if (i >= 0) this.order.splice(i, 1);
  }
}
