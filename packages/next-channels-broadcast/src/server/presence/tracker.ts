/**
 * Presence of one gateway process: which sockets of this process hold each presence channel,
 * merged with what the other processes hold, sent to the channel's own sockets only.
 *
 * How it stays right across processes (see `entry.ts` for the entry and the merge):
 * - each process publishes its own entry of a channel on the layer (`presence:<channel>`, a group
 *   no client can name: channel names cannot contain `:`) whenever its members change, and keeps
 *   it in the layer's shared entries (`layer.presence`) with an expiry of half the timeout,
 *   refreshed every quarter;
 * - every quarter of the timeout each process re-reads the shared entries of its channels and
 *   drops expired ones, so the members of a process that died are gone within the timeout;
 * - a process that starts holding a channel reads the shared entries once, then follows the
 *   published changes.
 *
 * Traffic stays bounded: changes of a channel are gathered for `presenceFlushMs` (times one per
 * thousand local sockets, at most ten times) and sent as one frame, serialised once for all its
 * sockets; only the first `presenceMaxListed` users are listed, past them only the count moves.
 *
 * Hooks (`onJoin`, `onLeave`) run once per user per channel on the process where the change
 * happens: `onJoin` when a user's first socket arrives and no other process lists them,
 * `onLeave` when their last socket leaves and no other process lists them.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { PresenceDiffFrame, PresenceFrame, PresenceMember, PresenceProfile } from "../../shared/presence.js";
import { isValidChannelName } from "../../shared/channels.js";
import type { SocketUser } from "../auth/session.js";
import type { ChannelLayer } from "../layer/types.js";
import type { NotificationSettings } from "../settings.js";
import { prepareTextFrame } from "../gateway/frame.js";
import { EMPTY_VIEW, encodeEntry, mergeEntries, parseEntry, type PresenceEntry, type PresenceView } from "./entry.js";
import { readPresence } from "./read.js";

/** Largest profile `identify` may return, serialised. */
export const MAX_PROFILE_BYTES = 1_024;
/** An `identify` slower than this shows the user with an empty profile (a hung lookup must not hide them). */
export const IDENTIFY_TIMEOUT_MS = 2_000;

/** Passed to `onJoin` / `onLeave`. */
export interface PresenceEvent {
  channel: string;
  /** The user's id (server side only; never sent to browsers). */
  userId: string;
  /** What the channel's sockets are shown of the user. */
  member: PresenceMember;
}

/** Presence settings of a gateway (`createGateway({ presence })`). */
export interface PresenceOptions {
  /** Which channels have presence (opt-in; default none). Called for client channels only, never for reserved groups. */
  channels: (channel: string) => boolean;
  /**
   * What the channel's sockets are shown of a signed-in user: a small JSON object (at most 1 KB),
   * e.g. `{ name: "Ada" }`. Called once per socket. Default `{}` (counted and listed by an opaque
   * key only). A throw, an invalid answer or no answer within 2 s shows `{}` and is logged.
   */
  identify?: (user: SocketUser) => PresenceProfile | Promise<PresenceProfile>;
  /** Runs once when a user joins a channel (not once per tab). Errors are logged. */
  onJoin?: (event: PresenceEvent) => void | Promise<void>;
  /** Runs once when a user has left a channel (their last socket, on every process). Errors are logged. */
  onLeave?: (event: PresenceEvent) => void | Promise<void>;
  /**
   * Key of the opaque member keys (an HMAC of the user id). Processes that share a layer must
   * share it. Default: the gateway's token secret (`AUTH_SECRET`); without one, a random key
   * (fine for one process).
   */
  secret?: string;
}

/** The socket side the tracker needs (a gateway `Connection`). */
export interface PresenceSocket {
  readonly user: SocketUser | null;
  /** Whether the socket is (still) in `group`. */
  inGroup(group: string): boolean;
  readonly closing: boolean;
  deliver(frame: Buffer, wire?: Buffer): void;
}

interface LocalUser {
  userId: string;
  key: string;
  profile: PresenceProfile;
  sockets: number;
  joinedAt: number;
}

interface ChannelState {
  name: string;
  sockets: Set<PresenceSocket>;
  /** By member key, in join order (a Map keeps insertion order: the earliest first). */
  users: Map<string, LocalUser>;
  anon: number;
  /** Other processes' entries, by process id. */
  remote: Map<string, PresenceEntry>;
  /**
   * When (a `heard` sequence number) each process's entry or departure was last heard through
   * pub/sub: news heard after a read of the shared entries was issued is newer than that read
   * may be (the two travel on different connections), so the read must not undo it.
   */
  heard: Map<string, number>;
  /** Sockets owed the whole presence at the next flush. */
  fresh: Set<PresenceSocket>;
  /** The view last sent to the channel's sockets. */
  sent: PresenceView;
  timer: NodeJS.Timeout | null;
  /** Our entry changed since it was last published. */
  dirty: boolean;
  stop: Promise<(() => void) | null>;
}

