/**
 * The channel-layer contract, run against every layer: what the gateway and the send API rely
 * on. Absence is proven without sleeping: after the publish under test, a marker is published
 * to a group the listener is in (or to a witness group), and what arrived before it is checked.
 * Redis delivers the messages of one publisher connection to one subscriber connection in
 * order, so a marker that arrived means everything published before it has arrived too.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import { createRedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { recorder } from "./helpers";

function layerContract(makeLayer: () => ChannelLayer): void {
  const layers: ChannelLayer[] = [];
  const open = () => {
    const layer = makeLayer();
    layers.push(layer);
    return layer;
  };
  afterEach(async () => {
    await Promise.all(layers.splice(0).map((layer) => layer.close()));
  });

  it("delivers a publish to the subscribers of that group only", async () => {
    const layer = open();
    const a = recorder();
    const b = recorder();
    await layer.subscribe("group-a", a.listener);
    await layer.subscribe("group-b", b.listener);
    await layer.publish("group-a", "for-a");
    await layer.publish("group-b", "for-b");
    await layer.publish("group-nobody", "for-nobody");
    await layer.publish("group-a", "marker-a");
    await layer.publish("group-b", "marker-b");
    await a.next((frame) => frame === "marker-a");
    await b.next((frame) => frame === "marker-b");
    expect(a.frames).toEqual(["for-a", "marker-a"]);
    expect(b.frames).toEqual(["for-b", "marker-b"]);
  });

  it("delivers to every listener of a group, and one leaving does not stop the others", async () => {
    const layer = open();
    const first = recorder();
    const second = recorder();
    const stopFirst = await layer.subscribe("shared", first.listener);
    await layer.subscribe("shared", second.listener);
    await layer.publish("shared", "both");
    await first.next((frame) => frame === "both");
    await second.next((frame) => frame === "both");

    stopFirst();
    stopFirst(); // idempotent: must not drop the second listener's share of the subscription
    await layer.publish("shared", "second-only");
    await second.next((frame) => frame === "second-only");
    expect(first.frames).toEqual(["both"]);
    expect(second.frames).toEqual(["both", "second-only"]);
  });

  it("stops delivery after unsubscribe, also when the group is joined again at once", async () => {
    const layer = open();
    const gone = recorder();
    const witness = recorder();
    await layer.subscribe("witness", witness.listener);
    const stop = await layer.subscribe("leaving", gone.listener);
    await layer.publish("leaving", "before");
    await gone.next((frame) => frame === "before");
    stop();

    await layer.publish("leaving", "after-stop");
    await layer.publish("witness", "marker-1");
    await witness.next((frame) => frame === "marker-1");
    expect(gone.frames).toEqual(["before"]);

    // Last listener out and a new one in straight away: the new one must be live.
    const back = recorder();
    await layer.subscribe("leaving", back.listener);
    await layer.publish("leaving", "rejoined");
    await back.next((frame) => frame === "rejoined");
    expect(gone.frames).toEqual(["before"]);
  });

  it("resolves subscribe only when active: a publish right after it is delivered", async () => {
    const layer = open();
    const groups = Array.from({ length: 25 }, (_, index) => `ready-${index}`);
    const recorders = groups.map(() => recorder());
    await Promise.all(
      groups.map(async (group, index) => {
        await layer.subscribe(group, recorders[index]!.listener);
        await layer.publish(group, `hello-${group}`);
      }),
    );
    await Promise.all(recorders.map((rec, index) => rec.next((frame) => frame === `hello-${groups[index]}`)));
  });

  it("keeps one listener's throw from reaching the other listeners", async () => {
    const layer = open();
    const good = recorder();
    const errors = console.error;
    console.error = () => undefined;
    try {
      await layer.subscribe("throwing", () => {
        throw new Error("listener bug");
      });
      await layer.subscribe("throwing", good.listener);
      await layer.publish("throwing", "still-delivered");
      await good.next((frame) => frame === "still-delivered");
    } finally {
      console.error = errors;
    }
  });

  it("round-trips unicode, control characters and 100 KB frames byte-exact", async () => {
    const layer = open();
    const rec = recorder();
    await layer.subscribe("bytes", rec.listener);
    const unicode = JSON.stringify({ type: "message", text: "héllo 👋🏽 日本語 ﷽ \u2028\u2029 \u0000 \"quoted\" \\ \r\n\ttab" });
    const raw = "raw \r\n*3\r\n$7\r\nmessage\r\n not JSON at all ✓";
    const unit = "abcdefghij-é-€-𝄞-";
    const big = JSON.stringify({ type: "message", text: unit.repeat(Math.ceil(100_000 / Buffer.byteLength(unit))) });
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(100_000);
    for (const frame of [unicode, raw, big]) await layer.publish("bytes", frame);
    await rec.next((frame) => frame.length === big.length);
    expect(rec.frames).toHaveLength(3);
    expect(Buffer.from(rec.frames[0]!).equals(Buffer.from(unicode))).toBe(true);
    expect(Buffer.from(rec.frames[1]!).equals(Buffer.from(raw))).toBe(true);
    expect(Buffer.from(rec.frames[2]!).equals(Buffer.from(big))).toBe(true);
  });

  it("closes idempotently and delivers nothing after close", async () => {
    const layer = open();
    const rec = recorder();
    await layer.subscribe("closing", rec.listener);
    await Promise.all([layer.close(), layer.close()]);
    await layer.close();
    await layer.publish("closing", "after-close").catch(() => undefined);
    expect(rec.frames).toEqual([]);
  });
}

describe.each(["memory", "redis"] as const)("%s layer: contract", (kind) => {
  if (kind === "memory") {
    layerContract(() => createMemoryLayer());
    return;
  }
  describeWithRedis("against a throwaway redis-server", () => {
    let server: RedisTestServer;
    beforeAll(async () => {
      server = await RedisTestServer.start();
    });
    afterAll(async () => {
      await server?.dispose();
    });
    // A fresh prefix per layer: tests never see each other's channels on the shared server.
    layerContract(() => createRedisLayer({ url: server.url, prefix: `contract-${randomUUID()}:` }));
  });
});
