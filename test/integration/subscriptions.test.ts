/**
 * Client-requested channels on real sockets: `?extraChannels=`, `?subscription_token=`,
 * `subscribe` / `unsubscribe` frames, the authorizer, the limits, and sessions that change.
 * Absence is proven with a marker: after the send under test, a message to the socket's own
 * user group is sent, and the frames that arrived before it are checked.
 */
import { describe, expect, it } from "vitest";
import * as api from "../../src/notifications/server";
import type { Authorizer } from "../../src/notifications/server/auth/authorizer";
import { issueSubscriptionToken } from "../../src/notifications/server/auth/tokens";
import type { GatewayOptions } from "../../src/notifications/server/gateway";
import type { NotificationSettings } from "../../src/notifications/server/settings";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import type { ServerFrame, SubscribedFrame } from "../../src/notifications/shared/protocol";
import { gatewayPerTest, TestClient, watchedMemoryLayer, type TestGateway } from "../helpers/gateway-server";
import { TEST_SECRET } from "../helpers/sessions";

const gw = gatewayPerTest();

async function start(settings: Partial<NotificationSettings> = {}, options: Omit<GatewayOptions, "settings" | "layer"> = {}): Promise<TestGateway> {
  return gw.start(settings, { tokenSecret: TEST_SECRET, ...options });
}

function query(extra: { extraChannels?: unknown; token?: string }): string {
  const params = new URLSearchParams();
  if (extra.extraChannels !== undefined) params.set("extraChannels", typeof extra.extraChannels === "string" ? extra.extraChannels : JSON.stringify(extra.extraChannels));
  if (extra.token !== undefined) params.set("subscription_token", extra.token);
  return params.toString();
}

function token(user: string | null, channels: string[], options: { now?: number; ttl?: number } = {}): string {
  return issueSubscriptionToken({ user, channels, secret: TEST_SECRET, ...options });
}

function helloChannels(client: TestClient): string[] {
  const hello = client.frames.find((frame) => frame.type === "hello");
  if (hello?.type !== "hello") throw new Error("no hello");
  return hello.channels;
}

let markers = 0;
/** Sends a marker to the client's own group and waits for it: everything sent before it has arrived. */
async function settle(client: TestClient): Promise<void> {
  const hello = client.frames.find((frame) => frame.type === "hello");
  const userId = hello?.type === "hello" ? hello.userId : null;
  const marker = `marker-${(markers += 1)}`;
  if (userId) await api.notify({ user: userId }, { message: marker });
  else await api.notify("anonymous", { message: marker });
  await client.next((frame) => frame.type === "message" && frame.text === marker);
}

/** Sends `text` to `channel`, then proves whether `client` got it. */
async function receives(client: TestClient, channel: string, text: string): Promise<boolean> {
  await api.sendToChannel(channel, text);
  await settle(client);
  return client.texts().includes(text);
}

let refs = 0;
/** Sends a subscribe/unsubscribe frame and resolves with the `subscribed` answer to it. */
async function frame(client: TestClient, body: { type: "subscribe" | "unsubscribe"; channels?: string[]; token?: string }): Promise<string[]> {
  const ref = `r${(refs += 1)}`;
  client.send(JSON.stringify({ ...body, ref }));
  const answer = (await client.next((f) => f.type === "subscribed" && f.ref === ref)) as Extract<ServerFrame, { type: "subscribed" }>;
  return answer.channels;
}

/**
 * Sends a subscription frame exactly as given and resolves with the `subscribed` answer to it (the
 * first one with its ref after sending: a ref release is answered with the released ref).
 */
async function exchange(client: TestClient, body: { type: "subscribe" | "unsubscribe"; ref?: string; channels?: string[]; token?: string }): Promise<SubscribedFrame> {
  const from = client.frames.length;
  client.send(JSON.stringify(body));
  return (await client.next((f) => f.type === "subscribed" && f.ref === body.ref && client.frames.indexOf(f) >= from)) as SubscribedFrame;
}

const allowAll: Authorizer = () => true;
const articlesOnly: Authorizer = (_user, channel) => channel.startsWith("articles-");

