/**
 * Which tabs want a frame, when several tabs receive through one shared socket.
 *
 * The socket holds the union of every tab's page channels. Each tab's subscribe travels with its
 * own `ref` (prefixed with the tab's id, so two tabs' `s1` stay apart on the server, which
 * reference-counts channels per ref: a tab releasing its request drops only what no other tab
 * holds). Frames of a page channel go to the tabs whose requests hold it; everything else (a
 * user's messages, broadcasts to all or to the signed-in) goes to every tab, so every open tab
 * still shows a user's toast.
 */
import { isValidChannelName } from "../../shared/channels.js";
import type { ServerFrame } from "../../shared/protocol.js";

/** Separates a tab's id from its own ref in the ref the server sees: `k3v9x2.s1`. */
const REF_SEPARATOR = ".";

/**
 * The ref the server sees for a tab's ref.
 *
 * @example
 * tabRef("k3v9x2", "s1") // "k3v9x2.s1"
 */
export function tabRef(tab: string, ref: string): string {
  return `${tab}${REF_SEPARATOR}${ref}`;
}

/**
 * The tab and its own ref from a ref the server echoed, or null for a ref no tab made.
 *
 * @example
 * splitTabRef("k3v9x2.s1") // { tab: "k3v9x2", ref: "s1" }
 */
export function splitTabRef(ref: string | undefined): { tab: string; ref: string } | null {
  if (ref === undefined) return null;
  const at = ref.indexOf(REF_SEPARATOR);
  if (at <= 0 || at === ref.length - 1) return null;
  return { tab: ref.slice(0, at), ref: ref.slice(at + 1) };
}

/** The page channel a frame belongs to, or null when it is for every tab (a user, all, …). */
export function pageChannelOf(frame: ServerFrame): string | null {
  const channel = "channel" in frame ? frame.channel : undefined;
  // Group names of user and broadcast audiences are never valid channel names (`user:7`, `all`).
  return typeof channel === "string" && isValidChannelName(channel) ? channel : null;
}

export interface RoutingTable {
  /** A tab takes part (idempotent). */
  addTab(tab: string): void;
  /** A tab left or died: forgets it and returns the server refs it still held, to release. */
  removeTab(tab: string): string[];
  /** A tab sent a subscribe: its channels count as held by the ref until the answer says otherwise. */
  subscribing(tab: string, ref: string, channels: readonly string[]): void;
  /** The server's answer: what the ref holds now (empty for a released or refused request). */
  answered(tab: string, ref: string, granted: readonly string[]): void;
  /** A tab released a ref. */
  released(tab: string, ref: string): void;
  /** Channels dropped outright (`unsubscribe` by channel names): nobody holds them any more. */
  dropped(channels: readonly string[]): void;
  /** The tabs a frame goes to. */
  recipients(frame: ServerFrame): string[];
  /** Every tab taking part. */
  tabs(): string[];
}

/**
 * Creates an empty table.
 *
 * @example
 * const table = createRoutingTable();
 * table.addTab("a"); table.addTab("b");
 * table.subscribing("a", "s1", ["articles-1"]);
 * table.recipients({ type: "event", event: "comment.created", channel: "articles-1", data: {} }); // ["a"]
 * table.recipients({ type: "redirect", url: "/", channel: "user:7" });                             // ["a", "b"]
 */
export function createRoutingTable(): RoutingTable {
  /** tab → its refs → the channels each holds. */
  const holdings = new Map<string, Map<string, Set<string>>>();

  const refsOf = (tab: string) => {
    let refs = holdings.get(tab);
    if (refs === undefined) {
      refs = new Map();
      holdings.set(tab, refs);
    }
    return refs;
  };

  return {
    addTab: (tab) => void refsOf(tab),
    removeTab(tab) {
      const refs = holdings.get(tab);
      holdings.delete(tab);
      return refs === undefined ? [] : [...refs.keys()].map((ref) => tabRef(tab, ref));
    },
    subscribing(tab, ref, channels) {
      const refs = refsOf(tab);
      const held = refs.get(ref) ?? new Set<string>();
      for (const channel of channels) held.add(channel);
      refs.set(ref, held);
    },
    answered(tab, ref, granted) {
      const refs = holdings.get(tab);
      if (refs === undefined) return;
      if (granted.length === 0) refs.delete(ref);
      else refs.set(ref, new Set(granted));
    },
    released(tab, ref) {
      holdings.get(tab)?.delete(ref);
    },
    dropped(channels) {
      for (const refs of holdings.values()) for (const held of refs.values()) for (const channel of channels) held.delete(channel);
    },
    recipients(frame) {
      const channel = pageChannelOf(frame);
      if (channel === null) return [...holdings.keys()];
      const tabs: string[] = [];
      for (const [tab, refs] of holdings) {
        for (const held of refs.values()) {
          if (held.has(channel)) {
            tabs.push(tab);
            break;
          }
        }
      }
      return tabs;
    },
    tabs: () => [...holdings.keys()],
  };
}
