/**
 * Resolves a send target (all, a user, a channel, …) to the group it is published to.
 */
import { assertChannelName, assertUserId, userGroup } from "../shared/channels";
import { InvalidNotificationError } from "../shared/errors";
import type { AudienceKind } from "./settings";

/** A user: its id, or any object with an `id` (such as an Auth.js session user or a users row). */
export type UserRef = string | number | { id: string | number };

/**
 * A database row's page channel. Today: the channel name (e.g. `"articles-42"`); row
 * references (table + key) resolve through the same function when per-row channels land.
 */
export type ObjectRef = string;

/** Who receives a send. */
export type Target =
  | "all"
  | "authenticated"
  | "anonymous"
  | { user: UserRef }
  | { object: ObjectRef }
  | { channel: string };

export interface ResolvedTarget {
  audience: AudienceKind;
  /** The group the frame is published to; also the `channel` of progress frames. */
  group: string;
}

/** The id of a user reference. */
export function userIdOf(user: UserRef): string {
  if (typeof user === "object" && user !== null) return assertUserId((user as { id?: unknown }).id);
  return assertUserId(user);
}

/** Resolves `target` or throws `InvalidNotificationError`. */
export function resolveTarget(target: Target): ResolvedTarget {
  if (target === "all" || target === "authenticated" || target === "anonymous") {
    return { audience: target, group: target };
  }
  if (typeof target === "object" && target !== null) {
    const keys = Object.keys(target);
    if (keys.length === 1) {
      if ("user" in target) return { audience: "user", group: userGroup(userIdOf(target.user)) };
      if ("object" in target) return { audience: "object", group: assertChannelName(target.object) };
      if ("channel" in target) return { audience: "channel", group: assertChannelName(target.channel) };
    }
  }
  throw new InvalidNotificationError(
    "INVALID_ARGUMENT",
    `Unknown target ${JSON.stringify(target)}: expected "all", "authenticated", "anonymous", {user}, {object} or {channel}.`,
  );
}
