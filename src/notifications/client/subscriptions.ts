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
  readonly ref: string;
  readonly channels: Set<string>;
  readonly token: string | undefined;
  /**
   * Channels a token turned out to grant. The token is opaque to the browser, so these are
   * learnt from the `subscribed` answer to this entry's `ref`; without them a page leaving
   * could not unsubscribe what its token added.
   */
  readonly tokenChannels: Set<string>;
  /** False until the server answered this entry's `ref` on the current socket. */
  answered: boolean;
}

export interface SubscriptionRegistry {
  /** Remembers a request and returns the frame that asks for it now (null when empty). */
  add(request: SubscriptionRequest): { entry: SubscriptionEntry; frame: SubscribeFrame | null };
  /**
   * Forgets a request; returns the frame for channels nobody else still wants (or null). A token
   * request not answered yet is remembered until its answer says what the token granted.
   */
  release(entry: SubscriptionEntry): UnsubscribeFrame | null;
  /** Forgets channels in every request; returns the frame that drops them now (or null). */
  removeChannels(channels: readonly string[]): UnsubscribeFrame | null;
  /** Frames that restore every remembered request on a fresh socket. */
  resendFrames(): SubscribeFrame[];
  /**
   * Learns what a token granted from the server's answer (`previous` = list before it). Returns
   * the frames to send now: when the answer is for a token released before it came, the channels
   * it granted are unsubscribed, and token requests still unanswered are asked again (one of them
   * may grant a channel that unsubscribe drops).
   */
  noteSubscribed(frame: SubscribedFrame, previous: readonly string[]): (SubscribeFrame | UnsubscribeFrame)[];
  /** Every channel currently wanted by some request. */
  wanted(): Set<string>;
}

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
 * socket.send(frame);                 // {"type":"subscribe","ref":"s1","channels":["articles-42"]}
 * socket.send(registry.release(entry)); // {"type":"unsubscribe","channels":["articles-42"]}
 */
export function createSubscriptionRegistry(): SubscriptionRegistry {
  const entries = new Map<string, SubscriptionEntry>();
  /** Token requests released before their answer came (page left quickly), by ref. */
  const releasing = new Map<string, SubscriptionEntry>();
  let counter = 0;

  const wanted = (except?: SubscriptionEntry): Set<string> => {
    const all = new Set<string>();
    for (const entry of entries.values()) {
      if (entry === except) continue;
      for (const name of entry.channels) all.add(name);
      for (const name of entry.tokenChannels) all.add(name);
    }
    return all;
  };

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
      const entry: SubscriptionEntry = {
        ref: `s${counter}`,
        channels: new Set(validChannels(request.channels)),
        token,
        tokenChannels: new Set(),
        answered: false,
      };
      entries.set(entry.ref, entry);
      return { entry, frame: frameFor(entry) };
    },

    release(entry) {
      if (!entries.delete(entry.ref)) return null;
      if (entry.token !== undefined && !entry.answered) releasing.set(entry.ref, entry);
      const still = wanted();
      const drop = [...new Set([...entry.channels, ...entry.tokenChannels])].filter((name) => !still.has(name));
      return drop.length > 0 ? { type: "unsubscribe", channels: drop } : null;
    },

    removeChannels(channels) {
      const drop = validChannels(channels);
      if (drop.length === 0) return null;
      for (const [ref, entry] of entries) {
        const learntSome = entry.tokenChannels.size > 0;
        for (const name of drop) {
          entry.channels.delete(name);
          entry.tokenChannels.delete(name);
        }
        // A token whose every granted channel was removed must not re-grant them on reconnect.
        if (entry.channels.size === 0 && (entry.token === undefined || (learntSome && entry.tokenChannels.size === 0))) {
          entries.delete(ref);
        }
      }
      return { type: "unsubscribe", channels: drop };
    },

    resendFrames() {
      // A fresh socket: answers owed by the old one will never come.
      releasing.clear();
      const frames: SubscribeFrame[] = [];
      for (const entry of entries.values()) {
        entry.answered = false;
        const frame = frameFor(entry);
        if (frame) frames.push(frame);
      }
      return frames;
    },

    noteSubscribed(frame, previous) {
      if (frame.ref === undefined) return [];
      const before = new Set(previous);
      const added = frame.channels.filter((name) => !before.has(name));
      const released = releasing.get(frame.ref);
      if (released) {
        releasing.delete(frame.ref);
        const still = wanted();
        const drop = added.filter((name) => !still.has(name));
        if (drop.length === 0) return [];
        const again: SubscribeFrame[] = [];
        for (const entry of entries.values()) {
          const retry = entry.token !== undefined && !entry.answered ? frameFor(entry) : null;
          if (retry) again.push(retry);
        }
        return [{ type: "unsubscribe", channels: drop }, ...again];
      }
      const entry = entries.get(frame.ref);
      if (!entry) return [];
      entry.answered = true;
      if (entry.token === undefined) return [];
      for (const name of added) {
        if (!entry.channels.has(name)) entry.tokenChannels.add(name);
      }
      return [];
    },

    wanted: () => wanted(),
  };
}
