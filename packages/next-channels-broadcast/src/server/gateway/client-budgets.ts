/**
 * Client-frame budgets shared by all sockets of one user (or, for anonymous sockets, of one
 * address). The per-socket limit stops one socket from flooding; this stops a user from
 * multiplying it by opening many sockets. Frames over the budget are dropped, not the sockets:
 * a throttled user loses nothing it is owed, and nobody else is affected.
 */
import { TokenBucket } from "../rate-limit.js";

interface Entry {
  /** The key itself, so every socket of the key shares one string (see `join`). */
  key: string;
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

  /**
   * A socket with this key opened: it shares the key's budget until `leave`. Returns the key as
   * first stored, for the socket to keep: ten tabs of one user then hold one string, not ten.
   */
  join(key: string): string {
    const entry = this.entries.get(key);
    if (entry) {
      entry.sockets += 1;
      return entry.key;
    }
    this.entries.set(key, { key, bucket: new TokenBucket(this.perSecond), sockets: 1 });
    return key;
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
