/**
 * One accepted websocket: its user, its groups, its liveness and its limits.
 */
import { WebSocket } from "ws";
import { CloseCode } from "../../shared/close-codes";
import type { ServerFrame } from "../../shared/protocol";
import type { SocketUser } from "../auth/session";
import { supportsPreparedFrames, writePreparedFrame } from "./frame";
import type { GroupMember } from "./groups";
import { TokenBucket } from "../rate-limit";

/**
 * Who holds a client-requested channel on a socket: the `ref` of the `subscribe` frame that asked
 * for it, or null for a hold without a ref (a ref-less `subscribe`, or the handshake's
 * `?extraChannels=` / `?subscription_token=`), which only a `channels` unsubscribe drops.
 */
export type Holder = string | null;

const NO_CHANNELS: ReadonlyMap<string, ReadonlySet<Holder>> = new Map();

/** Longest delay `setTimeout` accepts; longer session expiries are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ConnectionLimits {
  maxBufferedBytes: number;
  clientFramesPerSecond: number;
}

export class Connection implements GroupMember {
  /** Every group this socket is in: trusted ones and granted channels. */
  readonly groups = new Set<string>();
  /**
   * Client-requested channel → the requests holding it. Most sockets never ask for a channel, so
   * the map is only made on first use and dropped again when the last channel goes.
   */
  private holds: Map<string, Set<Holder>> | undefined;
  /** Cleared by each heartbeat, set by each pong or client frame. */
  alive = true;
  /** Set once the socket is on its way out, so it gets no more frames. */
  closing = false;
  private readonly bucket: TokenBucket;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Pre-built frames may be written to this socket directly (see `frame.ts`). */
  private readonly preparedFrames: boolean;

  constructor(
    readonly ws: WebSocket,
    readonly user: SocketUser | null,
    private readonly limits: ConnectionLimits,
    private readonly onSlowConsumer: (connection: Connection) => void,
    private readonly onControl: (connection: Connection, action: string) => void = () => undefined,
  ) {
    this.bucket = new TokenBucket(limits.clientFramesPerSecond);
    this.preparedFrames = supportsPreparedFrames(ws);
  }

  /** The client-requested channels it holds (keys; a subset of `groups`), each with its holders. */
  get channels(): ReadonlyMap<string, ReadonlySet<Holder>> {
    return this.holds ?? NO_CHANNELS;
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
   * Delivers a pre-serialised frame; `wire` is the same frame already framed once for all
   * sockets, written as is when ws's sender is idle. A client whose queue would pass the
   * limit is cut off instead of letting the server buffer without bound.
   */
  deliver(frame: Buffer, wire?: Buffer): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount + frame.length > this.limits.maxBufferedBytes) {
      this.onSlowConsumer(this);
      return;
    }
    if (wire !== undefined && this.preparedFrames && writePreparedFrame(this.ws, wire)) return;
    this.ws.send(frame, { binary: false });
  }

  /** Handles a gateway-to-gateway control message addressed to a group this socket is in. */
  control(action: string): void {
    if (!this.closing) this.onControl(this, action);
  }

  /** Sends one control frame to this socket only. */
  sendFrame(frame: ServerFrame): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  /** Takes one token from the client-frame budget; false when the client is flooding. */
  allowClientFrame(): boolean {
    return this.bucket.take();
  }

  /** Closes the socket when its session ends. */
  armSessionExpiry(onExpired: () => void): void {
    const expiresAt = this.user?.expiresAt;
    if (expiresAt == null) return;
    const arm = () => {
      const remaining = expiresAt - Date.now();
      if (remaining <= 0) return onExpired();
      this.expiryTimer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
      this.expiryTimer.unref();
    };
    arm();
  }

  /** Starts closing with `code`; a peer that does not finish the close handshake is cut. */
  close(code: CloseCode, reason: string, graceMs = 1_000): void {
    this.closing = true;
    clearTimeout(this.expiryTimer);
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  /** Releases timers; called once the socket has closed. */
  dispose(): void {
    this.closing = true;
    clearTimeout(this.expiryTimer);
  }
}
