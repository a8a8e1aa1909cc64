/**
 * Revoked sessions: which open (or opening) sockets belong to a session that was signed out, or
 * to a user whose sessions were all revoked (deleted user, "sign out everywhere").
 *
 * Cheap by default: nothing is read per frame. The gateway asks once per handshake (one indexed
 * look-up) and once per sweep for all its open sockets (one query per batch of users); a
 * revocation made in this process is known at once, without the store.
 */
import { coalesceCalls } from "../batching.js";
import type { NotificationStore, RevocationSubject } from "../store/types.js";
import { revocationKey } from "../store/wire.js";
import type { SocketUser } from "./session.js";

/** Most subjects asked of the store in one query. */
const QUERY_BATCH = 1_000;

export interface RevocationList {
  /** Records a revocation made in this process (also what protects a process without a store). */
  remember(subject: RevocationSubject, atMs: number): void;
  /** The sockets' users among `users` whose session is revoked. One store query per 1,000 users. */
  revoked(users: readonly SocketUser[]): Promise<Set<SocketUser>>;
  /**
   * Whether one handshake's user is revoked. Calls made while a look-up is in flight are answered
   * together by the next one: 1,000 handshakes at once cost a few queries, not 1,000, and a lone
   * handshake still waits for exactly one.
   */
  isRevoked(user: SocketUser): Promise<boolean>;
}

export interface RevocationListOptions {
  /** Where revocations are kept across processes and restarts. Without it only this process's memory counts. */
  store?: NotificationStore;
  /** How long this process remembers a revocation it made itself. Default 30 days. */
  memoryTtlMs?: number;
  /** Most revocations remembered in memory (oldest forgotten first). Default 10,000. */
  memoryCapacity?: number;
  /** The clock (tests). */
  now?: () => number;
}

function subjectsOf(user: SocketUser): RevocationSubject[] {
  return user.sessionId ? [{ sessionId: user.sessionId }, { userId: user.id }] : [{ userId: user.id }];
}

/**
 * True when `user`'s session is revoked according to `found` (revocation key → when, in ms): its
 * session id was revoked, or its user's sessions were revoked at or after it was issued (a token
 * with no issue time counts as issued before).
 *
 * @example
 * isRevoked({ id: "42", expiresAt: null, issuedAt: 1_000 }, new Map([["user:42", 2_000]])) // true
 */
export function isRevoked(user: SocketUser, found: ReadonlyMap<string, number>): boolean {
  if (user.sessionId && found.has(revocationKey({ sessionId: user.sessionId }))) return true;
  const userRevokedAt = found.get(revocationKey({ userId: user.id }));
  if (userRevokedAt === undefined) return false;
  return user.issuedAt == null || user.issuedAt <= userRevokedAt;
}

/**
 * Creates the revocation list the gateway consults.
 *
 * @example
 * const revocations = createRevocationList({ store });
 * const revoked = await revocations.revoked([socketUser]);
 */
export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const now = options.now ?? Date.now;
  const memoryTtlMs = options.memoryTtlMs ?? 30 * 24 * 60 * 60 * 1000;
  const capacity = options.memoryCapacity ?? 10_000;
  /** key → revoked at; insertion order = age, so the oldest is first. */
  const memory = new Map<string, number>();

  function fromMemory(keys: Iterable<string>, into: Map<string, number>): void {
    const cutoff = now() - memoryTtlMs;
    for (const key of keys) {
      const at = memory.get(key);
      if (at === undefined) continue;
      if (at < cutoff) memory.delete(key);
      else into.set(key, Math.max(at, into.get(key) ?? at));
    }
  }

  async function revoked(users: readonly SocketUser[]): Promise<Set<SocketUser>> {
    const result = new Set<SocketUser>();
    if (users.length === 0) return result;
    const subjects = new Map<string, RevocationSubject>();
    for (const user of users) for (const subject of subjectsOf(user)) subjects.set(revocationKey(subject), subject);
    const found = new Map<string, number>();
    if (options.store) {
      const all = [...subjects.values()];
      for (let start = 0; start < all.length; start += QUERY_BATCH) {
        for (const [key, at] of await options.store.revocations(all.slice(start, start + QUERY_BATCH))) found.set(key, at);
      }
    }
    fromMemory(subjects.keys(), found);
    for (const user of users) if (isRevoked(user, found)) result.add(user);
    return result;
  }

  // One mechanism for batching look-ups (batching.ts): the first handshake alone, the ones
  // arriving meanwhile together.
  const isRevokedBatched = coalesceCalls(async (batch: SocketUser[]) => {
    const found = await revoked(batch);
    return batch.map((user) => found.has(user));
  }, { maxBatch: QUERY_BATCH });

  return {
    revoked,
    isRevoked: isRevokedBatched,
    remember(subject, atMs) {
      const key = revocationKey(subject);
      memory.delete(key);
      memory.set(key, Math.max(atMs, memory.get(key) ?? atMs));
      while (memory.size > capacity) memory.delete(memory.keys().next().value as string);
    },
  };
}