/** The layer group a channel's presence entries are published on. */
export function presenceGroup(channel: string): string {
  return `presence:${channel}`;
}

export interface PresenceTrackerOptions {
  layer: ChannelLayer;
  settings: NotificationSettings;
  presence: PresenceOptions;
  /** Fallback key of member keys (`PresenceOptions.secret` first). */
  tokenSecret?: string;
  logger: Pick<Console, "warn" | "error">;
}

export class PresenceTracker {
  /** This process, in entries and pub/sub. */
  readonly processId = randomUUID();
  private readonly channels = new Map<string, ChannelState>();
  private readonly profiles = new WeakMap<PresenceSocket, Promise<PresenceProfile>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly secret: string;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;
  private lastJoinedAt = 0;
  /** Orders pub/sub news against reads of the shared entries (see `ChannelState.heard`). */
  private heardSeq = 0;
  /** Layer updates are failing (logged once until one succeeds). */
  private failing = false;

  constructor(private readonly options: PresenceTrackerOptions) {
    this.secret = options.presence.secret ?? options.tokenSecret ?? process.env.AUTH_SECRET ?? randomBytes(32).toString("hex");
    this.sweepTimer = setInterval(() => this.sweep(), this.refreshMs);
    this.sweepTimer.unref();
  }

  private get refreshMs(): number {
    return Math.max(250, Math.floor(this.options.settings.presenceTimeoutMs / 4));
  }

  /** How long a written entry lives: two refreshes, so one late refresh does not drop a live process. */
  private get entryTtlMs(): number {
    return this.refreshMs * 2;
  }

  /** True when `channel` has presence (asked once per join). */
  enabled(channel: string): boolean {
    // Reserved groups (`all`, `user:<id>`, …) never have presence, whatever the predicate says.
    if (!isValidChannelName(channel)) return false;
    try {
      return this.options.presence.channels(channel);
    } catch (error) {
      this.options.logger.error("[notifications] presence `channels` threw; the channel has no presence", error);
      return false;
    }
  }

  /**
   * The opaque key of a user in presence frames: the same in every process sharing the secret.
   *
   * @example
   * tracker.memberKey("42"); // "Hk3…" (22 characters)
   */
  memberKey(userId: string): string {
    return createHmac("sha256", this.secret).update(`ncb-presence\0${userId}`).digest("base64url").slice(0, 22);
  }

  /** `socket` now holds `channel` (called by the join path). Resolves once it is counted. */
  async enter(socket: PresenceSocket, channel: string): Promise<void> {
    if (this.closed || !this.enabled(channel)) return;
    const profile = socket.user ? await this.profileOf(socket, socket.user) : null;
    // The socket may have left (or closed) while `identify` answered.
    if (this.closed || socket.closing || !socket.inGroup(channel)) return;
    const state = this.channels.get(channel) ?? this.open(channel);
    if (state.sockets.has(socket)) return;
    state.sockets.add(socket);
    state.fresh.add(socket);
    if (socket.user && profile) {
      const key = this.memberKey(socket.user.id);
      const known = state.users.get(key);
      if (known) known.sockets += 1;
      else {
        // Strictly increasing here, so users who join within one millisecond keep their order.
        this.lastJoinedAt = Math.max(Date.now(), this.lastJoinedAt + 0.001);
        const user: LocalUser = { userId: socket.user.id, key, profile, sockets: 1, joinedAt: this.lastJoinedAt };
        const elsewhere = this.listedElsewhere(state, key);
        state.users.set(key, user);
        if (!elsewhere) this.runHook("onJoin", channel, user);
      }
    } else {
      state.anon += 1;
    }
    state.dirty = true;
    this.schedule(state);
  }

  /** `socket` no longer holds `channel` (called by the join path's leave). */
  exit(socket: PresenceSocket, channel: string): void {
    const state = this.channels.get(channel);
    if (!state || !state.sockets.delete(socket)) return;
    state.fresh.delete(socket);
    if (socket.user) {
      const key = this.memberKey(socket.user.id);
      const user = state.users.get(key);
      if (user && --user.sockets === 0) {
        state.users.delete(key);
        if (!this.listedElsewhere(state, key)) this.runHook("onLeave", channel, user);
      }
    } else {
      state.anon = Math.max(0, state.anon - 1);
    }
    if (state.sockets.size === 0) return this.shut(state);
    state.dirty = true;
    this.schedule(state);
  }

