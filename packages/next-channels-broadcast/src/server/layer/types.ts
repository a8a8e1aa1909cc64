/**
 * The channel layer carries a serialised frame from whoever sends to every process that holds
 * sockets of the target group. The gateway subscribes only to groups it has local sockets in.
 */

/** Called with the exact frame text that was published. Must not throw. */
export type LayerListener = (frame: string) => void;

export interface ChannelLayer {
  /** A short name for logs and errors: "memory", "redis", … */
  readonly kind: string;
  /**
   * Delivers `frame` (already serialised JSON) to every current subscriber of `group`, in
   * every process that shares this layer. Rejects with `PublishError` when it cannot.
   */
  publish(group: string, frame: string): Promise<void>;
  /**
   * Starts listening to `group`. Resolves once the subscription is active, so a publish made
   * after it resolves is delivered. The returned function stops this listener only.
   */
  subscribe(group: string, listener: LayerListener): Promise<() => void>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
  /**
   * Reports outages of delivery to this process: `"down"` when publishes may be missed from now
   * on (e.g. the subscriber connection to Redis dropped), `"up"` once every subscription is active
   * again. The gateway catches its open sockets up from their positions on `"up"`. A layer that
   * cannot miss publishes (memory) does not implement it. Returns the function that stops listening.
   */
  onStatusChange?(listener: LayerStatusListener): () => void;
  /**
   * Shared presence entries (see `server/presence/`): one entry per process and channel, so a
   * process that starts holding a channel learns who the others hold, and a crashed process's
   * entries can be told apart by their expiry. A layer without it shares presence only through
   * its pub/sub (one process: nothing is missed).
   */
  readonly presence?: PresenceEntries;
}

/** See `ChannelLayer.presence`. Entries are opaque strings (the presence module encodes them). */
export interface PresenceEntries {
  /** Sets `processId`'s entry of `channel`; the channel's entries all vanish after `keyTtlMs` without a write. */
  write(channel: string, processId: string, entry: string, keyTtlMs: number): Promise<void>;
  /** Removes `processId`'s entry of `channel`. */
  remove(channel: string, processId: string): Promise<void>;
  /** Every process's entry of `channel`, by process id. */
  read(channel: string): Promise<Map<string, string>>;
}

/** See `ChannelLayer.onStatusChange`. */
export type LayerStatusListener = (status: "down" | "up") => void;