describe("?extraChannels=", () => {
  it("is denied by default: nothing granted, nothing received", async () => {
    await start();
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1"] }) });
    expect(helloChannels(alice)).toEqual([]);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    expect(await receives(alice, "articles-1", "T")).toBe(false);
  });

  it("is granted when the authorizer allows it", async () => {
    const asked: [string | null, string][] = [];
    await start({}, { authorizer: (user, channel) => (asked.push([user?.id ?? null, channel]), true) });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1", "jobs-2"] }) });
    expect(helloChannels(alice)).toEqual(["articles-1", "jobs-2"]);
    expect(asked).toEqual([
      ["alice", "articles-1"],
      ["alice", "jobs-2"],
    ]);
    expect(await receives(alice, "articles-1", "A")).toBe(true);
    expect(await receives(alice, "jobs-2", "J")).toBe(true);
  });

  it("is partially granted: only what the authorizer allows", async () => {
    await start({}, { authorizer: articlesOnly });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1", "admin-1"] }) });
    expect(helloChannels(alice)).toEqual(["articles-1"]);
    expect(await receives(alice, "admin-1", "secret")).toBe(false);
    expect(await receives(alice, "articles-1", "public")).toBe(true);
  });

  it("never grants reserved groups or other users' groups, even with an allow-all authorizer", async () => {
    await start({ enableAnonymous: true }, { authorizer: allowAll });
    const bob = await gw.connect({ userId: "bob" });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["user:bob", "anonymous", "all", "authenticated", "ok-1"] }) });
    expect(helloChannels(alice)).toEqual(["ok-1"]);
    expect(gw.server.gateway.groupSize("user:bob")).toBe(1);
    await api.sendToUser("bob", "for bob only");
    await api.sendToAnonymous("for anonymous only");
    await bob.next((f) => f.type === "message" && f.text === "for bob only");
    await settle(alice);
    expect(alice.texts()).not.toContain("for bob only");
    expect(alice.texts()).not.toContain("for anonymous only");
  });

  it("gives an authorizer that never answers a bounded time; the socket opens without the channel", async () => {
    await start({}, { authorizer: () => new Promise<boolean>(() => {}), authorizerTimeoutMs: 100 });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1"] }) });
    expect(helloChannels(alice)).toEqual([]);
  });
});

describe("?subscription_token=", () => {
  it("subscribes and bypasses the (deny-all) authorizer", async () => {
    const asked: string[] = [];
    await start({}, { authorizer: (_user, channel) => (asked.push(channel), false) });
    const alice = await gw.connect({ userId: "alice", query: query({ token: token("alice", ["jobs-7"]) }) });
    expect(helloChannels(alice)).toEqual(["jobs-7"]);
    expect(asked).toEqual([]);
    expect(await receives(alice, "jobs-7", "progress")).toBe(true);
  });

  it("an anonymous token subscribes an anonymous socket", async () => {
    await start({ enableAnonymous: true });
    const anon = await gw.connect({ query: query({ token: token(null, ["jobs-7"]) }) });
    expect(helloChannels(anon)).toEqual(["jobs-7"]);
    expect(await receives(anon, "jobs-7", "T")).toBe(true);
  });

  const refused: [string, () => string, string | null][] = [
    ["another user's token", () => token("bob", ["jobs-7"]), "alice"],
    ["a tampered token", () => tamper(token("alice", ["jobs-7"])), "alice"],
    ["a token with a swapped body", () => swapBody(token("alice", ["jobs-7"]), token("alice", ["jobs-8"])), "alice"],
    ["an expired token", () => token("alice", ["jobs-7"], { now: Date.now() - 301_000 }), "alice"],
    ["a token signed with another secret", () => issueSubscriptionToken({ user: "alice", channels: ["jobs-7"], secret: "another-secret" }), "alice"],
    ["an anonymous token on a user's socket", () => token(null, ["jobs-7"]), "alice"],
    ["a user's token on an anonymous socket", () => token("alice", ["jobs-7"]), null],
    ["garbage", () => "not-a-token", "alice"],
  ];

  it.each(refused)("%s gives nothing", async (_name, make, user) => {
    await start({ enableAnonymous: true });
    const client = await gw.connect(user ? { userId: user, query: query({ token: make() }) } : { query: query({ token: make() }) });
    expect(helloChannels(client)).toEqual([]);
    expect(gw.server.gateway.groupSize("jobs-7")).toBe(0);
    expect(await receives(client, "jobs-7", "T")).toBe(false);
  });

  it("combines with ?extraChannels= (token channels + authorized ones)", async () => {
    await start({}, { authorizer: articlesOnly });
    const alice = await gw.connect({ userId: "alice", query: query({ token: token("alice", ["jobs-7"]), extraChannels: ["articles-1", "admin-1"] }) });
    expect([...helloChannels(alice)].sort()).toEqual(["articles-1", "jobs-7"]);
    expect(await receives(alice, "jobs-7", "J")).toBe(true);
    expect(await receives(alice, "articles-1", "A")).toBe(true);
    expect(await receives(alice, "admin-1", "X")).toBe(false);
  });
});

