/**
 * What each account of the demo may send, decided on the server whatever the form offered.
 *
 * - An admin (src/demo/roles.ts) may send any kind to any audience.
 * - A normal user may send messages and progress (no redirects) to themself, to the channel of
 *   an article they wrote (`articles.author_id`; the seeded articles have none) and to the
 *   channel of one of their own jobs (src/app/jobs). Click URLs must stay on this site.
 *
 * No answer tells a normal user whether another account exists: "alice" and a name nobody has
 * get the same refusal, decided without looking the name up.
 */
import { articles, findUserByUsername, getReadyDb, normalizeUsername } from "@/db";
import { findObjectByChannel } from "next-channels-broadcast/drizzle";
import type { Target } from "next-channels-broadcast/server";
import { isJobOwnedBy } from "@/app/jobs/registry";

export const AUDIENCES = ["all", "authenticated", "anonymous", "user", "object", "channel"] as const;
export const KINDS = ["message", "redirect", "progress"] as const;
export type Audience = (typeof AUDIENCES)[number];
export type Kind = (typeof KINDS)[number];

/** The audiences only an admin may use. */
export const ADMIN_ONLY_AUDIENCES: readonly Audience[] = ["all", "authenticated", "anonymous"];

export interface Sender {
  id: string;
  username: string;
  admin: boolean;
}

export interface SendRequest {
  audience: Audience;
  /** Username, object channel (`articles-1`) or channel name, for those audiences. */
  target?: string;
  kind: Kind;
  clickURL?: string;
}

export type SendDecision = { allowed: true; target: Target } | { allowed: false; message: string };

/** Refusals a normal user may see; one message per rule so the UI can say what is allowed. */
export const REFUSALS = {
  audience: (audience: Audience) => `Only an admin can send to ${audience}. You can send to yourself, to an article you wrote or to one of your jobs.`,
  redirect: "Only an admin can send redirects.",
  user: "You can send to the user audience only to yourself.",
  object: "You can send to an object only for an article you wrote.",
  channel: "You can send to a channel only for one of your own jobs.",
  clickURL: "A click URL must be a path on this site, starting with / (such as /articles/1).",
} as const;

const PROBE_ORIGIN = "http://site.invalid";

/**
 * A path on this site: starts with one slash, has no backslash, space or control character, and
 * still is a path on the same origin once resolved (dot segments such as `/.//evil.example` or
 * `/%2e//evil.example` resolve to `//evil.example`, which a router would follow off the site).
 *
 * @example
 * isSitePath("/articles/1") // true
 * isSitePath("/.//evil.example/") // false
 */
export function isSitePath(url: string): boolean {
  if (!url.startsWith("/") || url.startsWith("//")) return false;
  for (const ch of url) {
    const code = ch.codePointAt(0)!;
    if (code <= 0x20 || code === 0x7f || ch === "\\") return false;
  }
  const resolved = new URL(url, PROBE_ORIGIN);
  return resolved.origin === PROBE_ORIGIN && !resolved.pathname.startsWith("//");
}

/**
 * Decides whether `sender` may make this send, and resolves its target.
 *
 * @example
 * const decision = await decideSend({ id, username: "bob", admin: false }, { audience: "user", target: "bob", kind: "message" });
 * if (!decision.allowed) return decision.message;
 * await notify(decision.target, { message: "Hi" });
 */
export async function decideSend(sender: Sender, request: SendRequest): Promise<SendDecision> {
  const target = request.target ?? "";
  if (sender.admin) {
    switch (request.audience) {
      case "user": {
        // Admins are trusted operators: they are told when nobody has that name.
        const user = await findUserByUsername(target);
        return user ? { allowed: true, target: { user: user.id } } : { allowed: false, message: `No user named ${JSON.stringify(target.slice(0, 40))}.` };
      }
      case "object":
        return { allowed: true, target: { object: target } };
      case "channel":
        return { allowed: true, target: { channel: target } };
      default:
        return { allowed: true, target: request.audience };
    }
  }

  if (request.kind === "redirect") return { allowed: false, message: REFUSALS.redirect };
  if (request.clickURL !== undefined && !isSitePath(request.clickURL)) return { allowed: false, message: REFUSALS.clickURL };
  switch (request.audience) {
    case "user":
      // Compared by name only: looking the name up would let its timing say whether it exists.
      return normalizeUsername(target) === sender.username ? { allowed: true, target: { user: sender.id } } : { allowed: false, message: REFUSALS.user };
    case "object": {
      const found = await findObjectByChannel(await getReadyDb(), [articles], target);
      if (found.ok && (found.row as { authorId?: unknown }).authorId === sender.id) {
        return { allowed: true, target: { object: { table: articles, id: found.id } } };
      }
      return { allowed: false, message: REFUSALS.object };
    }
    case "channel":
      return isJobOwnedBy(target, sender.id) ? { allowed: true, target: { channel: target } } : { allowed: false, message: REFUSALS.channel };
    default:
      return { allowed: false, message: REFUSALS.audience(request.audience) };
  }
}
