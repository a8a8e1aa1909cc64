/**
 * In-process channel layer: the default for a single server process.
 */
import { PublishError } from "../../shared/errors.js";
import type { ChannelLayer, LayerListener } from "./types.js";
import { getLogger } from "../logger.js";

/**
 * Creates a channel layer that delivers within this process only.
 *
 * @example
 * const layer = createMemoryLayer();
 * const stop = await layer.subscribe("all", (frame) => console.log(frame));
 * await layer.publish("all", '{"type":"message",...}');
 */
export function createMemoryLayer(): ChannelLayer {
  const listeners = new Map<string, Set<LayerListener>>();
  let closed = false;

  return {
    kind: "memory",
    async publish(group, frame) {
      // Same contract as the Redis layer: a publish that cannot be delivered fails loudly.
      if (closed) throw new PublishError("The memory layer is closed.");
      const set = listeners.get(group);
      if (!set) return;
      // Copy first: a listener may unsubscribe (itself or others) while we iterate.
      for (const listener of [...set]) {
        try {
          listener(frame);
        } catch (error) {
          getLogger().error(`[notifications] memory layer listener for ${group} threw`, error);
        }
      }
    },
    async subscribe(group, listener) {
      let set = listeners.get(group);
      if (!set) listeners.set(group, (set = new Set()));
      set.add(listener);
      return () => {
        const current = listeners.get(group);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) listeners.delete(group);
      };
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
