/**
 * Typed events and live refresh on real sockets: a real gateway, real `ws` clients with real
 * Auth.js cookies, and (for durability) a real Drizzle store on PGlite. Absence is proven with a
 * marker sent afterwards on the same path, never by waiting.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { createEventEmitter } from "../../packages/next-channels-broadcast/src/server/events";
import { issueSubscriptionToken } from "../../packages/next-channels-broadcast/src/server/auth/tokens";
import { defineEvents } from "../../packages/next-channels-broadcast/src/shared/events";
import { InvalidNotificationError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { gatewayPerTest, type TestClient } from "../helpers/gateway-server";
import { TEST_SECRET } from "../helpers/sessions";
import { replayServerPerTest } from "../replay/harness";

const events = defineEvents({
  "comment.created": z.object({ id: z.number().int(), author: z.string().min(1) }),
  "job.status": z.object({ status: z.enum(["queued", "running", "done"]) }),
});
const { emit } = createEventEmitter(events);

const isEvent = (name: string) => (frame: ServerFrame) => frame.type === "event" && frame.event === name;

let markers = 0;
/** Emits a marker event to `channel` and waits for it: whatever was sent to `client` before it has arrived. */
async function settleOn(client: TestClient, target: api.Target): Promise<void> {
  const id = (markers += 1);
  await emit(target, "comment.created", { id, author: "marker" });
  await client.next((frame) => frame.type === "event" && (frame.data as { author?: string; id?: number }).author === "marker" && (frame.data as { id: number }).id === id);
}

function eventsOf(client: TestClient, name: string): unknown[] {
  return client.frames.flatMap((frame) => (frame.type === "event" && frame.event === name ? [frame.data] : []));
}

describe("emit", () => {
  const gw = gatewayPerTest();

  it("refuses undeclared events and data that does not match the schema with a typed error, and sends nothing", async () => {
    await gw.start({}, { tokenSecret: TEST_SECRET });
    const alice = await gw.connect({ userId: "alice" });
    const bad = [
      () => emit({ user: "alice" }, "comment.created", { id: 1.5, author: "x" }),
      () => emit({ user: "alice" }, "comment.created", { id: 1 } as never),
      () => emit({ user: "alice" }, "nope" as never, {} as never),
      () => api.notify({ user: "alice" }, { event: "has space", data: {} }),
      () => api.notify({ user: "alice" }, { event: "big", data: "x".repeat(40_000) }),
      () => api.notify({ user: "alice" }, { event: "circular", data: (() => { const loop: Record<string, unknown> = {}; loop.self = loop; return loop; })() }),
    ];
    for (const call of bad) {
      const error = await call().then(() => null, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidNotificationError);
      expect((error as InvalidNotificationError).code).toBe("INVALID_EVENT");
    }
    await settleOn(alice, { user: "alice" });
    // Only the marker arrived.
    expect(alice.frames.filter((frame) => frame.type === "event")).toHaveLength(1);
  });

  it("reaches only its audience: a user's event goes to every tab of that user, not to bob", async () => {
    await gw.start({}, { tokenSecret: TEST_SECRET });
    const [tab1, tab2, bob] = await Promise.all([gw.connect({ userId: "alice" }), gw.connect({ userId: "alice" }), gw.connect({ userId: "bob" })]);
    await expect(emit({ user: "alice" }, "job.status", { status: "running" })).resolves.toMatchObject({ sent: true, group: "user:alice" });
    for (const tab of [tab1, tab2]) expect(await tab.next(isEvent("job.status"))).toEqual({ type: "event", event: "job.status", channel: "user:alice", data: { status: "running" } });
    await settleOn(bob, { user: "bob" });
    expect(eventsOf(bob, "job.status")).toEqual([]);
  });

  it("honours the audience gates: page channels off → not sent, and says which setting", async () => {
    await gw.start({ enablePageChannels: false }, { tokenSecret: TEST_SECRET });
    await expect(emit({ channel: "jobs-1" }, "job.status", { status: "done" })).resolves.toEqual({
      sent: false,
      group: "jobs-1",
      reason: "audience-disabled",
      setting: "ENABLE_PAGE_CHANNELS",
    });
  });

  it("reaches a channel only on sockets the authorizer or a token let hold it", async () => {
    await gw.start({}, { tokenSecret: TEST_SECRET, authorizer: (user, channel) => user?.id === "alice" && channel === "articles-1" });
    const alice = await gw.connect({ userId: "alice", query: `extraChannels=${encodeURIComponent(JSON.stringify(["articles-1"]))}` });
    const denied = await gw.connect({ userId: "bob", query: `extraChannels=${encodeURIComponent(JSON.stringify(["articles-1"]))}` });
    const withToken = await gw.connect({ userId: "carol", query: `subscription_token=${issueSubscriptionToken({ user: "carol", channels: ["articles-1"], secret: TEST_SECRET })}` });
    await emit({ channel: "articles-1" }, "comment.created", { id: 7, author: "dana" });
    expect(await alice.next(isEvent("comment.created"))).toMatchObject({ channel: "articles-1", data: { id: 7, author: "dana" } });
    expect(await withToken.next(isEvent("comment.created"))).toMatchObject({ channel: "articles-1", data: { id: 7, author: "dana" } });
    await settleOn(denied, { user: "bob" });
    expect(eventsOf(denied, "comment.created")).toEqual([{ id: markers, author: "marker" }]);
  });

  it("carries none of the fields the original client acts on (text, url, progress)", async () => {
    await gw.start({}, { tokenSecret: TEST_SECRET });
    const alice = await gw.connect({ userId: "alice" });
    await emit({ user: "alice" }, "job.status", { status: "queued" });
    await api.refresh({ user: "alice" });
    await alice.next((frame) => frame.type === "refresh");
    const sent = alice.raw.map((text) => JSON.parse(text) as Record<string, unknown>).filter((frame) => frame.type === "event" || frame.type === "refresh");
    expect(sent).toHaveLength(2);
    for (const frame of sent) for (const field of ["text", "url", "progress"]) expect(frame).not.toHaveProperty(field);
  });
});

