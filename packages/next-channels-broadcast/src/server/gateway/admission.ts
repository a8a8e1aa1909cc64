/**
 * Who may open a socket, and how many handshakes are worked on at once.
 *
 * - Caps: open sockets per user, per client address and per process, refused at the handshake
 *   with a clear status (429 per user/address, 503 for the process), counted from the moment a
 *   handshake passes the check (a burst of simultaneous handshakes cannot slip past a cap).
 * - Handshake slots: at most `maxConcurrentHandshakes` are authenticated and joined at once, the
 *   rest wait in line (bounded; past it 503). A storm of reconnects then becomes a steady stream
 *   the event loop interleaves with HTTP requests, instead of thousands of decryptions and
 *   replay queries queued in one go.
 * - The client's address: the socket's own, or — only when proxies are configured
 *   (`NOTIFICATIONS_TRUSTED_PROXIES`) — the one the outermost trusted proxy recorded in
 *   `X-Forwarded-For`. Entries a client put there itself are never believed.
 */
import type { IncomingMessage } from "node:http";
import type { SocketUser } from "../auth/session.js";
import type { NotificationSettings } from "../settings.js";

type AdmissionSettings = Pick<
  NotificationSettings,
  "trustedProxies" | "maxSocketsPerUser" | "maxSocketsPerIp" | "maxSockets" | "maxConcurrentHandshakes" | "maxQueuedHandshakes"
>;

/** A refused handshake: the HTTP status and the reason sent with it. */
export interface AdmissionRefusal {
  status: 429 | 503;
  reason: string;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The client's address for `req`: with `trustedProxies` = 0 the TCP peer; with n the address n
 * hops before the peer in `X-Forwarded-For` (each trusted proxy appends the address it saw).
 *
 * @example
 * // one proxy (n = 1), which saw the client at 203.0.113.7:
 * clientAddress({ socket: { remoteAddress: "10.0.0.2" }, headers: { "x-forwarded-for": "1.2.3.4, 203.0.113.7" } }, 1) // "203.0.113.7"
 */
export function clientAddress(req: Pick<IncomingMessage, "headers"> & { socket: { remoteAddress?: string } }, trustedProxies: number): string {
  const peer = req.socket.remoteAddress ?? "";
  if (trustedProxies === 0) return peer;
  const forwarded = (firstHeader(req.headers["x-forwarded-for"]) ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const hops = [...forwarded, peer];
  return hops[Math.max(0, hops.length - 1 - trustedProxies)] ?? peer;
}

export class Admission {
  private readonly perUser = new Map<string, number>();
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private active = 0;
  private readonly waiting = new WaitLine();

  constructor(private readonly settings: AdmissionSettings) {}

  /** Open sockets counted now (accepted and in their handshake). */
  get open(): number {
    return this.total;
  }

  /**
   * Waits for a handshake slot; resolves to its release function, or to null at once when too
   * many handshakes already wait (the caller answers 503).
   */
  async slot(): Promise<(() => void) | null> {
    if (this.active < this.settings.maxConcurrentHandshakes) {
      this.active += 1;
      return this.releaser();
    }
    if (this.waiting.size >= this.settings.maxQueuedHandshakes) return null;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.take();
      // The slot passes straight to the next in line; otherwise it is free again.
      if (next) next();
      else this.active -= 1;
    };
  }

  /**
   * Counts a socket of `user` (null = anonymous) from `address` against the caps (null), or says
   * why it is refused. An anonymous socket counts against its address only. The caller gives the
   * place back with `leave(user, address)` exactly once: when the socket is not accepted after all,
   * or when it closes. (No ticket object: an idle socket should cost little; its `Connection`
   * already holds the user and the address.)
   */
  admit(user: SocketUser | null, address: string): AdmissionRefusal | null {
    const { maxSockets, maxSocketsPerUser, maxSocketsPerIp } = this.settings;
    if (this.total >= maxSockets) return { status: 503, reason: "Server at capacity" };
    if (user && (this.perUser.get(user.id) ?? 0) >= maxSocketsPerUser) return { status: 429, reason: "Too many connections for this user" };
    if ((this.perAddress.get(address) ?? 0) >= maxSocketsPerIp) return { status: 429, reason: "Too many connections from this address" };
    this.total += 1;
    bump(this.perAddress, address, 1);
    if (user) bump(this.perUser, user.id, 1);
    return null;
  }

  /** A place counted by `admit` is free again. */
  leave(user: SocketUser | null, address: string): void {
    this.total -= 1;
    bump(this.perAddress, address, -1);
    if (user) bump(this.perUser, user.id, -1);
  }
}

/**
 * The handshakes waiting for a slot, first in first out, each step O(1).
 *
 * Why not an array's `shift()`: it moves every element that waits. A reconnect storm queues
 * thousands of handshakes (up to `maxQueuedHandshakes`), and at 10,000 waiting each slot handed on
 * cost ~8 µs of copying, ~3 % of a storm's busy time (bench/README.md, issue #10).
 *
 * @example
 * const line = new WaitLine();
 * line.push(() => console.log("first"));
 * line.take()?.(); // "first"
 */
export class WaitLine {
  private items: ((() => void) | undefined)[] = [];
  private head = 0;

  /** How many wait. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(resume: () => void): void {
    this.items.push(resume);
  }

  /** The one that waited longest, taken out of the line; undefined when nobody waits. */
  take(): (() => void) | undefined {
    if (this.head === this.items.length) return undefined;
    const first = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      // Drop the taken half once it is the larger part: each element moves O(1) times overall.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return first;
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
