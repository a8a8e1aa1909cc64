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

const NO_CHANNELS: ReadonlySet<string> = new Set();

/** Longest delay `setTimeout` accepts; longer session expiries are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ConnectionLimits {
  maxBufferedBytes: number;
  clientFramesPerSecond: number;
}

export class Connection implements GroupMember {
  /** Every group this socket is in: trusted ones and granted channels. */
  readonly groups = new Set<string>();
  /** Most sockets never ask for a channel, so their set is only made on first use. */
  private channelSet: Set<string> | undefined;
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

  /** The client-requested channels it holds (a subset of `groups`). */
  get channels(): ReadonlySet<string> {
    return this.channelSet ?? NO_CHANNELS;
  }

  addChannel(name: string): void {
    (this.channelSet ??= new Set()).add(name);
  }

  /** False when the socket did not hold `name`. */
  removeChannel(name: string): boolean {
    return this.channelSet?.delete(name) ?? false;
  }

  clearChannels(): void {
    this.channelSet = undefined;
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
