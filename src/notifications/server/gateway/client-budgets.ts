/**
 * Client-frame budgets shared by all sockets of one user (or, for anonymous sockets, of one
 * address). The per-socket limit stops one socket from flooding; this stops a user from
 * multiplying it by opening many sockets. Frames over the budget are dropped, not the sockets:
 * a throttled user loses nothing it is owed, and nobody else is affected.
 */
import { TokenBucket } from "../rate-limit";

interface Entry {
  bucket: TokenBucket;
  sockets: number;
}

export class ClientBudgets {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly perSecond: number) {}

  /** The budget key of a socket: its user, or its address when anonymous. */
  static keyOf(userId: string | null, address: string): string {
    return userId !== null ? `user:${userId}` : `address:${address}`;
  }

  /** A socket with this key opened: it shares the key's budget until `leave`. */
  join(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.sockets += 1;
    else this.entries.set(key, { bucket: new TokenBucket(this.perSecond), sockets: 1 });
  }

  /** A socket with this key closed; the budget is forgotten with its last socket. */
  leave(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.sockets -= 1;
    if (entry.sockets <= 0) this.entries.delete(key);
  }

  /** Spends one frame of the key's budget; false when it is used up. */
  take(key: string): boolean {
    return this.entries.get(key)?.bucket.take() ?? true;
  }
}
