/**
 * The live subscriptions a tab wants, independent of any one socket, and where each stands.
 *
 * The server forgets a socket's extra channels when it closes, so every reconnect sends them
 * again — each with the position the tab resumes from, so the channel's messages sent meanwhile
 * come back. The registry also follows every answer: refusals with their reason, a token refused
 * as expired (fetch a fresh one through the request's `getToken`, subscribe with it, then release
 * the old request: no gap), a channel layer that could not be joined (retry with backoff).
 *
 * It holds the state outside React, with listeners, so several socket controllers in turn (the
 * provider makes a new one when the user changes) share one set of subscriptions, and hooks read
 * it with `useSyncExternalStore`. No WebSocket here: a socket attaches a `SubscriptionLink`.
 */
import { isValidChannelName } from "../shared/channels";
import type { SubscribeFrame, SubscribedFrame, SubscriptionRefusal, UnsubscribeFrame } from "../shared/protocol";
import { createBackoff } from "./backoff";
import type { Backoff, BackoffOptions } from "./backoff";
import { channelState, IDLE_STATE, strongerChannelState, SUBSCRIBING_STATE } from "./subscription-state";
import type { ChannelSubscriptionState, SubscriptionState } from "./subscription-state";
import { isTokenExpired, readTokenClaims } from "./token-claims";

/** What a page asks for: channel names (checked by the server's authorizer) and/or a signed token. */
export interface SubscriptionRequest {
  channels?: readonly string[];
  /** A token from `issueSubscriptionToken` (bypasses the authorizer; bound to the viewer). */
  token?: string;
  /**
   * Fetches a fresh token (e.g. a server action passed down by the page's server component).
   * Called when the server refused the token as expired — once per refusal — and before a token
   * whose expiry has passed is sent again (a reconnect long after the page rendered).
   */
  getToken?: () => Promise<string>;
  /**
   * The position the page's content reflects: a watermark (`currentWatermark()`) rendered by the
   * same server component. The first `subscribe` asks for the channels' messages above it, so a
   * comment sent between rendering and subscribing is not lost. Default: the tab's settled position.
   */
  since?: number;
}

/**
 * A live request. Call it to release the request (idempotent); read its state with `getState()`
 * and follow it with `onStateChange()`.
 */
export interface SubscriptionHandle {
  (): void;
  getState(): SubscriptionState;
  onStateChange(listener: (state: SubscriptionState) => void): () => void;
}

/** How the registry reaches the socket it is attached to. */
export interface SubscriptionLink {
  /** Sends a frame if the socket is open; false otherwise. */
  send(frame: SubscribeFrame | UnsubscribeFrame): boolean;
  /** The tab's settled position now: what a fresh `subscribe` without `since` reports. */
  position(): number | null;
}

export interface SubscriptionRegistry {
  /** Remembers a request and, when a socket is attached, subscribes it now. */
  add(request: SubscriptionRequest): SubscriptionHandle;
  /** Drops channels from every request, now (`{"type":"unsubscribe","channels":[…]}`) and for later reconnects. */
  removeChannels(channels: readonly string[]): void;
  /**
   * An open socket attaches: every request is sent with `lastId` = `resume`, the position the
   * connection resumed from (a request whose own replay never completed keeps its own position).
   */
  connect(link: SubscriptionLink, resume: number | null): void;
  /** That socket closed: requests wait for the next one (state `subscribing`), retries stop. */
  disconnect(link: SubscriptionLink): void;
  /** The server's answer to a request (`subscribed` with its `ref`). */
  answer(frame: SubscribedFrame): void;
  /** Channels the attached socket holds (from `hello` / `subscribed`), whoever asked for them. */
  noteHeld(channels: readonly string[]): void;
  /** One channel's state, interned (the same object until it changes). */
  channelState(channel: string): ChannelSubscriptionState;
  /** Calls `listener` after any state change. Returns the remover. */
  listen(listener: () => void): () => void;
  /** Every channel currently wanted by some request (named, named by its token, or granted to it). */
  wanted(): Set<string>;
}

