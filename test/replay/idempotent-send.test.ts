/**
 * Idempotent sends through the public send API, end to end: a real gateway whose runtime stores
 * in a real PGlite database, a raw `ws` client that shows every frame on the wire, and the
 * browser's own socket (`createNotificationSocket`) that shows what a page would display.
 * No sleeping: a marker sent afterwards proves earlier frames arrived (or did not).
 */
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { InvalidNotificationError, PublishError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { openBrowserSocket, type BrowserSocket } from "../helpers/browser-socket";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";
import { messages, startReplayServer, type ReplayServer } from "./harness";

let database: TestDatabase;
let server: ReplayServer | undefined;
let browser: BrowserSocket | undefined;
/** While true, the layer refuses publishes (Redis down, say). */
let layerDown = false;

function flakyLayer(): ChannelLayer {
  const inner = createMemoryLayer();
  return {
    kind: "flaky-memory",
    publish: (group, frame) => (layerDown ? Promise.reject(new Error("layer down")) : inner.publish(group, frame)),
    subscribe: (group, listener) => inner.subscribe(group, listener),
    close: () => inner.close(),
  };
}

async function rowCount(): Promise<number> {
  const result = await database.db.execute(sql`select count(*)::int as n from ncb_notifications`);
  return Number((result as unknown as { rows: { n: number }[] }).rows[0]!.n);
}

let markers = 0;
/** Sends a marker to alice and waits until both the wire client and the browser socket have it. */
async function settle(wire: TestClient): Promise<void> {
  const marker = `marker-${(markers += 1)}`;
  await api.notify({ user: "alice" }, { message: marker });
  await wire.next((frame) => frame.type === "message" && frame.text === marker);
  await browser!.until((frame) => frame.type === "message" && frame.text === marker, marker);
}

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  layerDown = false;
  server = await startReplayServer({ database, layer: flakyLayer() });
});
afterEach(async () => {
  browser?.dispose();
  browser = undefined;
  await server?.close();
  server = undefined;
});

describe("notify with an idempotency key, with a store", () => {
  it("twice with one key: one row, the frame goes out twice under one id, the page shows it once", async () => {
    const wire = await server!.connect({ userId: "alice" });
    browser = await openBrowserSocket(server!.url, "alice");

    const first = await api.notify({ user: "alice" }, { message: "Order shipped", level: "success" }, { idempotencyKey: "order-42-shipped" });
    const second = await api.notify({ user: "alice" }, { message: "Order shipped", level: "success" }, { idempotencyKey: "order-42-shipped" });
    expect(first).toEqual({ sent: true, group: "user:alice", id: expect.any(Number) });
    expect(second).toEqual(first);
    const id = (first as { id: number }).id;
    await settle(wire);

    expect(await rowCount()).toBe(2); // the send and the marker
    const onTheWire = messages(wire).filter((m) => m.text === "Order shipped");
    expect(onTheWire).toEqual([
      { id, text: "Order shipped" },
      { id, text: "Order shipped" },
    ]);
    expect(browser.messages().filter((m) => m.text === "Order shipped")).toEqual([{ id, text: "Order shipped" }]);
  });

  it("different keys are different notifications", async () => {
    const wire = await server!.connect({ userId: "alice" });
    browser = await openBrowserSocket(server!.url, "alice");
    const a = await api.notify("all", { message: "same text" }, { idempotencyKey: "k-a" });
    const b = await api.notify("all", { message: "same text" }, { idempotencyKey: "k-b" });
    await settle(wire);
    expect(a.sent && b.sent && b.id! > a.id!).toBe(true);
    expect(browser.messages().filter((m) => m.text === "same text")).toHaveLength(2);
    expect(await rowCount()).toBe(3);
  });

  it("a retry after a failed publish delivers the stored row under its original id", async () => {
    const wire = await server!.connect({ userId: "alice" });
    browser = await openBrowserSocket(server!.url, "alice");
    layerDown = true;
    const failed = await api.notify({ user: "alice" }, { message: "retry me" }, { idempotencyKey: "retry-1" }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PublishError);
    const storedId = (failed as PublishError).storedId;
    expect(storedId).toEqual(expect.any(Number));

    layerDown = false;
    expect(await api.notify({ user: "alice" }, { message: "retry me" }, { idempotencyKey: "retry-1" })).toEqual({ sent: true, group: "user:alice", id: storedId });
    await settle(wire);
    expect(messages(wire).filter((m) => m.text === "retry me")).toEqual([{ id: storedId, text: "retry me" }]);
    expect(browser.messages().filter((m) => m.text === "retry me")).toEqual([{ id: storedId, text: "retry me" }]);
    expect(await rowCount()).toBe(2);
  });

  it("refuses malformed keys with InvalidNotificationError before storing or sending anything", async () => {
    const wire = await server!.connect({ userId: "alice" });
    browser = await openBrowserSocket(server!.url, "alice");
    for (const bad of ["", "k".repeat(201), 42, null, { key: "x" }]) {
      const error = await api.notify({ user: "alice" }, { message: "bad key" }, { idempotencyKey: bad as string }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidNotificationError);
      expect((error as InvalidNotificationError).message).toMatch(/idempotencyKey/);
    }
    // Also for a disabled audience: the arguments are checked before the gate.
    await expect(api.notify("anonymous", { message: "x" }, { idempotencyKey: "" })).rejects.toBeInstanceOf(InvalidNotificationError);
    expect(await api.notify({ user: "alice" }, { message: "longest key" }, { idempotencyKey: "k".repeat(200) })).toMatchObject({ sent: true });
    await settle(wire);
    expect(wire.texts().filter((text) => text === "bad key")).toEqual([]);
    expect(await rowCount()).toBe(2);
  });
});

describe("notify with an idempotency key, without a store", () => {
  let live: TestGateway | undefined;
  afterEach(async () => {
    await live?.close();
    live = undefined;
  });

  it("cannot be honoured: the key is checked, and every call is published (no id)", async () => {
    await server?.close();
    server = undefined;
    live = await startTestGateway();
    const wire = await TestClient.connect(live.url, { userId: "alice" });
    expect(await api.notify({ user: "alice" }, { message: "live" }, { idempotencyKey: "k" })).toEqual({ sent: true, group: "user:alice" });
    expect(await api.notify({ user: "alice" }, { message: "live" }, { idempotencyKey: "k" })).toEqual({ sent: true, group: "user:alice" });
    await expect(api.notify({ user: "alice" }, { message: "live" }, { idempotencyKey: "" })).rejects.toBeInstanceOf(InvalidNotificationError);
    await api.notify({ user: "alice" }, { message: "marker" });
    await wire.next((frame) => frame.type === "message" && frame.text === "marker");
    expect(messages(wire).filter((m) => m.text === "live")).toEqual([
      { id: undefined, text: "live" },
      { id: undefined, text: "live" },
    ]);
    await wire.close();
  });
});