  /**
   * The presence of `channel` over every process: this process's view when it holds the channel,
   * else read from the layer's shared entries.
   */
  async view(channel: string): Promise<PresenceView> {
    const state = this.channels.get(channel);
    if (state) return this.merged(state);
    return readPresence(this.options.layer, channel, { maxListed: this.options.settings.presenceMaxListed });
  }

  /** Stops the refresh; removes this process's entries (sockets should have left first). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const state of [...this.channels.values()]) this.shut(state);
    await Promise.allSettled([...this.pending]);
  }

  private profileOf(socket: PresenceSocket, user: SocketUser): Promise<PresenceProfile> {
    let profile = this.profiles.get(socket);
    if (!profile) {
      profile = this.identify(user);
      this.profiles.set(socket, profile);
    }
    return profile;
  }

  private async identify(user: SocketUser): Promise<PresenceProfile> {
    const identify = this.options.presence.identify;
    if (!identify) return {};
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`identify took longer than ${IDENTIFY_TIMEOUT_MS} ms`)), IDENTIFY_TIMEOUT_MS);
      });
      const answer = Promise.resolve().then(() => identify(user));
      answer.catch(() => undefined); // a late rejection after the timeout is not an unhandled one
      const profile: unknown = await Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
      if (typeof profile !== "object" || profile === null || Array.isArray(profile)) throw new TypeError("identify must return a plain object");
      const text = JSON.stringify(profile);
      if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) throw new RangeError(`identify returned ${Buffer.byteLength(text)} bytes (at most ${MAX_PROFILE_BYTES})`);
      // A JSON copy: what is sent is exactly what was checked, with no getters or prototypes.
      return JSON.parse(text) as PresenceProfile;
    } catch (error) {
      this.options.logger.error("[notifications] presence identify failed; the user is shown with an empty profile", error);
      return {};
    }
  }

  private listedElsewhere(state: ChannelState, key: string): boolean {
    const now = Date.now();
    for (const entry of state.remote.values()) {
      if (entry.exp > now && entry.list.some(([listed]) => listed === key)) return true;
    }
    return false;
  }

  private runHook(name: "onJoin" | "onLeave", channel: string, user: LocalUser): void {
    const hook = this.options.presence[name];
    if (!hook) return;
    const event: PresenceEvent = { channel, userId: user.userId, member: { key: user.key, profile: user.profile } };
    void Promise.resolve()
      .then(() => hook(event))
      .catch((error: unknown) => this.options.logger.error(`[notifications] presence ${name} threw`, error));
  }

  private open(channel: string): ChannelState {
    const state: ChannelState = {
      name: channel,
      sockets: new Set(),
      users: new Map(),
      anon: 0,
      remote: new Map(),
      heard: new Map(),
      fresh: new Set(),
      sent: EMPTY_VIEW,
      timer: null,
      dirty: false,
      stop: Promise.resolve(null),
    };
    this.channels.set(channel, state);
    state.stop = this.options.layer
      .subscribe(presenceGroup(channel), (text) => this.onRemote(state, text))
      .then(
        async (stop) => {
          await this.reload(state);
          return stop;
        },
        (error: unknown) => {
          this.options.logger.error(`[notifications] presence of ${channel} cannot follow other processes (layer subscribe failed)`, error);
          return null;
        },
      );
    return state;
  }

  /** Last local socket gone: our entry is removed (and announced), the subscription dropped. */
  private shut(state: ChannelState): void {
    if (this.channels.get(state.name) !== state) return;
    this.channels.delete(state.name);
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
    const { layer } = this.options;
    const gone: PresenceEntry = { p: this.processId, exp: 0, users: 0, anon: 0, list: [] };
    this.track(layer.publish(presenceGroup(state.name), encodeEntry(gone)));
    if (layer.presence) this.track(layer.presence.remove(state.name, this.processId));
    this.track(
      state.stop.then((stop) => stop?.()),
      false, // a local unsubscribe: says nothing about the layer
    );
  }

