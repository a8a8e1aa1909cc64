/**
 * One process's presence entry for one channel, and how the entries of every process are merged
 * into what a channel's sockets are shown.
 *
 * Why per-process entries (not one shared set of users): an entry is written only by the process
 * it describes and carries an expiry, so a process that dies without a word (`kill -9`, a lost
 * machine) loses its members by expiry alone — nobody has to clean up after it. And a user with
 * tabs on two processes is in two entries under the same key: merged, they count once, and they
 * leave only when neither entry lists them.
 *
 * Precision of `count` (documented in the README): exact while each process lists all of its
 * users (at most `maxListed` each). Past that, users a process counts but does not list cannot be
 * matched across processes, so a user held unlisted by two processes counts twice.
 */
import { z } from "zod";
import { presenceProfileSchema, type PresenceMember, type PresenceProfile } from "../../shared/presence.js";

/** One process's presence of one channel. */
export interface PresenceEntry {
  /** The process that wrote it. */
  p: string;
  /** When it expires (epoch ms); 0 = the process left the channel. */
  exp: number;
  /** Distinct signed-in users the process holds on the channel. */
  users: number;
  /** Anonymous sockets the process holds on the channel (counted, never listed). */
  anon: number;
  /** Listed users `[key, joined at (epoch ms), profile]`, the earliest first, at most the cap. */
  list: [string, number, PresenceProfile][];
}

const entrySchema = z.object({
  p: z.string().min(1).max(128),
  exp: z.number().nonnegative(),
  users: z.number().int().nonnegative(),
  anon: z.number().int().nonnegative(),
  list: z.array(z.tuple([z.string().max(128), z.number(), presenceProfileSchema])).max(10_000),
});

/** What a channel's sockets are shown. */
export interface PresenceView {
  /** Signed-in users (each once) plus anonymous sockets. */
  count: number;
  /** Listed users, the earliest joined first, at most the cap. */
  members: PresenceMember[];
  /** Some counted users are not listed (the cap). */
  more: boolean;
}

export const EMPTY_VIEW: PresenceView = Object.freeze({ count: 0, members: Object.freeze([]) as unknown as PresenceMember[], more: false });

/**
 * Serialises an entry for the layer (pub/sub and the shared entries).
 *
 * @example
 * encodeEntry({ p: "a1", exp: Date.now() + 15_000, users: 1, anon: 0, list: [["k1", Date.now(), { name: "Ada" }]] });
 */
export function encodeEntry(entry: PresenceEntry): string {
  return JSON.stringify(entry);
}

/**
 * Parses an entry read from the layer; null for anything malformed (never throws).
 *
 * @example
 * parseEntry('{"p":"a1","exp":0,"users":0,"anon":0,"list":[]}')?.exp // 0
 * parseEntry("nope") // null
 */
export function parseEntry(text: string): PresenceEntry | null {
  try {
    const parsed = entrySchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as PresenceEntry) : null;
  } catch {
    return null;
  }
}

/**
 * Merges the live entries (expiry after `now`) of every process into one view: users keyed once
 * (the earliest join wins for the order and the profile), anonymous sockets added, at most
 * `maxListed` listed.
 *
 * @example
 * mergeEntries([entryOfA, entryOfB], Date.now(), 100); // { count: 3, members: [...], more: false }
 */
export function mergeEntries(entries: Iterable<PresenceEntry>, now: number, maxListed: number): PresenceView {
  const byKey = new Map<string, { t: number; profile: PresenceProfile }>();
  let users = 0;
  let anon = 0;
  let listed = 0;
  for (const entry of entries) {
    if (entry.exp <= now) continue;
    users += entry.users;
    anon += entry.anon;
    listed += entry.list.length;
    for (const [key, t, profile] of entry.list) {
      const known = byKey.get(key);
      if (!known || t < known.t) byKey.set(key, { t, profile });
    }
  }
  // A key listed by two processes is one user counted twice in `users`.
  const distinctUsers = Math.max(byKey.size, users - (listed - byKey.size));
  const members = [...byKey]
    .sort(([keyA, a], [keyB, b]) => a.t - b.t || (keyA < keyB ? -1 : keyA > keyB ? 1 : 0))
    .slice(0, maxListed)
    .map(([key, { profile }]) => ({ key, profile }));
  return { count: distinctUsers + anon, members, more: distinctUsers > members.length };
}
