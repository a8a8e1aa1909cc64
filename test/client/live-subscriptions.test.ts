/**
 * The browser socket (`createNotificationSocket`, run here with the `ws` package) against the
 * REAL gateway: per-page subscriptions across client-side navigations on one socket, tokens that
 * change, reconnects, and the `lastId` recovery parameter.
 */
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import * as api from "../../src/notifications/server";
import { issueSubscriptionToken } from "../../src/notifications/server/auth/tokens";
import { createNotificationSocket, withLastId } from "../../src/notifications/client/socket";
import { createSubscriptionRegistry } from "../../src/notifications/client/subscriptions";
import type { NotificationSocket, NotificationSocketOptions, WebSocketConstructor } from "../../src/notifications/client/socket";
import { startTestGateway, watchedMemoryLayer, type TestGateway } from "../helpers/gateway-server";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";
import { Recorder } from "./helpers";

let server: TestGateway | undefined;
let socket: NotificationSocket | undefined;
let recorder: Recorder;
let upgrades: string[];

afterEach(async () => {
  socket?.dispose();
  socket = undefined;
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  server = await startTestGateway({}, { tokenSecret: TEST_SECRET, ...options });
  upgrades = [];
  server.server.on("upgrade", (req: IncomingMessage) => upgrades.push(req.url ?? ""));
  return server;
}

/** The `ws` client with alice's session cookie, as a browser would send it. */
async function browserAs(userId: string): Promise<WebSocketConstructor> {
  const cookie = await sessionCookie(userId);
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
    }
  } as unknown as WebSocketConstructor;
}

async function open(userId = "alice", overrides: Partial<NotificationSocketOptions> = {}): Promise<NotificationSocket> {
  recorder = new Recorder();
  socket = createNotificationSocket({
    url: server!.url,
    WebSocket: await browserAs(userId),
    backoff: { initialMs: 10, jitter: 0 },
    lifecycle: false,
    onFrame: recorder.onFrame,
    onStateChange: recorder.onStateChange,
    onChannelsChange: recorder.onChannelsChange,
    ...overrides,
  });
  socket.connect();
  await recorder.next("open");
  await waitForFrame((frame) => frame.type === "hello");
  return socket;
}

/** Waits until a frame recorded at index `from` or later matches (or, ignoring frames, a condition holds). */
function waitForFrame(match: (frame: Recorder["frames"][number]) => boolean, from = 0): Promise<void> {
  return recorder.until(() => recorder.frames.slice(from).some(match), "a matching frame");
}

const texts = () => recorder.frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : []));

let markers = 0;
/** Sends `text` to `channel` and a marker to alice afterwards; true when `text` arrived before the marker. */
async function receives(channel: string, text: string): Promise<boolean> {
  await api.sendToChannel(channel, text);
  const marker = `marker-${(markers += 1)}`;
  await api.sendToUser("alice", marker);
  await waitForFrame((frame) => frame.type === "message" && frame.text === marker);
  return texts().includes(text);
}

/** Waits until the server has answered `count` subscribe/unsubscribe frames in total. */
async function answers(count: number): Promise<void> {
  await recorder.until(() => recorder.frames.filter((frame) => frame.type === "subscribed").length >= count, `${count} subscribed answers`);
}

const token = (channels: string[], user: string | null = "alice") => issueSubscriptionToken({ user, channels, secret: TEST_SECRET });

