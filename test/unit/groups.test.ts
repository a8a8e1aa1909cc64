/**
 * GroupRegistry.join: a promise only while the group's layer subscription is not live yet, nothing
 * to wait for once it is (the usual case in a reconnect storm), and no half-joined member when the
 * layer refuses. The real memory layer, or a layer whose subscribe the test answers by hand.
 */
import { describe, expect, it } from "vitest";
import { GroupRegistry, type GroupMember } from "../../packages/next-channels-broadcast/src/server/gateway/groups";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer, LayerListener } from "../../packages/next-channels-broadcast/src/server/layer/types";

/** A member that records the text of each frame it is handed. */
function member(): GroupMember & { received: string[] } {
  const received: string[] = [];
  return { received, deliver: (frame) => void received.push(frame.toString("utf8")), control: () => undefined };
}

/** The memory layer, except that each subscribe waits until the test answers it (or fails it). */
function gatedLayer(): { layer: ChannelLayer; answer(): void; fail(error: Error): void; subscribes: number } {
  const memory = createMemoryLayer();
  const waiting: { run: () => void; fail: (error: Error) => void }[] = [];
  const state = {
    subscribes: 0,
    layer: {
      ...memory,
      subscribe(group: string, listener: LayerListener) {
        state.subscribes += 1;
        return new Promise<() => void>((resolve, reject) => {
          waiting.push({ run: () => resolve(memory.subscribe(group, listener)), fail: reject });
        });
      },
    } satisfies ChannelLayer,
    answer: () => waiting.shift()!.run(),
    fail: (error: Error) => waiting.shift()!.fail(error),
  };
  return state;
}

describe("GroupRegistry.join", () => {
  it("returns a promise until the group's layer subscription is live, then nothing to wait for", async () => {
    const layer = createMemoryLayer();
    const registry = new GroupRegistry(layer);
    const first = member();
    const second = member();

    const pending = registry.join("user:alice", first);
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(registry.join("user:alice", second)).toBeUndefined();

    await layer.publish("user:alice", '{"type":"message","text":"hi"}');
    expect(first.received).toEqual(['{"type":"message","text":"hi"}']);
    expect(second.received).toEqual(['{"type":"message","text":"hi"}']);
    expect(registry.size("user:alice")).toBe(2);
  });

  it("makes every member that joins before the subscription is live wait for it, with one layer subscribe", async () => {
    const gated = gatedLayer();
    const registry = new GroupRegistry(gated.layer);
    const resolved: string[] = [];
    const first = registry.join("all", member())!.then(() => resolved.push("first"));
    const second = registry.join("all", member())!.then(() => resolved.push("second"));
    await Promise.resolve();
    expect(resolved).toEqual([]);
    expect(gated.subscribes).toBe(1);

    gated.answer();
    await Promise.all([first, second]);
    expect(resolved).toEqual(["first", "second"]);
    expect(registry.join("all", member())).toBeUndefined();
    expect(registry.size("all")).toBe(3);
  });

  it("leaves no member behind when the layer refuses, and subscribes again on the next join", async () => {
    const gated = gatedLayer();
    const registry = new GroupRegistry(gated.layer);
    const refused = registry.join("user:bob", member());
    gated.fail(new Error("redis down"));
    await expect(refused).rejects.toThrow("redis down");
    expect(registry.size("user:bob")).toBe(0);

    const retry = registry.join("user:bob", member());
    expect(retry).toBeInstanceOf(Promise);
    expect(gated.subscribes).toBe(2);
    gated.answer();
    await retry;
    expect(registry.size("user:bob")).toBe(1);
  });

  it("after the last member left, the next join waits for a new subscription", async () => {
    const gated = gatedLayer();
    const registry = new GroupRegistry(gated.layer);
    const only = member();
    const pending = registry.join("articles-1", only);
    gated.answer();
    await pending;
    registry.leave("articles-1", only);

    expect(registry.join("articles-1", member())).toBeInstanceOf(Promise);
    expect(gated.subscribes).toBe(2);
  });
});
