/**
 * What a gateway reports as it works, for metrics (`metrics.ts`) or anything else an app wants to
 * count. Every method is optional and called synchronously on the hot path, so an observer must
 * be cheap and must not throw (a throw is caught and dropped, never reaching a socket).
 * Fan-out is reported once per published frame with the number of sockets it reached, never once
 * per socket.
 */

/** `authenticated` or `anonymous`: the two kinds of socket. */
export type SocketKind = "authenticated" | "anonymous";

/** The audience a group belongs to, from its name: `user` for `user:<id>`, `page` for object and raw channels. */
export type GroupAudience = "all" | "authenticated" | "anonymous" | "user" | "page";

/** Why the gateway cut a socket. */
export type CutReason = "slow_consumer" | "rate_limit";

export interface GatewayObserver {
  /** A handshake was accepted (the socket is open) or refused with an HTTP status and reason. */
  handshake?(outcome: { accepted: true; kind: SocketKind } | { accepted: false; status: number; reason: string }): void;
  /** An accepted socket closed, with its close code. */
  closed?(kind: SocketKind, code: number): void;
  /** One published frame of `kind` (message, redirect, progress, event, refresh, ping…) reached `sockets` local sockets of a group. */
  delivered?(kind: string, audience: GroupAudience, sockets: number): void;
  /** A join's replay: how many stored rows it sent and how long fetching them took. */
  replayed?(rows: number, seconds: number): void;
  /** Inbox rows a socket acknowledged (counted before they are written). */
  acked?(rows: number): void;
  /** The gateway cut a socket. */
  cut?(reason: CutReason): void;
  /** The channel layer went down or came back. */
  layerStatus?(status: "up" | "down"): void;
}

/**
 * The audience of a group name.
 *
 * @example
 * groupAudience("user:42")     // "user"
 * groupAudience("articles-7")  // "page"
 */
export function groupAudience(group: string): GroupAudience {
  if (group === "all" || group === "authenticated" || group === "anonymous") return group;
  return group.startsWith("user:") ? "user" : "page";
}

const FRAME_TYPE = /^\{"type":"([a-z_]{1,32})"/;

/**
 * The `type` of a serialised frame, read from its first bytes (every frame the kit sends starts
 * with it); `other` when it does not.
 *
 * @example
 * frameKind('{"type":"message","id":3,"text":"hi"}') // "message"
 */
export function frameKind(frame: string): string {
  return FRAME_TYPE.exec(frame)?.[1] ?? "other";
}

/** `observer` with every call guarded: a throwing observer is silenced, the gateway goes on. */
export function guardedObserver(observer: GatewayObserver | undefined): GatewayObserver {
  if (!observer) return {};
  const guarded: GatewayObserver = {};
  for (const key of Object.keys(observer) as (keyof GatewayObserver)[]) {
    const method = observer[key] as ((...args: unknown[]) => void) | undefined;
    if (typeof method !== "function") continue;
    (guarded as Record<string, unknown>)[key] = (...args: unknown[]) => {
      try {
        method.apply(observer, args);
      } catch {
        // Counting must never break delivery.
      }
    };
  }
  return guarded;
}