describe("durable and live-only events, and refresh, with a store", () => {
  const replay = replayServerPerTest();

  it("a durable event is replayed by position to a tab that was away; a live-only one is not", async () => {
    const server = await replay.start({ authorizer: (_user, channel) => channel === "jobs-1" });
    const extra = ["jobs-1"];
    const tab = await server.connect({ userId: "alice", extraChannels: extra });
    await emit({ channel: "jobs-1" }, "job.status", { status: "queued" }, { durable: true });
    const seen = (await tab.next(isEvent("job.status"))) as { id: number };
    expect(seen.id).toEqual(expect.any(Number));
    await tab.close();

    await emit({ channel: "jobs-1" }, "job.status", { status: "running" });
    const durable = await emit({ channel: "jobs-1" }, "job.status", { status: "done" }, { durable: true });
    expect(durable).toMatchObject({ sent: true, id: expect.any(Number) });

    const back = await server.connect({ userId: "alice", lastId: seen.id, extraChannels: extra });
    // Replayed before hello: only the durable one, with its id.
    expect(back.frames.filter((frame) => frame.type === "event")).toEqual([{ type: "event", id: (durable as { id: number }).id, event: "job.status", channel: "jobs-1", data: { status: "done" } }]);
  });

  it("a durable event to a user waits in the inbox (asks for an ack) until a tab acks it", async () => {
    const server = await replay.start();
    await emit({ user: "alice" }, "comment.created", { id: 3, author: "bob" }, { durable: true });
    const first = await server.connect({ userId: "alice" });
    const [replayed] = first.frames.filter((frame) => frame.type === "event");
    expect(replayed).toMatchObject({ ack: true, data: { id: 3, author: "bob" } });
    const id = (replayed as { id: number }).id;
    first.send(JSON.stringify({ type: "ack", ids: [id] }));
    await server.nextAck((ack) => ack.id === id);
    await first.close();
    const second = await server.connect({ userId: "alice" });
    expect(second.frames.filter((frame) => frame.type === "event")).toEqual([]);
  });

  it("a refresh is stored and recovered by position (never an inbox row), with its origin", async () => {
    const server = await replay.start({ authorizer: (_user, channel) => channel === "articles-1" });
    const extra = ["articles-1"];
    const tab = await server.connect({ userId: "alice", extraChannels: extra });
    const position = (await server.store.currentWatermark()) ?? 0;
    await tab.close();
    await expect(api.refreshObject("articles-1", { origin: "tab-42" })).resolves.toBe(true);
    await expect(api.refresh({ user: "alice" })).resolves.toBe(true);

    const back = await server.connect({ userId: "alice", lastId: position, extraChannels: extra });
    const refreshes = back.frames.filter((frame) => frame.type === "refresh");
    expect(refreshes).toEqual([
      { type: "refresh", id: expect.any(Number), channel: "articles-1", origin: "tab-42" },
      { type: "refresh", id: expect.any(Number), channel: "user:alice" },
    ]);
    // Not an inbox row: a new tab without a position is not sent it.
    const fresh = await server.connect({ userId: "alice", extraChannels: extra });
    expect(fresh.frames.filter((frame) => frame.type === "refresh")).toEqual([]);
  });

  it("refuses an origin that is not a tab id", async () => {
    await replay.start();
    const error = await api.refresh("all", { origin: "<script>" }).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidNotificationError);
    expect((error as InvalidNotificationError).code).toBe("INVALID_ARGUMENT");
  });
});