  /**
   * Keeps `work` (a layer write, read or publish) until it settles, for `close`. Failures are logged
   * once per outage, not once per channel and refresh: a Redis outage fails them all.
   */
  private track(work: Promise<unknown>, reachesLayer = true): void {
    const tracked = work.then(
      () => {
        if (!reachesLayer || !this.failing) return;
        this.failing = false;
        this.options.logger.warn("[notifications] presence updates reach the channel layer again");
      },
      (error: unknown) => {
        if (this.failing) return;
        this.failing = true;
        this.options.logger.warn(
          `[notifications] presence updates cannot reach the channel layer (${error instanceof Error ? error.message : String(error)}); other processes will see this one's members expire until it is back`,
        );
      },
    );
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private onRemote(state: ChannelState, text: string): void {
    const entry = parseEntry(text);
    if (!entry || entry.p === this.processId || this.channels.get(state.name) !== state) return;
    state.heard.set(entry.p, ++this.heardSeq);
    if (entry.exp === 0) state.remote.delete(entry.p);
    else state.remote.set(entry.p, entry);
    this.schedule(state);
  }

  /** Replaces the other processes' entries with the shared ones (expired ones are ignored by the merge). */
  private async reload(state: ChannelState): Promise<void> {
    const shared = this.options.layer.presence;
    if (!shared) return;
    const issued = this.heardSeq;
    const read = await shared.read(state.name);
    if (this.channels.get(state.name) !== state) return;
    const now = Date.now();
    const next = new Map<string, PresenceEntry>();
    for (const [processId, text] of read) {
      if (processId === this.processId) continue;
      const entry = parseEntry(text);
      if (entry && entry.exp > now) next.set(processId, entry);
    }
    for (const [processId, seq] of state.heard) {
      if (seq <= issued) {
        state.heard.delete(processId);
        continue;
      }
      const heard = state.remote.get(processId);
      if (heard) next.set(processId, heard);
      else next.delete(processId);
    }
    state.remote = next;
    this.schedule(state);
  }

  /** Every refresh: our entries get a new expiry, others' are re-read (a dead process's expire). */
  private sweep(): void {
    const shared = this.options.layer.presence;
    for (const state of this.channels.values()) {
      if (shared) {
        this.track(shared.write(state.name, this.processId, encodeEntry(this.ownEntry(state)), this.entryTtlMs * 2));
        this.track(this.reload(state));
      } else {
        this.schedule(state);
      }
    }
  }

  private ownEntry(state: ChannelState): PresenceEntry {
    const list: PresenceEntry["list"] = [];
    for (const user of state.users.values()) {
      if (list.length >= this.options.settings.presenceMaxListed) break;
      list.push([user.key, user.joinedAt, user.profile]);
    }
    return { p: this.processId, exp: Date.now() + this.entryTtlMs, users: state.users.size, anon: state.anon, list };
  }

  private merged(state: ChannelState): PresenceView {
    const own = { ...this.ownEntry(state), exp: Number.POSITIVE_INFINITY };
    return mergeEntries([own, ...state.remote.values()], Date.now(), this.options.settings.presenceMaxListed);
  }

  private schedule(state: ChannelState): void {
    if (state.timer || this.channels.get(state.name) !== state) return;
    const factor = Math.min(10, Math.max(1, Math.ceil(state.sockets.size / 1_000)));
    state.timer = setTimeout(() => this.flush(state), this.options.settings.presenceFlushMs * factor);
    state.timer.unref();
  }

  /** Publishes our entry if it changed, then sends the channel's sockets what changed (whole view to new ones). */
  private flush(state: ChannelState): void {
    state.timer = null;
    if (this.channels.get(state.name) !== state) return;
    if (state.dirty) {
      state.dirty = false;
      const text = encodeEntry(this.ownEntry(state));
      const { layer } = this.options;
      if (layer.presence) this.track(layer.presence.write(state.name, this.processId, text, this.entryTtlMs * 2));
      this.track(layer.publish(presenceGroup(state.name), text));
    }
    const view = this.merged(state);
    const diff = diffViews(state.sent, view);
    state.sent = view;
    let whole: ReturnType<typeof prepareTextFrame> | null = null;
    if (state.fresh.size > 0) {
      const frame: PresenceFrame = { type: "presence", channel: state.name, count: view.count, members: view.members, more: view.more };
      whole = prepareTextFrame(JSON.stringify(frame));
    }
    const changed =
      diff !== null ? prepareTextFrame(JSON.stringify({ type: "presence_diff", channel: state.name, ...diff } satisfies PresenceDiffFrame)) : null;
    for (const socket of state.sockets) {
      if (state.fresh.has(socket)) socket.deliver(whole!.payload, whole!.wire);
      else if (changed) socket.deliver(changed.payload, changed.wire);
    }
    state.fresh.clear();
  }
}

/**
 * What changed from `before` to `after`, or null when nothing did.
 *
 * @example
 * diffViews({ count: 1, members: [a], more: false }, { count: 2, members: [a, b], more: false });
 * // { count: 2, joined: [b], left: [], more: false }
 */
export function diffViews(before: PresenceView, after: PresenceView): Omit<PresenceDiffFrame, "type" | "channel"> | null {
  const old = new Map(before.members.map((member) => [member.key, JSON.stringify(member.profile)]));
  const now = new Set(after.members.map((member) => member.key));
  const joined = after.members.filter((member) => old.get(member.key) !== JSON.stringify(member.profile));
  const left = before.members.filter((member) => !now.has(member.key)).map((member) => member.key);
  if (joined.length === 0 && left.length === 0 && before.count === after.count && before.more === after.more) return null;
  return { count: after.count, joined, left, more: after.more };
}
