/**
 * Group names: the single namespace the gateway and the channel layer route by.
 *
 * | audience       | group             |
 * |----------------|-------------------|
 * | all            | `all`             |
 * | authenticated  | `authenticated`   |
 * | anonymous      | `anonymous`       |
 * | one user       | `user:<id>`       |
 * | object, channel| the channel name  |
 *
 * Channel names may not contain `:` and may not be one of the three reserved words, so a
 * client-chosen channel can never equal a reserved group, and two users' groups never
 * collide (`user:` + the exact id).
 */
import { InvalidNotificationError } from "./errors.js";

export const RESERVED_GROUPS = ["all", "authenticated", "anonymous"] as const;
export const USER_GROUP_PREFIX = "user:";

/** Hard upper bound on a channel name; the gateway may be configured lower. */
export const MAX_CHANNEL_NAME_LENGTH = 128;
/** Letters, digits, `_`, `-`, `.`; must start with a letter or digit. */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Hard upper bound on a user id used in a group name. */
export const MAX_USER_ID_LENGTH = 255;

/** Why a channel name was refused, or null when it is valid. */
export function channelNameProblem(name: unknown, maxLength = MAX_CHANNEL_NAME_LENGTH): string | null {
  if (typeof name !== "string") return "must be a string";
  if (name.length === 0) return "must not be empty";
  if (name.length > maxLength) return `must be at most ${maxLength} characters`;
  if (!CHANNEL_NAME.test(name)) return "may contain only letters, digits, '_', '-', '.' and must start with a letter or digit";
  if ((RESERVED_GROUPS as readonly string[]).includes(name)) return `'${name}' is reserved`;
  return null;
}

/**
 * True when `name` is a channel a page or a send may use.
 *
 * @example
 * isValidChannelName("articles-42")  // true
 * isValidChannelName("user:7")       // false (reserved form)
 * isValidChannelName("all")          // false (reserved word)
 */
export function isValidChannelName(name: unknown, maxLength = MAX_CHANNEL_NAME_LENGTH): name is string {
  return channelNameProblem(name, maxLength) === null;
}

/** Throws `InvalidNotificationError` unless `name` is a valid channel name. */
export function assertChannelName(name: unknown): string {
  const problem = channelNameProblem(name);
  if (problem) {
    throw new InvalidNotificationError("INVALID_CHANNEL", `Invalid channel name ${JSON.stringify(name)}: ${problem}.`);
  }
  return name as string;
}

/**
 * The group of one user's sockets.
 *
 * @example
 * userGroup("42") // "user:42"
 */
export function userGroup(userId: string): string {
  return `${USER_GROUP_PREFIX}${userId}`;
}

/** Throws `InvalidNotificationError` unless `userId` can name a user group. */
export function assertUserId(userId: unknown): string {
  if (typeof userId === "number" && Number.isSafeInteger(userId)) return String(userId);
  if (typeof userId !== "string" || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new InvalidNotificationError(
      "INVALID_USER",
      `Invalid user id ${JSON.stringify(userId)}: expected a non-empty string of at most ${MAX_USER_ID_LENGTH} characters.`,
    );
  }
  return userId;
}