export interface SubscriptionRegistryOptions {
  /** Delays between retries of a request refused as `unavailable`. Default: the socket's defaults. */
  retry?: BackoffOptions;
  /** Random source for retry jitter (tests). */
  random?: () => number;
  /** Clock for token expiry (tests). Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  readonly handle: SubscriptionHandle;
  /** Names the request on the server; a new one after a token refresh. Never reused. */
  ref: string;
  readonly channels: Set<string>;
  token: string | undefined;
  /** Channels the token's payload names (readable, not trusted: the server decides). */
  tokenChannels: readonly string[];
  readonly getToken: (() => Promise<string>) | undefined;
  /**
   * The position this request's channels must be recovered from while its replay has not been
   * confirmed by an answer (`answered` false); the page's `since` at first.
   */
  from: number | undefined;
  answered: boolean;
  /** The socket `ref` was last sent on: only there does releasing it need a frame. */
  sentOn: SubscriptionLink | null;
  granted: ReadonlySet<string>;
  refused: readonly SubscriptionRefusal[];
  state: SubscriptionState;
  refreshing: boolean;
  /** A refresh was spent since the last clean answer: the next expired refusal is final. */
  refreshUsed: boolean;
  readonly retry: Backoff;
  retryTimer: ReturnType<typeof setTimeout> | null;
  released: boolean;
  readonly listeners: Set<(state: SubscriptionState) => void>;
}

const NOTHING: ReadonlySet<string> = new Set();

function isPosition(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
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

function callListener<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    console.error("[notifications] subscription listener threw", error);
  }
}

/**
 * Creates an empty registry; `createNotificationSocket` attaches to it (or makes its own).
 *
 * @example
 * const registry = createSubscriptionRegistry();
 * const socket = createNotificationSocket({ url, subscriptions: registry });
 * const release = registry.add({ channels: ["articles-42"], since: 1017 });
 * release.getState(); // { status: "subscribing" } … then { status: "subscribed", granted: ["articles-42"], refused: [] }
 * release();          // {"type":"unsubscribe","ref":"s1"}
 */
