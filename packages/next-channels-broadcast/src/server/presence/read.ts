/**
 * Presence read from the layer's shared entries, for code that holds no sockets: a server
 * component rendering "3 reading" before the page's socket is open, a server action, a worker.
 * No Node-only imports: the `/server` entry exports `getPresence`.
 */
import type { ChannelLayer } from "../layer/types.js";
import { getRuntime } from "../runtime.js";
import { EMPTY_VIEW, mergeEntries, parseEntry, type PresenceEntry, type PresenceView } from "./entry.js";

/**
 * Who is on `channel` according to `layer`'s shared presence entries (every process's live entry,
 * merged: each user once, anonymous sockets counted, at most `maxListed` listed). Empty for a
 * channel without presence, or a layer that keeps no entries.
 *
 * @example
 * const { count } = await readPresence(createRedisLayer({ url }), "articles-1");
 */
export async function readPresence(layer: ChannelLayer, channel: string, options: { maxListed?: number } = {}): Promise<PresenceView> {
  if (!layer.presence) return EMPTY_VIEW;
  const read = await layer.presence.read(channel);
  const entries = [...read.values()].map(parseEntry).filter((entry): entry is PresenceEntry => entry !== null);
  return mergeEntries(entries, Date.now(), options.maxListed ?? 100);
}

/**
 * Who is on `channel` now, over every gateway process sharing this process's layer (the
 * installed runtime's: the Redis layer with `REDIS_URL`, else the memory layer of this server).
 *
 * @example
 * // app/articles/[id]/page.tsx (server component)
 * const { count } = await getPresence(objectChannel(articles, id)); // "3 reading" in the first HTML
 */
export function getPresence(channel: string): Promise<PresenceView> {
  const { layer, settings } = getRuntime();
  return readPresence(layer, channel, { maxListed: settings.presenceMaxListed });
}
