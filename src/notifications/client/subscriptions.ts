/**
 * The live subscriptions a tab wants, independent of any one socket: each reconnect sends
 * them again, because the server forgets a socket's extra channels when it closes.
 */
import { isValidChannelName } from "../shared/channels";
import type { SubscribeFrame, SubscribedFrame, UnsubscribeFrame } from "../shared/protocol";

/** What a page asks for: channel names (checked by the server's authorizer) and/or a signed token. */
export interface SubscriptionRequest {
  channels?: readonly string[];
  token?: string;
}

/** One remembered request. Opaque to callers; pass it back to `release`. */
export interface SubscriptionEntry {
  /** Names the request on the server, which holds its channels on its behalf until released. */
  readonly ref: string;
  readonly channels: Set<string>;
  readonly token: string | undefined;
  /**
   * What the server says this request holds (the `granted` of the answer to its `ref`); empty
   * until answered. The token is opaque to the browser: this is how a page learns what it grants.
   */
  granted: ReadonlySet<string>;
}

export interface SubscriptionRegistry {
  /** Remembers a request and returns the frame that asks for it now (null when empty). */
  add(request: SubscriptionRequest): { entry: SubscriptionEntry; frame: SubscribeFrame | null };
  /**
   * Forgets a request; returns the frame that releases it on the server (`{"type":"unsubscribe",
   * "ref":…}`), or null when it asked for nothing or was already forgotten. The server reference
   * counts by ref and handles a socket's frames in order, so this is right even before the
   * request's answer came, and never drops a channel another request still holds.
   */
  release(entry: SubscriptionEntry): UnsubscribeFrame | null;
  /** Forgets channels in every request; returns the frame that drops them now (or null). */
  removeChannels(channels: readonly string[]): UnsubscribeFrame | null;
  /** Frames that restore every remembered request, each with its ref, on a fresh socket. */
  resendFrames(): SubscribeFrame[];
  /** Learns what a request holds from the server's answer to its `ref`. */
  noteSubscribed(frame: SubscribedFrame): void;
  /** Every channel currently wanted by some request (named, or granted to its token). */
  wanted(): Set<string>;
}

const NOTHING: ReadonlySet<string> = new Set();

function validChannels(channels: readonly string[] | undefined): string[] {
  const valid: string[] = [];
  for (const name of channels ?? []) {
    // Invalid names would be dropped by the gateway anyway; dropping them here keeps frames small
    // and tells the developer why nothing arrives.
    if (isValidChannelName(name)) valid.push(name);
    else console.warn(`[notifications] ignoring invalid channel name ${JSON.stringify(name)}`);
  }
  return [...new Set(valid)];
}

/**
 * Creates an empty registry.
 *
 * @example
 * const registry = createSubscriptionRegistry();
 * const { entry, frame } = registry.add({ channels: ["articles-42"] });
 * socket.send(frame);                   // {"type":"subscribe","ref":"s1","channels":["articles-42"]}
 * socket.send(registry.release(entry)); // {"type":"unsubscribe","ref":"s1"}
 */
export function createSubscriptionRegistry(): SubscriptionRegistry {
  const entries = new Map<string, SubscriptionEntry>();
  // Refs are never reused, so a late answer or release can only ever mean its own request.
  let counter = 0;

  const frameFor = (entry: SubscriptionEntry): SubscribeFrame | null => {
    if (entry.channels.size === 0 && entry.token === undefined) return null;
    const frame: SubscribeFrame = { type: "subscribe", ref: entry.ref };
    if (entry.channels.size > 0) frame.channels = [...entry.channels];
    if (entry.token !== undefined) frame.token = entry.token;
    return frame;
  };

  return {
    add(request) {
      counter += 1;
      const token = typeof request.token === "string" && request.token !== "" ? request.token : undefined;
      const entry: SubscriptionEntry = { ref: `s${counter}`, channels: new Set(validChannels(request.channels)), token, granted: NOTHING };
      entries.set(entry.ref, entry);
      return { entry, frame: frameFor(entry) };
    },

    release(entry) {
      if (entries.get(entry.ref) !== entry) return null;
      entries.delete(entry.ref);
      return frameFor(entry) ? { type: "unsubscribe", ref: entry.ref } : null;
    },

    removeChannels(channels) {
      const drop = validChannels(channels);
      if (drop.length === 0) return null;
      for (const [ref, entry] of entries) {
        const learnt = entry.granted.size > 0;
        for (const name of drop) entry.channels.delete(name);
        entry.granted = new Set([...entry.granted].filter((name) => !drop.includes(name)));
        // A token whose every granted channel was removed must not re-grant them on reconnect.
        if (entry.channels.size === 0 && (entry.token === undefined || (learnt && entry.granted.size === 0))) entries.delete(ref);
      }
      return { type: "unsubscribe", channels: drop };
    },

    resendFrames() {
      const frames: SubscribeFrame[] = [];
      for (const entry of entries.values()) {
        const frame = frameFor(entry);
        if (frame) frames.push(frame);
      }
      return frames;
    },

    noteSubscribed(frame) {
      const entry = frame.ref === undefined ? undefined : entries.get(frame.ref);
      if (entry) entry.granted = new Set(frame.granted);
    },

    wanted() {
      const all = new Set<string>();
      for (const entry of entries.values()) {
        for (const name of entry.channels) all.add(name);
        for (const name of entry.granted) all.add(name);
      }
      return all;
    },
  };
}