describe("per-page subscriptions on the real gateway", () => {
  it("article 1 → article 2 on one socket: 1 stops, 2 starts", async () => {
    await start({ authorizer: (_user, channel) => channel.startsWith("articles-") });
    const client = await open();
    const leave1 = client.subscribe({ channels: ["articles-1"] });
    await answers(1);
    expect(await receives("articles-1", "on 1")).toBe(true);

    leave1();
    client.subscribe({ channels: ["articles-2"] });
    await answers(3);
    expect(client.getChannels()).toEqual(["articles-2"]);
    expect(await receives("articles-1", "1 after leaving")).toBe(false);
    expect(await receives("articles-2", "on 2")).toBe(true);
    expect(upgrades).toHaveLength(1);
    expect(server!.gateway.connectionCount()).toBe(1);
  });

  it("a token page → another token page releases the first token's channel", async () => {
    await start(); // deny-all authorizer: only tokens grant
    const client = await open();
    const leave1 = client.subscribe({ token: token(["jobs-1"]) });
    await answers(1);
    expect(await receives("jobs-1", "job 1")).toBe(true);
    leave1();
    client.subscribe({ token: token(["jobs-2"]) });
    await answers(3);
    expect(client.getChannels()).toEqual(["jobs-2"]);
    expect(await receives("jobs-1", "job 1 after leaving")).toBe(false);
    expect(await receives("jobs-2", "job 2")).toBe(true);
    expect(server!.gateway.groupSize("jobs-1")).toBe(0);
  });

  it("leaving a token page before the server answered still releases what the token granted", async () => {
    await start();
    const client = await open();
    // Both in the same tick: the first answer comes after the first page is already gone.
    const leave1 = client.subscribe({ token: token(["jobs-1"]) });
    leave1();
    client.subscribe({ token: token(["jobs-2"]) });
    await recorder.until(() => client.getChannels().length === 1 && client.getChannels()[0] === "jobs-2", "only jobs-2 held");
    expect(await receives("jobs-1", "stale job")).toBe(false);
    expect(await receives("jobs-2", "job 2")).toBe(true);
    await expect.poll(() => server!.gateway.groupSize("jobs-1")).toBe(0);
  });

  it("a refreshed token for the same channel, subscribed before the old one is released, keeps the channel throughout", async () => {
    const { layer, left } = watchedMemoryLayer();
    await start({ layer });
    const client = await open();
    const leave1 = client.subscribe({ token: token(["jobs-1"]) });
    await answers(1);
    expect(await receives("jobs-1", "before the refresh")).toBe(true);
    // What <ChannelSubscription> does when router.refresh() hands it a new token string: the new
    // request first, then the old one released.
    client.subscribe({ token: issueSubscriptionToken({ user: "alice", channels: ["jobs-1"], secret: TEST_SECRET, ttl: 600 }) });
    leave1();
    await api.sendToChannel("jobs-1", "during the swap");
    await answers(3);
    expect(client.getChannels()).toEqual(["jobs-1"]);
    expect(await receives("jobs-1", "after the swap")).toBe(true);
    expect(texts()).toContain("during the swap");
    expect(left).not.toContain("jobs-1");
    expect(recorder.channels.every((channels) => channels.includes("jobs-1"))).toBe(true);
  });

  it("the same swap before any answer came keeps the channel too", async () => {
    const { layer, left } = watchedMemoryLayer();
    await start({ layer });
    const client = await open();
    const leave1 = client.subscribe({ token: token(["jobs-1"]) });
    client.subscribe({ token: issueSubscriptionToken({ user: "alice", channels: ["jobs-1"], secret: TEST_SECRET, ttl: 600 }) });
    leave1();
    await answers(3);
    expect(client.getChannels()).toEqual(["jobs-1"]);
    expect(await receives("jobs-1", "still on the job page")).toBe(true);
    expect(left).not.toContain("jobs-1");
  });

  it("a token already past its expiry is swapped for getToken's before it is ever sent", async () => {
    await start();
    const client = await open();
    let calls = 0;
    const expired = issueSubscriptionToken({ user: "alice", channels: ["jobs-3"], secret: TEST_SECRET, ttl: 60, now: Date.now() - 120_000 });
    const handle = client.subscribe({ token: expired, getToken: async () => ((calls += 1), token(["jobs-3"])) });
    await answers(1);
    expect(handle.getState()).toEqual({ status: "subscribed", granted: ["jobs-3"], refused: [] });
    expect(calls).toBe(1);
    expect(await receives("jobs-3", "job 3")).toBe(true);
  });

  it("a browser whose clock is behind sends the expired token: refused as expired, refreshed through getToken, granted, delivering", async () => {
    await start();
    // The tab's clock runs ten minutes slow, so it cannot tell the token has expired; the server can.
    const client = await open("alice", { subscriptions: createSubscriptionRegistry({ now: () => Date.now() - 600_000 }) });
    let calls = 0;
    const expired = issueSubscriptionToken({ user: "alice", channels: ["jobs-3"], secret: TEST_SECRET, ttl: 60, now: Date.now() - 120_000 });
    const handle = client.subscribe({ channels: [], token: expired, getToken: async () => ((calls += 1), token(["jobs-3"])) });
    await answers(2); // the refusal, then the fresh request's grant
    expect(recorder.frames.find((frame) => frame.type === "subscribed")).toMatchObject({ ref: "s1", granted: [], refused: [{ reason: "expired" }] });
    expect(handle.getState()).toEqual({ status: "subscribed", granted: ["jobs-3"], refused: [] });
    expect(calls).toBe(1);
    expect(client.getChannels()).toEqual(["jobs-3"]);
    expect(await receives("jobs-3", "job 3")).toBe(true);
  });

  it("refusal reasons reach the request's state: a denied name, another user's token", async () => {
    await start({ authorizer: (_user, channel) => channel === "articles-1" });
    const client = await open();
    const named = client.subscribe({ channels: ["articles-1", "articles-2"] });
    const foreign = client.subscribe({ token: token(["jobs-9"], "bob") });
    await answers(2);
    expect(named.getState()).toEqual({ status: "subscribed", granted: ["articles-1"], refused: [{ reason: "denied", channel: "articles-2" }] });
    expect(foreign.getState()).toMatchObject({ status: "refused", reason: "invalid" });
  });

  it("another user's token grants nothing through the client either", async () => {
    await start();
    const client = await open();
    client.subscribe({ token: token(["jobs-9"], "bob") });
    await answers(1);
    expect(client.getChannels()).toEqual([]);
    expect(await receives("jobs-9", "bob's job")).toBe(false);
  });

  it("a reconnect (session re-check, 4001) re-establishes the page's subscriptions", async () => {
    await start({ authorizer: () => true });
    const client = await open();
    client.subscribe({ channels: ["articles-1"] });
    client.subscribe({ token: token(["jobs-1"]) });
    await answers(2);
    await api.reauthenticateUser("alice");
    await recorder.next("reconnecting");
    await recorder.next("open");
    await recorder.until(() => client.getChannels().length === 2, "both channels restored");
    expect([...client.getChannels()].sort()).toEqual(["articles-1", "jobs-1"]);
    expect(await receives("articles-1", "after reconnect")).toBe(true);
    expect(await receives("jobs-1", "job after reconnect")).toBe(true);
    expect(upgrades).toHaveLength(2);
  });
});

