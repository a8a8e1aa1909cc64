/**
 * One accepted websocket: its user, its groups, its position, its liveness and its limits.
 *
 * Delivery bookkeeping kept here, all O(1) per frame because it sits on the fan-out hot path:
 * - `position`: the highest stored id delivered to this socket — what an outage catch-up
 *   resumes from;
 * - the join buffer: while a join is in progress (see `join.ts`) live frames wait here, so what the
 *   store owes goes out first and nothing overtakes it;
 * - pending acks: ids of inbox rows delivered that await an ack; an ack for any other id costs
 *   nothing (no database work);
 * - ack credit: every delivered frame with an id lets the client send one ack frame without
 *   spending its frame-rate budget, so a client that acks everything (the original client) is
 *   never cut in the middle of its replay;
 * - unconfirmed bytes: sent, but not yet shown read by a pong. A pong to a ping proves the
 *   client read everything sent before that ping, so the slow-consumer limit counts what sits in
 *   the kernel's send buffer too, not only ws' own queue: past the limit a probe ping is sent,
 *   and a client that has not answered it within a second — or has twice the limit unread — is
 *   cut. A client that never reads so pins at most about twice the limit, kernel included.
 */
import { WebSocket } from "ws";
import { CloseCode } from "../../shared/close-codes.js";
import type { ServerFrame } from "../../shared/protocol.js";
import type { SocketUser } from "../auth/session.js";
import { corkSocket, flushSocket, supportsPreparedFrames, uncorkSocket, writePreparedFrame } from "./frame.js";
import type { GroupMember } from "./groups.js";
import { FULL_BUCKET, type RateLimit } from "../rate-limit.js";

/**
 * Who holds a client-requested channel on a socket: the `ref` of the `subscribe` frame that asked
 * for it, or null for a hold without a ref (a ref-less `subscribe`, or the handshake's
 * `?extraChannels=` / `?subscription_token=`), which only a `channels` unsubscribe drops.
 */
export type Holder = string | null;

const NO_CHANNELS: ReadonlyMap<string, ReadonlySet<Holder>> = new Map();
const NO_GROUPS: readonly string[] = Object.freeze([]);

/** Inbox ids remembered as awaiting an ack (the oldest are forgotten first; they are replayed anyway). */
const MAX_PENDING_ACKS = 512;
/** Ack frames a socket may have in hand without spending frame-rate budget. */
const MAX_ACK_CREDIT = 512;
/** Pings whose pong is awaited, for the unconfirmed-bytes count (heartbeat + one probe is the most needed). */
const MAX_PING_MARKS = 4;
/** How long a client that is over the unread limit has to answer a ping before it is cut. */
const PONG_GRACE_MS = 1_000;

/** A ping sent: how many bytes had been sent before it, and when. Its pong confirms those bytes. */
interface PingMark {
  bytes: number;
  at: number;
}

/**
 * What every socket of a gateway shares: its limits and the gateway's hooks. One object for all of
 * them rather than three fields per socket.
 */
export interface ConnectionContext {
  /** Unread bytes past which a socket is a slow consumer. */
  maxBufferedBytes: number;
  /** The client-frame rate of one socket (each socket keeps only its state, a number). */
  frameRate: RateLimit;
  /** The socket has more unread than the limit: the gateway cuts it. */
  onSlowConsumer(connection: Connection): void;
  /** A gateway-to-gateway control message for a group the socket is in (see `control.ts`). */
  onControl?(connection: Connection, action: string): void;
}

/** Live frames held back while the socket joins groups, and how many joins are in progress. */
interface JoinBuffer {
  frames: BufferedFrame[];
  bytes: number;
  depth: number;
}

/** A live frame held back while the socket joins groups. */
export interface BufferedFrame {
  payload: Buffer;
  wire: Buffer | undefined;
  id: number | null;
  ack: boolean;
}