function tamper(value: string): string {
  const [body, signature] = value.split(".") as [string, string];
  const bytes = Buffer.from(signature, "base64url");
  bytes[5] = bytes[5]! ^ 0xff;
  return `${body}.${bytes.toString("base64url")}`;
}

function swapBody(value: string, other: string): string {
  return `${other.split(".")[0]}.${value.split(".")[1]}`;
}

describe("subscribe / unsubscribe frames on an open socket", () => {
  it("starts and stops messages without reconnecting", async () => {
    await start({}, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice" });
    expect(await frame(alice, { type: "subscribe", channels: ["articles-1"] })).toEqual(["articles-1"]);
    expect(await receives(alice, "articles-1", "while on the page")).toBe(true);

    // Client-side navigation article 1 → article 2 on the same socket.
    expect(await frame(alice, { type: "unsubscribe", channels: ["articles-1"] })).toEqual([]);
    expect(await frame(alice, { type: "subscribe", channels: ["articles-2"] })).toEqual(["articles-2"]);
    expect(await receives(alice, "articles-1", "after leaving")).toBe(false);
    expect(await receives(alice, "articles-2", "on article 2")).toBe(true);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    expect(gw.server.gateway.connectionCount()).toBe(1);
  });

  it("a token in a subscribe frame subscribes past the deny-all authorizer; a bad one adds nothing", async () => {
    await start();
    const alice = await gw.connect({ userId: "alice" });
    expect(await frame(alice, { type: "subscribe", token: token("bob", ["jobs-8"]) })).toEqual([]);
    expect(await frame(alice, { type: "subscribe", token: token("alice", ["jobs-7"]), channels: ["articles-1"] })).toEqual(["jobs-7"]);
    expect(await receives(alice, "jobs-7", "J")).toBe(true);
    expect(await receives(alice, "jobs-8", "not mine")).toBe(false);
    expect(await frame(alice, { type: "unsubscribe", channels: ["jobs-7"] })).toEqual([]);
    expect(await receives(alice, "jobs-7", "J2")).toBe(false);
  });

  it("denied names are dropped silently and the answer lists what is held", async () => {
    await start({}, { authorizer: articlesOnly });
    const alice = await gw.connect({ userId: "alice" });
    expect(await frame(alice, { type: "subscribe", channels: ["articles-1", "admin-1", "all", "user:bob"] })).toEqual(["articles-1"]);
    expect(await frame(alice, { type: "subscribe", channels: ["articles-2"] })).toEqual(["articles-1", "articles-2"]);
    expect(alice.frames.filter((f) => f.type === "error")).toEqual([]);
  });

  it("unsubscribing trusted groups does nothing: the socket still gets its user's and everyone's messages", async () => {
    await start({}, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice" });
    expect(await frame(alice, { type: "unsubscribe", channels: ["all", "authenticated", "user:alice"] })).toEqual([]);
    await api.sendToAll("to all");
    await api.sendToAuthenticated("to authenticated");
    await settle(alice);
    expect(alice.texts()).toEqual(expect.arrayContaining(["to all", "to authenticated"]));
  });

  it("an unsubscribe that overtakes a slow authorization still wins (frames are handled in order)", async () => {
    const pending: ((verdict: boolean) => void)[] = [];
    await start({}, { authorizer: () => new Promise<boolean>((resolve) => pending.push(resolve)) });
    const alice = await gw.connect({ userId: "alice" });
    alice.send(JSON.stringify({ type: "subscribe", ref: "slow", channels: ["articles-1"] }));
    await expect.poll(() => pending.length).toBe(1);
    alice.send(JSON.stringify({ type: "unsubscribe", ref: "leave", channels: ["articles-1"] }));
    // A marker round trip after it: the unsubscribe has reached the server before the authorizer answers.
    await settle(alice);
    pending[0]!(true);
    const slow = await alice.next((f) => f.type === "subscribed" && f.ref === "slow");
    const leave = await alice.next((f) => f.type === "subscribed" && f.ref === "leave");
    // Answers come in the order the frames were sent, and the last one is the state that holds.
    expect(alice.frames.indexOf(slow)).toBeLessThan(alice.frames.indexOf(leave));
    expect(slow).toEqual({ type: "subscribed", ref: "slow", channels: ["articles-1"], granted: ["articles-1"] });
    expect(leave).toEqual({ type: "subscribed", ref: "leave", channels: [], granted: [] });
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    expect(await receives(alice, "articles-1", "stale page")).toBe(false);
  });
});

describe("reference counting by request ref", () => {
  it("two subscribes of one channel: releasing one keeps it, releasing the other leaves it", async () => {
    await start({}, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice" });
    expect(await exchange(alice, { type: "subscribe", ref: "s1", channels: ["articles-1"] })).toEqual({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: ["articles-1"] });
    // Already held: granted to s2 too, and takes no second place.
    expect(await exchange(alice, { type: "subscribe", ref: "s2", channels: ["articles-1", "jobs-1"] })).toEqual({
      type: "subscribed",
      ref: "s2",
      channels: ["articles-1", "jobs-1"],
      granted: ["articles-1", "jobs-1"],
    });

    expect(await exchange(alice, { type: "unsubscribe", ref: "s1" })).toEqual({ type: "subscribed", ref: "s1", channels: ["articles-1", "jobs-1"], granted: [] });
    expect(await receives(alice, "articles-1", "s2 still holds it")).toBe(true);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(1);

    expect(await exchange(alice, { type: "unsubscribe", ref: "s2" })).toEqual({ type: "subscribed", ref: "s2", channels: [], granted: [] });
    expect(await receives(alice, "articles-1", "nobody holds it")).toBe(false);
    expect(await receives(alice, "jobs-1", "nor this one")).toBe(false);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    // Releasing twice, or a ref never seen, changes nothing.
    expect((await exchange(alice, { type: "unsubscribe", ref: "s2" })).channels).toEqual([]);
    expect((await exchange(alice, { type: "unsubscribe", ref: "never" })).channels).toEqual([]);
  });

  it("a token re-issued for the same channel: subscribe(T2) then release(T1) never leaves a gap", async () => {
    const { layer, left } = watchedMemoryLayer();
    await gw.start({}, { tokenSecret: TEST_SECRET, layer });
    const alice = await gw.connect({ userId: "alice" });
    const t1 = token("alice", ["articles-1"]);
    const t2 = token("alice", ["articles-1"], { ttl: 600 }); // what a re-render issues: another string
    expect(t2).not.toBe(t1);
    const sent: string[] = [];
    const publish = async (text: string) => {
      sent.push(text);
      await api.sendToChannel("articles-1", text);
    };

    expect((await exchange(alice, { type: "subscribe", ref: "p1", token: t1 })).granted).toEqual(["articles-1"]);
    await publish("before the new token");
    // Frames of a socket are handled in order and each answer comes after its frame took effect:
    // a publish after an answer reaches the socket in the state that answer describes.
    expect(await exchange(alice, { type: "subscribe", ref: "p2", token: t2 })).toEqual({ type: "subscribed", ref: "p2", channels: ["articles-1"], granted: ["articles-1"] });
    await publish("between the two frames");
    expect(await exchange(alice, { type: "unsubscribe", ref: "p1" })).toEqual({ type: "subscribed", ref: "p1", channels: ["articles-1"], granted: [] });
    await publish("after the old token's release");

    // And while frames are in flight, unanswered: publishes interleaved with the sends.
    const t3 = token("alice", ["articles-1"], { ttl: 900 });
    const p3 = exchange(alice, { type: "subscribe", ref: "p3", token: t3 });
    await publish("with p3 in flight");
    const release2 = exchange(alice, { type: "unsubscribe", ref: "p2" });
    await publish("with the release of p2 in flight");
    await Promise.all([p3, release2]);
    await publish("after both");

    await settle(alice);
    expect(alice.texts().filter((text) => sent.includes(text))).toEqual(sent);
    // The socket never left the group, so the layer subscription never flapped.
    expect(left).not.toContain("articles-1");
    expect(gw.server.gateway.groupSize("articles-1")).toBe(1);
  });

  it("the original channels form still drops a channel outright, whichever requests hold it", async () => {
    await start({}, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice" });
    await exchange(alice, { type: "subscribe", ref: "s1", channels: ["articles-1", "articles-2"] });
    await exchange(alice, { type: "subscribe", ref: "s2", channels: ["articles-1"] });
    expect(await exchange(alice, { type: "unsubscribe", ref: "u1", channels: ["articles-1"] })).toEqual({ type: "subscribed", ref: "u1", channels: ["articles-2"], granted: [] });
    expect(await receives(alice, "articles-1", "dropped")).toBe(false);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    // The releases that follow find nothing of articles-1 left to release.
    expect((await exchange(alice, { type: "unsubscribe", ref: "s2" })).channels).toEqual(["articles-2"]);
    expect((await exchange(alice, { type: "unsubscribe", ref: "s1" })).channels).toEqual([]);
  });

  it("a subscribe without ref holds its channels until a channels unsubscribe; ref releases do not touch it", async () => {
    await start({}, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-9"] }) });
    expect(await exchange(alice, { type: "subscribe", channels: ["articles-1"] })).toEqual({ type: "subscribed", channels: ["articles-9", "articles-1"], granted: ["articles-1"] });
    await exchange(alice, { type: "subscribe", ref: "s1", channels: ["articles-1", "articles-9"] });
    await exchange(alice, { type: "unsubscribe", ref: "s1" });
    // Held without a ref (the handshake's and the ref-less subscribe's) — still there.
    expect(await receives(alice, "articles-1", "ref-less hold")).toBe(true);
    expect(await receives(alice, "articles-9", "handshake hold")).toBe(true);
    expect((await exchange(alice, { type: "unsubscribe", channels: ["articles-1", "articles-9"] })).channels).toEqual([]);
    expect(await receives(alice, "articles-1", "gone")).toBe(false);
  });

  it("a name already held through a token is still put to the authorizer", async () => {
    await start(); // deny-all
    const alice = await gw.connect({ userId: "alice" });
    await exchange(alice, { type: "subscribe", ref: "t", token: token("alice", ["jobs-7"]) });
    expect(await exchange(alice, { type: "subscribe", ref: "n", channels: ["jobs-7"] })).toEqual({
      type: "subscribed",
      ref: "n",
      channels: ["jobs-7"],
      granted: [],
      refused: [{ reason: "denied", channel: "jobs-7" }],
    });
    // The denied request holds nothing, so releasing the token leaves the channel.
    expect((await exchange(alice, { type: "unsubscribe", ref: "t" })).channels).toEqual([]);
    expect(await receives(alice, "jobs-7", "after the token page")).toBe(false);
  });

  it("a release by ref that overtakes a slow authorization still wins (frames are handled in order)", async () => {
    const pending: ((verdict: boolean) => void)[] = [];
    await start({}, { authorizer: () => new Promise<boolean>((resolve) => pending.push(resolve)) });
    const alice = await gw.connect({ userId: "alice" });
    alice.send(JSON.stringify({ type: "subscribe", ref: "slow", channels: ["articles-1"] }));
    await expect.poll(() => pending.length).toBe(1);
    alice.send(JSON.stringify({ type: "unsubscribe", ref: "slow" }));
    await settle(alice);
    pending[0]!(true);
    const answers = () => alice.frames.filter((f) => f.type === "subscribed" && f.ref === "slow");
    await alice.next(() => answers().length === 2);
    expect(answers()).toEqual([
      { type: "subscribed", ref: "slow", channels: ["articles-1"], granted: ["articles-1"] },
      { type: "subscribed", ref: "slow", channels: [], granted: [] },
    ]);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(0);
    expect(await receives(alice, "articles-1", "stale page")).toBe(false);
  });

  it("the per-socket limit counts distinct channels, whoever holds them", async () => {
    await start({ maxChannelsPerSocket: 2 }, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice" });
    await exchange(alice, { type: "subscribe", ref: "s1", channels: ["c-1"] });
    expect(await exchange(alice, { type: "subscribe", ref: "s2", channels: ["c-1", "c-2"] })).toMatchObject({ channels: ["c-1", "c-2"], granted: ["c-1", "c-2"] });
    expect(await exchange(alice, { type: "subscribe", ref: "s3", channels: ["c-3"] })).toMatchObject({ channels: ["c-1", "c-2"], granted: [] });
    expect(await exchange(alice, { type: "subscribe", ref: "s4", token: token("alice", ["t-1"]) })).toMatchObject({ channels: ["c-1", "c-2"], granted: [] });
    // A held channel takes no room: granted even when full.
    expect(await exchange(alice, { type: "subscribe", ref: "s5", channels: ["c-2", "c-3"] })).toMatchObject({ channels: ["c-1", "c-2"], granted: ["c-2"] });
    expect(await receives(alice, "c-3", "over the limit")).toBe(false);
    await exchange(alice, { type: "unsubscribe", ref: "s1" });
    await exchange(alice, { type: "unsubscribe", ref: "s2" });
    // c-2 is still held by s5; c-1's place is free again.
    expect(await exchange(alice, { type: "subscribe", ref: "s6", channels: ["c-3", "c-4"] })).toMatchObject({ channels: ["c-2", "c-3"], granted: ["c-3"] });
  });
});

describe("gates and limits", () => {
  it("with ENABLE_PAGE_CHANNELS off nothing is granted, by any route", async () => {
    await start({ enablePageChannels: false }, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1"], token: token("alice", ["jobs-7"]) }) });
    expect(helloChannels(alice)).toEqual([]);
    expect(await frame(alice, { type: "subscribe", channels: ["articles-2"], token: token("alice", ["jobs-8"]) })).toEqual([]);
    for (const channel of ["articles-1", "articles-2", "jobs-7", "jobs-8"]) expect(gw.server.gateway.groupSize(channel)).toBe(0);
    await expect(api.sendToChannel("articles-1", "x")).resolves.toBe(false);
  });

  it("holds at most maxChannelsPerSocket channels, whatever the route", async () => {
    await start({ maxChannelsPerSocket: 3 }, { authorizer: allowAll });
    const names = ["c-1", "c-2", "c-3", "c-4", "c-5"];
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: names }) });
    expect(helloChannels(alice)).toEqual(["c-1", "c-2", "c-3"]);
    expect(await frame(alice, { type: "subscribe", channels: ["c-6"] })).toEqual(["c-1", "c-2", "c-3"]);
    expect(await frame(alice, { type: "subscribe", token: token("alice", ["t-1"]) })).toEqual(["c-1", "c-2", "c-3"]);
    expect(await receives(alice, "c-6", "over the limit")).toBe(false);
    // Room made by an unsubscribe can be used again.
    expect(await frame(alice, { type: "unsubscribe", channels: ["c-2"] })).toEqual(["c-1", "c-3"]);
    expect(await frame(alice, { type: "subscribe", channels: ["c-6", "c-7"] })).toEqual(["c-1", "c-3", "c-6"]);
    // Resubscribing a held channel takes no room and changes nothing.
    expect(await frame(alice, { type: "subscribe", channels: ["c-1"] })).toEqual(["c-1", "c-3", "c-6"]);
  });

  it("a limit of 0 grants nothing", async () => {
    await start({ maxChannelsPerSocket: 0 }, { authorizer: allowAll });
    const alice = await gw.connect({ userId: "alice", query: query({ extraChannels: ["c-1"], token: token("alice", ["t-1"]) }) });
    expect(helloChannels(alice)).toEqual([]);
  });
});

describe("sessions", () => {
  it("reauthenticateUser closes every socket of that user with 4001, and no one else's", async () => {
    await start({}, { authorizer: allowAll });
    const alice1 = await gw.connect({ userId: "alice", query: query({ extraChannels: ["articles-1"] }) });
    const alice2 = await gw.connect({ userId: "alice" });
    const bob = await gw.connect({ userId: "bob", query: query({ extraChannels: ["articles-1"] }) });
    await api.reauthenticateUser("alice");
    expect((await alice1.closed).code).toBe(CloseCode.SESSION_ENDED);
    expect((await alice2.closed).code).toBe(CloseCode.SESSION_ENDED);
    gw.forget(alice1);
    gw.forget(alice2);
    // The control message never reached a browser as a frame.
    expect(alice1.raw.some((raw) => raw.includes("reauthenticate"))).toBe(false);
    expect(bob.ws.readyState).toBe(bob.ws.OPEN);
    expect(await receives(bob, "articles-1", "bob still here")).toBe(true);
    expect(bob.raw.some((raw) => raw.includes("reauthenticate"))).toBe(false);
    await expect.poll(() => gw.server.gateway.groupSize("user:alice")).toBe(0);
    expect(gw.server.gateway.groupSize("articles-1")).toBe(1);

    // Alice's browser reconnects and is judged on its cookie again.
    const again = await gw.connect({ userId: "alice" });
    expect(await receives(again, "nothing-1", "x")).toBe(false);
    await api.sendToUser("alice", "welcome back");
    await again.next((f) => f.type === "message" && f.text === "welcome back");
  });
});