describe("lastId on (re)connect", () => {
  it("is absent until an id is settled, then carries the highest settled id on every reconnect", async () => {
    await start();
    const client = await open("alice", { settleMs: 0 });
    expect(upgrades[0]).toBe("/ws/notifications");
    // Stored notifications carry ids; the gateway passes them through as published.
    const frame = (id: number) => JSON.stringify({ type: "message", id, text: `n${id}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
    await server!.runtime.layer.publish("user:alice", frame(5));
    await server!.runtime.layer.publish("user:alice", frame(3));
    await waitForFrame((f) => f.type === "message" && f.text === "n3");
    expect(client.getLastSeenId()).toBe(5);
    await api.reauthenticateUser("alice");
    await recorder.next("reconnecting");
    await recorder.next("open");
    expect(upgrades[1]).toBe("/ws/notifications?lastId=5");

    await server!.runtime.layer.publish("user:alice", frame(9));
    await waitForFrame((f) => f.type === "message" && f.text === "n9");
    await api.reauthenticateUser("alice");
    await recorder.next("reconnecting");
    await recorder.next("open");
    expect(upgrades[2]).toBe("/ws/notifications?lastId=9");
  });

  it("starts from a server-rendered watermark until a higher id is settled", async () => {
    await start();
    const client = await open("alice", { lastId: 40, settleMs: 0 });
    expect(upgrades[0]).toBe("/ws/notifications?lastId=40");
    client.noteLastId(12); // lower: ignored
    expect(client.getLastSeenId()).toBe(40);
    const frame = (id: number) => JSON.stringify({ type: "message", id, text: `n${id}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
    await server!.runtime.layer.publish("user:alice", frame(41));
    await waitForFrame((f) => f.type === "message" && f.text === "n41");
    await api.reauthenticateUser("alice");
    await recorder.next("open");
    expect(upgrades.at(-1)).toBe("/ws/notifications?lastId=41");
  });

  it("with the default settle time, an id received just before the close is not reported: the server may still owe a lower one", async () => {
    await start();
    const client = await open("alice", { lastId: 40 });
    const frame = (id: number) => JSON.stringify({ type: "message", id, text: `n${id}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
    await server!.runtime.layer.publish("user:alice", frame(41));
    await waitForFrame((f) => f.type === "message" && f.text === "n41");
    expect(client.getLastSeenId()).toBe(41);
    await api.reauthenticateUser("alice");
    await recorder.next("open");
    expect(upgrades.at(-1)).toBe("/ws/notifications?lastId=40");
  });

  it("ignores an invalid watermark", async () => {
    await start();
    const client = await open("alice", { lastId: -3 });
    expect(client.getLastSeenId()).toBeNull();
    expect(upgrades[0]).toBe("/ws/notifications");
    client.noteLastId(1.5);
    client.noteLastId(Number.NaN);
    expect(client.getLastSeenId()).toBeNull();
  });

  it("withLastId sets or replaces the parameter and keeps the rest of the URL", () => {
    expect(withLastId("wss://app.example/ws/notifications", null)).toBe("wss://app.example/ws/notifications");
    expect(withLastId("wss://app.example/ws/notifications", 0)).toBe("wss://app.example/ws/notifications?lastId=0");
    expect(withLastId("ws://h/ws?extraChannels=%5B%5D&lastId=3", 7)).toBe("ws://h/ws?extraChannels=%5B%5D&lastId=7");
  });
});