export class Connection implements GroupMember {
  /**
   * Every group this socket is in: trusted ones and granted channels. An exact-length array,
   * replaced (never changed) when a group is added or removed: a socket is in two or three
   * groups, and a `Set` per socket cost ~150 bytes of an idle socket's heap (bench/README.md).
   */
  private groupNames: readonly string[] = NO_GROUPS;
  /**
   * Client-requested channel → the requests holding it. Most sockets never ask for a channel, so
   * the map is only made on first use and dropped again when the last channel goes.
   */
  private holds: Map<string, Set<Holder>> | undefined;
  /** Cleared by each heartbeat, set by each pong or client frame. */
  alive = true;
  /** Set once the socket is on its way out, so it gets no more frames. */
  closing = false;
  /** The highest stored id this socket was sent (or the position it connected with); null = none known. */
  position: number | null = null;
  /** Set while the channel layer is down: the position an outage catch-up must resume from. */
  catchUpFrom: number | null | undefined;
  /** Its client-frame rate limit's state (see `RateLimit`): a number, not an object per socket. */
  private frameClock = FULL_BUCKET;
  /** The key its client-frame budget is counted under (its user, or its address). */
  budgetKey = "";
  /** Pre-built frames may be written to this socket directly (see `frame.ts`). */
  private readonly preparedFrames: boolean;
  /** Only while a join is in progress (see `join.ts`). */
  private joinBuffer: JoinBuffer | undefined;
  private pendingAcks: Set<number> | undefined;
  private ackCredit = 0;
  /** The last inbox id of a full replay page: its ack asks for the next page (see JoinPath.nextInboxPage). */
  inboxPageEnd: number | null = null;
  private sentBytes = 0;
  private confirmedBytes = 0;
  private pingMarks: PingMark[] | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly user: SocketUser | null,
    private readonly context: ConnectionContext,
    /** The client's address as the gateway judged it (for per-address caps and budgets). */
    readonly address: string = "",
  ) {
    this.preparedFrames = supportsPreparedFrames(ws);
  }

  /** Every group this socket is in (do not keep: a later change replaces the array). */
  get groups(): readonly string[] {
    return this.groupNames;
  }

  /** Whether this socket is in `group`. */
  inGroup(group: string): boolean {
    return this.groupNames.includes(group);
  }

  /** Puts `group` in its list; false when it was there already. */
  addGroup(group: string): boolean {
    if (this.groupNames.includes(group)) return false;
    this.groupNames = this.groupNames.concat(group);
    return true;
  }

  /** Takes `group` out of its list; false when it was not there. */
  removeGroup(group: string): boolean {
    if (!this.groupNames.includes(group)) return false;
    this.groupNames = this.groupNames.length === 1 ? NO_GROUPS : this.groupNames.filter((name) => name !== group);
    return true;
  }

  /** The client-requested channels it holds (keys; a subset of `groups`), each with its holders. */
  get channels(): ReadonlyMap<string, ReadonlySet<Holder>> {
    return this.holds ?? NO_CHANNELS;
  }

  /** Number of distinct subscribe `ref`s holding at least one channel. */
  refCount(): number {
    const refs = new Set<Holder>();
    for (const holders of this.channels.values()) for (const holder of holders) if (holder !== null) refs.add(holder);
    return refs.size;
  }

  /** Records that `holder` holds `name`; true when the socket did not hold `name` before. */
  hold(name: string, holder: Holder): boolean {
    const holds = (this.holds ??= new Map());
    const holders = holds.get(name);
    if (holders) {
      holders.add(holder);
      return false;
    }
    holds.set(name, new Set([holder]));
    return true;
  }

  /** Channels `ref` holds, in the order they were first held. */
  heldBy(ref: string): string[] {
    const names: string[] = [];
    for (const [name, holders] of this.channels) if (holders.has(ref)) names.push(name);
    return names;
  }

  /** Releases every hold of `ref`; returns the channels nobody holds any more (now dropped). */
  release(ref: string): string[] {
    const dropped: string[] = [];
    if (!this.holds) return dropped;
    for (const [name, holders] of this.holds) {
      if (!holders.delete(ref) || holders.size > 0) continue;
      this.holds.delete(name);
      dropped.push(name);
    }
    if (this.holds.size === 0) this.holds = undefined;
    return dropped;
  }

  /** Drops `name` whoever holds it; false when the socket did not hold it. */
  dropChannel(name: string): boolean {
    if (!this.holds?.delete(name)) return false;
    if (this.holds.size === 0) this.holds = undefined;
    return true;
  }

  clearChannels(): void {
    this.holds = undefined;
  }

  /** The user as the authorizer sees it. */
  get principal(): { id: string } | null {
    return this.user ? { id: this.user.id } : null;
  }

  /**
   * Delivers a live frame from the fan-out; `wire`, when given, is the same frame already framed
   * once for all sockets. `id` / `ack` are the frame's stored id and ack request, read once per
   * message. While a join is in progress the frame waits in the join buffer instead.
   */
  deliver(frame: Buffer, wire?: Buffer, id: number | null = null, ack = false): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    const held = this.joinBuffer;
    if (held !== undefined) {
      held.frames.push({ payload: frame, wire, id, ack });
      held.bytes += frame.length;
      if (held.bytes > this.context.maxBufferedBytes) this.context.onSlowConsumer(this);
      return;
    }
    this.write(frame, wire, id, ack);
  }

  /** Sends one stored frame now, ahead of any buffered live frame (a join's replay). */
  sendStored(text: string, id: number | null, ack: boolean): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    this.write(Buffer.from(text), undefined, id, ack);
  }

  private write(frame: Buffer, wire: Buffer | undefined, id: number | null, ack: boolean): void {
    const limit = this.context.maxBufferedBytes;
    if (this.ws.bufferedAmount + frame.length > limit || this.isOverUnreadLimit(frame.length, limit)) {
      this.context.onSlowConsumer(this);
      return;
    }
    if (!(wire !== undefined && this.preparedFrames && writePreparedFrame(this.ws, wire))) this.ws.send(frame, { binary: false });
    this.sentBytes += frame.length;
    if (id !== null) {
      if (this.position === null || id > this.position) this.position = id;
      if (this.ackCredit < MAX_ACK_CREDIT) this.ackCredit += 1;
      if (ack) this.expectAck(id);
    }
    // Half the limit unconfirmed: ask for a pong now rather than wait for the next heartbeat, so a
    // client that reads is never mistaken for one that does not.
    if (this.sentBytes - this.confirmedBytes > limit / 2 && (this.pingMarks === undefined || this.pingMarks.length === 0)) this.ping();
  }

  /**
   * Over the unread limit: twice the limit unread, or the limit unread and the oldest ping
   * unanswered for longer than the grace (a reading client answers within milliseconds).
   */
  private isOverUnreadLimit(adding: number, limit: number): boolean {
    const unread = this.sentBytes - this.confirmedBytes + adding;
    if (unread <= limit) return false;
    if (unread > 2 * limit) return true;
    const oldest = this.pingMarks?.[0];
    if (oldest === undefined) {
      this.ping();
      return false;
    }
    return performance.now() - oldest.at > PONG_GRACE_MS;
  }

  private expectAck(id: number): void {
    const pending = (this.pendingAcks ??= new Set());
    pending.add(id);
    if (pending.size > MAX_PENDING_ACKS) pending.delete(pending.values().next().value as number);
  }

  /**
   * Takes the acked ids this socket was sent and still awaits; the rest (never sent, not inbox
   * rows, already acked) are dropped here and cost nothing further.
   */
  takeAcks(ids: readonly number[]): number[] {
    const pending = this.pendingAcks;
    if (pending === undefined) return [];
    const taken: number[] = [];
    for (const id of ids) if (pending.delete(id)) taken.push(id);
    if (pending.size === 0) this.pendingAcks = undefined;
    return taken;
  }

  /** Spends one ack credit; false when the socket has acked more frames than it was sent. */
  spendAckCredit(): boolean {
    if (this.ackCredit === 0) return false;
    this.ackCredit -= 1;
    return true;
  }

  /** Starts holding live frames back (a join begins). Nested joins share one buffer. */
  startBuffering(): void {
    (this.joinBuffer ??= { frames: [], bytes: 0, depth: 0 }).depth += 1;
  }

  /**
   * Ends a join: when the outermost one ends, sends the held frames — those with an id in id
   * order (in the slots such frames held), skipping ids the join's replay already sent, and
   * progress older than the version the replay sent for its group.
   */
  finishBuffering(sentIds: ReadonlySet<number>, progressVersions: ReadonlyMap<string, number>): void {
    // None: no join in progress, or the socket closed meanwhile (it dropped what was held).
    const buffer = this.joinBuffer;
    if (buffer === undefined) return;
    buffer.depth -= 1;
    if (buffer.depth > 0) return;
    this.joinBuffer = undefined;
    const kept = buffer.frames.filter((frame) => (frame.id !== null ? !sentIds.has(frame.id) : !isStaleProgress(frame.payload, progressVersions)));
    const slots = kept.flatMap((frame, index) => (frame.id !== null ? [index] : []));
    const ordered = slots.map((index) => kept[index]!).sort((a, b) => a.id! - b.id!);
    slots.forEach((slot, index) => (kept[slot] = ordered[index]!));
    for (const frame of kept) this.deliver(frame.payload, frame.wire, frame.id, frame.ack);
  }

  /**
   * Holds this socket's writes back until `uncork()`, which sends them as one write (one system
   * call for a join's replay, its answer and the frames held meanwhile). False when the socket
   * cannot be corked (already closing, or a ws without the underlying socket): then do not uncork.
   */
  cork(): boolean {
    return !this.closing && corkSocket(this.ws);
  }

  /** Sends what `cork()` held back. */
  uncork(): void {
    uncorkSocket(this.ws);
  }

  /** Bytes sent that the client has not yet shown it read (see the file header). */
  get unreadBytes(): number {
    return this.sentBytes - this.confirmedBytes;
  }

  /** Sends a protocol ping and remembers how much had been sent, so its pong confirms it. */
  ping(): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    const marks = (this.pingMarks ??= []);
    if (marks.length >= MAX_PING_MARKS) marks.shift();
    marks.push({ bytes: this.sentBytes, at: performance.now() });
    this.ws.ping();
  }

  /** A pong arrived: everything sent before the oldest outstanding ping has been read. */
  onPong(): void {
    this.alive = true;
    const marks = this.pingMarks;
    if (marks === undefined) return;
    const mark = marks.shift();
    // Nothing awaited: an idle socket keeps no array between heartbeats.
    if (marks.length === 0) this.pingMarks = undefined;
    if (mark !== undefined && mark.bytes > this.confirmedBytes) this.confirmedBytes = mark.bytes;
  }

  /** Handles a gateway-to-gateway control message addressed to a group this socket is in. */
  control(action: string): void {
    if (!this.closing) this.context.onControl?.(this, action);
  }

  /** Sends one control frame to this socket only. */
  sendFrame(frame: ServerFrame): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  /** Takes one token from the client-frame budget; false when the client is flooding. */
  allowClientFrame(): boolean {
    const next = this.context.frameRate.take(this.frameClock);
    if (next === null) return false;
    this.frameClock = next;
    return true;
  }

  /** Starts closing with `code`; a peer that does not finish the close handshake is cut. */
  close(code: CloseCode, reason: string, graceMs = 1_000): void {
    this.closing = true;
    this.joinBuffer = undefined;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(code, reason);
    // A socket still in its handshake's join is corked (its 101 waits for the replay): the close
    // must not wait for that join, or the client would get nothing before the grace ends.
    flushSocket(this.ws);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  /** Releases what it holds; called once the socket has closed. */
  dispose(): void {
    this.closing = true;
    this.joinBuffer = undefined;
  }
}

/** A buffered progress frame whose group's replay already sent an equal or newer version. */
function isStaleProgress(payload: Buffer, versions: ReadonlyMap<string, number>): boolean {
  if (versions.size === 0) return false;
  let frame: { type?: unknown; channel?: unknown; v?: unknown };
  try {
    frame = JSON.parse(payload.toString("utf8")) as typeof frame;
  } catch {
    return false;
  }
  if (frame.type !== "progress" || typeof frame.channel !== "string") return false;
  const replayed = versions.get(frame.channel);
  return replayed !== undefined && (typeof frame.v !== "number" || frame.v <= replayed);
}
