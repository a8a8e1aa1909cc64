/**
 * Presence frames: who is on a channel. Kept in their own module (the protocol's union imports
 * them) so the presence feature stays in one place.
 *
 * Like every control frame of ours they carry none of `text`, `url` or `progress` at the top
 * level, so the original django-channels-broadcast client ignores them. A member is an opaque
 * `key` (an HMAC of the user id: stable for one user, meaningless to others) plus the public
 * `profile` the app's `identify` function returned — never the session, never the user id unless
 * the app puts it in the profile itself.
 */
import { z } from "zod";

/** A public profile as the app's `identify` returned it: a small JSON object (e.g. `{ name: "Ada" }`). */
export const presenceProfileSchema = z.record(z.string(), z.unknown());
export type PresenceProfile = z.infer<typeof presenceProfileSchema>;

export const presenceMemberSchema = z.object({
  /** Stable per user and channel-independent; not the user id. */
  key: z.string(),
  profile: presenceProfileSchema,
});
export type PresenceMember = z.infer<typeof presenceMemberSchema>;

/**
 * The whole presence of a channel, sent to a socket when it starts holding the channel (and on
 * every reconnect). `count` counts each signed-in user once however many tabs and processes, plus
 * each anonymous socket; `members` lists signed-in users only, at most the configured cap;
 * `more` is true when some users are counted but not listed.
 */
export const presenceFrameSchema = z.object({
  type: z.literal("presence"),
  channel: z.string(),
  count: z.number().int().nonnegative(),
  members: z.array(presenceMemberSchema),
  more: z.boolean(),
});
export type PresenceFrame = z.infer<typeof presenceFrameSchema>;

/**
 * What changed since the last presence frame of the channel: listed members who joined (or whose
 * profile changed) and keys of those who left the list, with the new count. Changes are gathered
 * for a short while (`NOTIFICATIONS_PRESENCE_FLUSH_MS`) and sent as one frame.
 */
export const presenceDiffFrameSchema = z.object({
  type: z.literal("presence_diff"),
  channel: z.string(),
  count: z.number().int().nonnegative(),
  joined: z.array(presenceMemberSchema),
  left: z.array(z.string()),
  more: z.boolean(),
});
export type PresenceDiffFrame = z.infer<typeof presenceDiffFrameSchema>;
