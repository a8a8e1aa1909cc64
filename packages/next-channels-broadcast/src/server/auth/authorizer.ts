/**
 * Decides which client-requested channels a socket may join. Default: none. Reserved groups
 * are never granted, whatever the authorizer says.
 */
import { isValidChannelName } from "../../shared/channels.js";

/** The user asking (null = anonymous) and the channel asked for. */
export type Authorizer = (user: { id: string } | null, channel: string) => boolean | Promise<boolean>;

/** The default authorizer: denies every channel. */
export const denyAll: Authorizer = () => false;

export interface AuthorizeOptions {
  authorizer: Authorizer;
  /** Longest allowed name (configured limit). */
  maxNameLength: number;
  /** An authorizer slower than this denies. */
  timeoutMs: number;
}

async function decideOne(options: AuthorizeOptions, user: { id: string } | null, channel: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), options.timeoutMs);
  });
  try {
    // Only a literal `true` grants: a truthy string or object from a sloppy authorizer does not.
    const verdict = await Promise.race([Promise.resolve().then(() => options.authorizer(user, channel)), timeout]);
    return verdict === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Returns the subset of `channels` that are valid names and that the authorizer grants.
 * A throwing, rejecting or slow authorizer denies that channel. Order is kept.
 *
 * @example
 * await authorizeChannels({ authorizer, maxNameLength: 128, timeoutMs: 2000 }, user, ["articles-1", "all"])
 * // ["articles-1"] if the authorizer allows it; "all" is never granted
 */
export async function authorizeChannels(
  options: AuthorizeOptions,
  user: { id: string } | null,
  channels: readonly string[],
): Promise<string[]> {
  const candidates = [...new Set(channels)].filter((name) => isValidChannelName(name, options.maxNameLength));
  const verdicts = await Promise.all(candidates.map((name) => decideOne(options, user, name)));
  return candidates.filter((_, index) => verdicts[index]);
}
