/**
 * The browser socket (`createNotificationSocket`, run with the `ws` package and a real Auth.js
 * cookie) against the REAL gateway with a real store on PGlite: a backlog of 80 inbox rows is
 * replayed, acknowledged in a couple of batched frames (never one frame per row, so the client
 * frame-rate limit is never in reach), recorded by the store, and not replayed again; broadcasts
 * are never acked. A page's `since` recovers a channel message sent between render and subscribe.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import * as api from "../../src/notifications/server";
import { currentWatermark } from "../../src/notifications/server/send";
import { createNotificationSocket } from "../../src/notifications/client/socket";
import type { NotificationSocket, WebSocketConstructor } from "../../src/notifications/client/socket";
import { MAX_ACK_BATCH } from "../../src/notifications/shared/protocol";
import { sessionCookie } from "../helpers/sessions";
import { startReplayServer, type ReplayServer } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";
import { Recorder } from "./helpers";

let database: TestDatabase;
let server: ReplayServer | undefined;
let socket: NotificationSocket | undefined;
/** Every text frame the browser socket sent, parsed. */
let sent: { type: string; ids?: number[] }[];

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  sent = [];
});
afterEach(async () => {
  socket?.dispose();
  socket = undefined;
  await server?.close();
  server = undefined;
});

/** The `ws` client with the user's session cookie, recording what it sends. */
async function browserAs(userId: string): Promise<WebSocketConstructor> {
  const cookie = await sessionCookie(userId);
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
    }

    override send(data: string): void {
      sent.push(JSON.parse(data));
      super.send(data);
    }
  } as unknown as WebSocketConstructor;
}

describe("an inbox backlog replayed to the browser socket", () => {
  it("80 rows: all shown, acked in ≤ 2 frames, recorded by the store, socket stays open, nothing replayed again", async () => {
    server = await startReplayServer({ database });
    const ids: number[] = [];
    for (let n = 1; n <= 80; n += 1) {
      const result = await api.notify({ user: "alice" }, { message: `backlog ${n}` });
      if (result.sent && result.id !== undefined) ids.push(result.id);
    }
    expect(ids).toHaveLength(80);

    const recorder = new Recorder();
    socket = createNotificationSocket({
      url: server.url,
      WebSocket: await browserAs("alice"),
      backoff: { initialMs: 10, jitter: 0 },
      lifecycle: false,
      onFrame: recorder.onFrame,
      onStateChange: recorder.onStateChange,
    });
    socket.connect();
    await recorder.until(() => recorder.frames.some((frame) => frame.type === "hello"), "hello");
    const shown = recorder.frames.flatMap((frame) => (frame.type === "message" ? [frame.id] : []));
    expect(shown).toEqual(ids);

    await Promise.all(ids.map((id) => server!.nextAck((ack) => ack.id === id && ack.user?.id === "alice")));
    const ackFrames = sent.filter((frame) => frame.type === "ack");
    expect(ackFrames.length).toBeLessThanOrEqual(2);
    expect(ackFrames.every((frame) => frame.ids!.length <= MAX_ACK_BATCH)).toBe(true);
    expect(ackFrames.flatMap((frame) => frame.ids).sort((a, b) => a! - b!)).toEqual(ids);
    expect(sent.some((frame) => frame.type === "ack_message")).toBe(false);

    // A broadcast is recovered by position, never acked: a marker to alice afterwards proves it.
    await api.sendToAll("to everyone");
    const marker = await api.notify({ user: "alice" }, { message: "marker" });
    await recorder.until(() => recorder.frames.some((frame) => frame.type === "message" && frame.text === "marker"), "marker");
    await server.nextAck((ack) => marker.sent && ack.id === marker.id);
    const broadcast = recorder.frames.find((frame) => frame.type === "message" && frame.text === "to everyone");
    // Stored (a recovery row, with an id) but not an inbox row: no ack asked, none sent.
    expect(broadcast).toMatchObject({ id: expect.any(Number) });
    expect(broadcast).not.toHaveProperty("ack");
    const acked = sent.flatMap((frame) => frame.ids ?? []);
    expect(acked).not.toContain((broadcast as { id: number }).id);
    expect(acked).toContain(marker.sent ? marker.id : -1);
    expect(recorder.states.map((state) => state.status)).toEqual(["connecting", "open"]);

    // Everything was acknowledged: the next connect replays no inbox row.
    const before = recorder.frames.length;
    await api.reauthenticateUser("alice");
    await recorder.state((state) => state.status === "open", 2);
    await recorder.until(() => recorder.frames.slice(before).some((frame) => frame.type === "hello"), "second hello");
    expect(recorder.frames.slice(before).filter((frame) => frame.type === "message")).toEqual([]);
  });

  it("a page's since: a comment sent between rendering the page and subscribing arrives, before the subscribe's answer", async () => {
    server = await startReplayServer({ database, authorizer: (_user, channel) => channel.startsWith("articles-") });
    const recorder = new Recorder();
    socket = createNotificationSocket({
      url: server.url,
      WebSocket: await browserAs("alice"),
      backoff: { initialMs: 10, jitter: 0 },
      lifecycle: false,
      // No watermark and nothing settled: without a page's `since` the tab has no position to give.
      onFrame: recorder.onFrame,
      onStateChange: recorder.onStateChange,
    });
    socket.connect();
    await recorder.until(() => recorder.frames.some((frame) => frame.type === "hello"), "hello");

    // The article page renders (its watermark), a comment is posted, then the page subscribes.
    const since = (await currentWatermark()) ?? 0;
    await api.sendToChannel("articles-5", "posted between render and subscribe");
    const handle = socket.subscribe({ channels: ["articles-5"], since });
    await recorder.until(() => handle.getState().status === "subscribed", "subscribed");
    const comment = recorder.frames.findIndex((frame) => frame.type === "message" && frame.text === "posted between render and subscribe");
    const answer = recorder.frames.findIndex((frame) => frame.type === "subscribed");
    expect(comment).toBeGreaterThan(-1);
    expect(comment).toBeLessThan(answer);
    expect(sent.find((frame) => frame.type === "subscribe")).toEqual({ type: "subscribe", ref: "s1", channels: ["articles-5"], lastId: since });
    expect(recorder.frames.find((frame) => frame.type === "message" && frame.text === "posted between render and subscribe")).not.toHaveProperty("ack");

    // The same race on a page that gives no `since`: nothing to recover from, and the comment is
    // missed (replays come before the answer, so by the answer it would have arrived).
    await api.sendToChannel("articles-6", "missed without since");
    const bare = socket.subscribe({ channels: ["articles-6"] });
    await recorder.until(() => bare.getState().status === "subscribed", "subscribed without since");
    expect(sent.filter((frame) => frame.type === "subscribe").at(-1)).toEqual({ type: "subscribe", ref: "s2", channels: ["articles-6"] });
    expect(recorder.frames.some((frame) => frame.type === "message" && frame.text === "missed without since")).toBe(false);
  });
});
