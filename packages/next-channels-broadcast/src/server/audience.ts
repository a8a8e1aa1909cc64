/**
 * Resolves a send target (all, a user, a channel, …) to the group it is published to.
 */
import { assertChannelName, assertUserId, userGroup } from "../shared/channels.js";
import { InvalidNotificationError } from "../shared/errors.js";
import { rowChannel, type RowRef } from "./objects.js";
import type { AudienceKind } from "./settings.js";

/** A user: its id, or any object with an `id` (such as an Auth.js session user or a users row). */
export type UserRef = string | number | { id: string | number };

/**
 * A database row's page channel: a channel name (`"articles-42"`), a Drizzle table and key
 * (`{ table: articles, id: 42 }`), or a table and the row itself (`{ table: articles, row }`).
 */
export type ObjectRef = string | RowRef;

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
      if ("object" in target) {
        const object = target.object;
        const group = typeof object === "string" ? assertChannelName(object) : rowChannel(object);
        return { audience: "object", group };
      }
      if ("channel" in target) return { audience: "channel", group: assertChannelName(target.channel) };
    }
  }
  throw new InvalidNotificationError(
    "INVALID_ARGUMENT",
    `Unknown target ${JSON.stringify(target)}: expected "all", "authenticated", "anonymous", {user}, {object} or {channel}.`,
  );
}
