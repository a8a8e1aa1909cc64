/** A channel layer that records publishes, for unit tests of the send API. */
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";

export interface RecordingLayer extends ChannelLayer {
  published: { group: string; frame: Record<string, unknown> }[];
  failNext?: Error;
}

export function createRecordingLayer(): RecordingLayer {
  const layer: RecordingLayer = {
    kind: "recording",
    published: [],
    async publish(group, frame) {
      if (layer.failNext) {
        const error = layer.failNext;
        layer.failNext = undefined;
        throw error;
      }
      layer.published.push({ group, frame: JSON.parse(frame) });
    },
    async subscribe() {
      return () => undefined;
    },
    async close() {},
  };
  return layer;
}