export function createSubscriptionRegistry(options: SubscriptionRegistryOptions = {}): SubscriptionRegistry {
  const now = options.now ?? Date.now;
  const entries = new Set<Entry>();
  const refs = new Map<string, Entry>();
  const listeners = new Set<() => void>();
  let held: ReadonlySet<string> = NOTHING;
  let current: { link: SubscriptionLink; resume: number | null } | null = null;
  // Refs are never reused, so a late answer or release can only ever mean its own request.
  let counter = 0;
  const nextRef = () => `s${(counter += 1)}`;

  const notify = () => {
    for (const listener of [...listeners]) callListener(listener, undefined);
  };

  const setState = (entry: Entry, state: SubscriptionState) => {
    if (entry.state === state) return;
    entry.state = state;
    for (const listener of [...entry.listeners]) callListener(listener, state);
    notify();
  };

  const frameFor = (entry: Entry, lastId: number | undefined): SubscribeFrame | null => {
    if (entry.channels.size === 0 && entry.token === undefined) return null;
    const frame: SubscribeFrame = { type: "subscribe", ref: entry.ref };
    if (entry.channels.size > 0) frame.channels = [...entry.channels];
    if (entry.token !== undefined) frame.token = entry.token;
    if (lastId !== undefined) frame.lastId = lastId;
    return frame;
  };

  /** Sends the request on the attached socket; `base` is the position used once its own replay was confirmed. */
  const send = (entry: Entry, base: number | null) => {
    if (current === null) return;
    const lastId = !entry.answered && entry.from !== undefined ? entry.from : (base ?? undefined);
    const frame = frameFor(entry, lastId);
    if (frame === null) {
      setState(entry, IDLE_STATE);
      return;
    }
    if (!current.link.send(frame)) return;
    entry.sentOn = current.link;
    entry.answered = false;
    entry.from = lastId;
    setState(entry, SUBSCRIBING_STATE);
  };

  const refused = (entry: Entry) => {
    const first = entry.refused[0];
    setState(entry, { status: "refused", reason: first?.reason ?? "expired", refused: entry.refused });
  };

  /** Puts a fresh token in the request: a new ref subscribed first, the old one released after it. */
  const swapToken = (entry: Entry, token: string) => {
    entry.token = token;
    entry.tokenChannels = readTokenClaims(token).channels;
    if (current === null) return; // sent with the next socket
    const old = entry.ref;
    const oldIsLive = entry.sentOn === current.link;
    refs.delete(old);
    entry.ref = nextRef();
    refs.set(entry.ref, entry);
    entry.sentOn = null;
    send(entry, current.resume);
    if (oldIsLive) current.link.send({ type: "unsubscribe", ref: old });
  };

  /**
   * Asks the app for a fresh token. `cause` "expired": the server refused the token, and a failed
   * refresh ends in `refused`. "stale": its expiry passed before a re-send; a failed refresh sends the
   * old token anyway.
   */
  const refresh = (entry: Entry, cause: "expired" | "stale") => {
    const getToken = entry.getToken;
    if (getToken === undefined) return;
    const failed = (error: unknown) => {
      console.warn("[notifications] getToken failed", error);
      // A socket that has not heard this request yet (a pre-emptive refresh, or the socket changed
      // while the app was asked) gets it with the old token: the browser's clock may be wrong, and
      // the request's named channels must not be lost with its token. The server decides; a
      // refresh was spent, so another expired refusal is final.
      if (current !== null && entry.sentOn !== current.link) send(entry, current.resume);
      else if (cause === "expired") refused(entry);
    };
    entry.refreshing = true;
    entry.refreshUsed = true;
    setState(entry, SUBSCRIBING_STATE);
    let pending: Promise<string>;
    try {
      pending = Promise.resolve(getToken());
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (token) => {
        entry.refreshing = false;
        if (entry.released) return;
        if (typeof token === "string" && token !== "") {
          swapToken(entry, token);
          return;
        }
        failed(new TypeError(`getToken resolved to ${JSON.stringify(token)}, not a token`));
      },
      (error: unknown) => {
        entry.refreshing = false;
        if (!entry.released) failed(error);
      },
    );
  };

  /** Sends the request, fetching a fresh token first when its expiry has passed. */
  const resend = (entry: Entry, base: number | null) => {
    if (entry.refreshing) return; // sent when the token arrives
    if (entry.token !== undefined && entry.getToken !== undefined && isTokenExpired(entry.token, now())) {
      refresh(entry, "stale");
      return;
    }
    send(entry, base);
  };

  const clearRetry = (entry: Entry) => {
    if (entry.retryTimer !== null) clearTimeout(entry.retryTimer);
    entry.retryTimer = null;
  };

  const scheduleRetry = (entry: Entry) => {
    clearRetry(entry);
    const step = entry.retry.options.enabled ? entry.retry.next() : null;
    if (step === null) {
      setState(entry, { status: "error", reason: "unavailable", retryInMs: null });
      return;
    }
    setState(entry, { status: "error", reason: "unavailable", retryInMs: step.delayMs });
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = null;
      if (current !== null && !entry.released) resend(entry, current.resume);
    }, step.delayMs);
  };

  const forget = (entry: Entry) => {
    entry.released = true;
    clearRetry(entry);
    entries.delete(entry);
    if (refs.get(entry.ref) === entry) refs.delete(entry.ref);
    setState(entry, IDLE_STATE);
  };

  const release = (entry: Entry) => {
    if (entry.released) return;
    // Only the socket the ref was sent on holds anything for it; a newer socket never heard of it.
    const link = current !== null && entry.sentOn === current.link ? current.link : null;
    const ref = entry.ref;
    forget(entry);
    link?.send({ type: "unsubscribe", ref });
  };

  const names = (entry: Entry, channel: string) =>
    entry.channels.has(channel) || entry.granted.has(channel) || entry.tokenChannels.includes(channel);

  const entryChannelState = (entry: Entry, channel: string): ChannelSubscriptionState => {
    switch (entry.state.status) {
      case "idle":
        return channelState.idle;
      case "subscribing":
        return channelState.subscribing;
      case "error":
        return channelState.unavailable;
      default: {
        if (entry.granted.has(channel)) return channelState.subscribed;
        const own = entry.refused.find((refusal) => refusal.channel === channel);
        const whole = entry.refused.find((refusal) => refusal.channel === undefined);
        const reason = own?.reason ?? whole?.reason ?? entry.refused[0]?.reason ?? "denied";
        return channelState.refused(reason);
      }
    }
  };

  return {
    add(request) {
      const token = typeof request.token === "string" && request.token !== "" ? request.token : undefined;
      const since = request.since;
      if (since !== undefined && !isPosition(since)) console.warn(`[notifications] ignoring since=${JSON.stringify(since)}: not a notification id`);
      const entry: Entry = {
        handle: Object.assign(() => release(entry), {
          getState: () => entry.state,
          onStateChange: (listener: (state: SubscriptionState) => void) => {
            entry.listeners.add(listener);
            return () => {
              entry.listeners.delete(listener);
            };
          },
        }),
        ref: nextRef(),
        channels: new Set(validChannels(request.channels)),
        token,
        tokenChannels: token === undefined ? [] : readTokenClaims(token).channels,
        getToken: typeof request.getToken === "function" ? request.getToken : undefined,
        from: isPosition(since) ? since : undefined,
        answered: false,
        sentOn: null,
        granted: NOTHING,
        refused: [],
        state: IDLE_STATE,
        refreshing: false,
        refreshUsed: false,
        retry: createBackoff(options.retry, options.random),
        retryTimer: null,
        released: false,
        listeners: new Set(),
      };
      if (entry.channels.size === 0 && entry.token === undefined) {
        entry.released = true;
        return entry.handle;
      }
      entries.add(entry);
      refs.set(entry.ref, entry);
      entry.state = SUBSCRIBING_STATE;
      // A fresh request reports the page's `since`, else the position settled right now.
      if (current !== null) resend(entry, current.link.position());
      notify();
      return entry.handle;
    },

    removeChannels(channels) {
      const drop = validChannels(channels);
      if (drop.length === 0) return;
      for (const entry of [...entries]) {
        const learnt = entry.granted.size > 0;
        for (const name of drop) entry.channels.delete(name);
        entry.granted = new Set([...entry.granted].filter((name) => !drop.includes(name)));
        // A token whose every granted channel was removed must not re-grant them on reconnect.
        if (entry.channels.size === 0 && (entry.token === undefined || (learnt && entry.granted.size === 0))) forget(entry);
      }
      current?.link.send({ type: "unsubscribe", channels: drop });
      notify();
    },

    connect(link, resume) {
      current = { link, resume };
      for (const entry of [...entries]) {
        clearRetry(entry);
        entry.retry.reset();
        resend(entry, resume);
      }
      notify();
    },

    disconnect(link) {
      if (current?.link !== link) return;
      current = null;
      held = NOTHING;
      for (const entry of entries) {
        clearRetry(entry);
        setState(entry, SUBSCRIBING_STATE);
      }
      notify();
    },

    answer(frame) {
      const entry = frame.ref === undefined ? undefined : refs.get(frame.ref);
      if (entry === undefined || entry.released) return;
      entry.granted = new Set(frame.granted);
      entry.refused = frame.refused ?? [];
      const reasons = new Set(entry.refused.map((refusal) => refusal.reason));
      if (reasons.has("expired") && entry.token !== undefined && entry.getToken !== undefined && !entry.refreshUsed) {
        refresh(entry, "expired");
        return;
      }
      if (reasons.has("unavailable")) {
        scheduleRetry(entry);
        return;
      }
      entry.answered = true;
      entry.refreshUsed = false;
      entry.retry.reset();
      if (entry.granted.size === 0 && entry.refused.length > 0) refused(entry);
      else setState(entry, { status: "subscribed", granted: [...entry.granted], refused: entry.refused });
    },

    noteHeld(channels) {
      held = new Set(channels);
      notify();
    },

    channelState(channel) {
      let state = held.has(channel) ? channelState.subscribed : channelState.idle;
      for (const entry of entries) if (names(entry, channel)) state = strongerChannelState(state, entryChannelState(entry, channel));
      return state;
    },

    listen(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    wanted() {
      const all = new Set<string>();
      for (const entry of entries) {
        for (const name of entry.channels) all.add(name);
        for (const name of entry.tokenChannels) all.add(name);
        for (const name of entry.granted) all.add(name);
      }
      return all;
    },
  };
}
