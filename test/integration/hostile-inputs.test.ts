/**
 * A table of hostile inputs, each with its asserted outcome. In every case a bystander socket
 * still receives a message afterwards and a new socket can still connect: one bad client never
 * takes the gateway down. The table covers malformed frames and subscriptions (issue #3), and
 * acks, positions, subscription refs, shared budgets and connection caps (issues #8 and #13).
 */
import { describe, expect, it } from "vitest";
import * as api from "../../src/notifications/server";
import type { Authorizer } from "../../src/notifications/server/auth/authorizer";
import type { NotificationSettings } from "../../src/notifications/server/settings";
import { CloseCode } from "../../src/notifications/shared/close-codes";
import type { ServerFrame } from "../../src/notifications/shared/protocol";
import { gatewayPerTest, HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { TEST_SECRET } from "../helpers/sessions";

const gw = gatewayPerTest();

/** What the attacker's socket must see. */
type Outcome =
  /** An error frame with this code; the socket stays open and keeps receiving. */
  | { error: "invalid_frame" | "unknown_type" | "binary_frame" | "rate_limited" }
  /** The socket is closed with this code. */
  | { close: number }
  /** The handshake succeeds with exactly these channels granted. */
  | { hello: string[] }
  /** The `subscribed` answer lists exactly these channels. */
  | { subscribed: string[] }
  /** The `subscribed` answer holds at most this many channels, all valid. */
  | { subscribedAtMost: number }
  /** The `subscribed` answer to the attack refuses with these reasons (in order). */
  | { refused: string[] }
  /** The handshake itself is refused with this HTTP status. */
  | { handshake: number }
  /** Nothing visible happens: the frames are ignored (and cost nothing), the socket stays open. */
  | { ignored: true };

interface HostileCase {
  name: string;
  settings?: Partial<NotificationSettings>;
  authorizer?: Authorizer;
  /** The attacker's handshake query string. */
  query?: string;
  /** What the attacker sends after its `hello`; a Buffer is sent as a binary frame unless `asText`. */
  frames?: () => (string | Buffer | { asText: Buffer })[];
  outcome: Outcome;
  /** Most authorizer calls the case may cause. */
  maxAuthorizerCalls?: number;
  /** How many sockets the attacker (user mallory) opens before the attack; the last one attacks. Default 1. */
  sockets?: number;
}

const names = (count: number, prefix = "c") => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
const subscribe = (body: Record<string, unknown>) => JSON.stringify({ type: "subscribe", ref: "attack", ...body });
const extra = (raw: string) => `extraChannels=${encodeURIComponent(raw)}`;
const LARGE_FRAMES = { maxFrameBytes: 1_048_576, clientFramesPerSecond: 1_000 };

const cases: HostileCase[] = [
  { name: "invalid JSON", frames: () => ["{nope"], outcome: { error: "invalid_frame" } },
  { name: "a JSON string", frames: () => ['"subscribe"'], outcome: { error: "invalid_frame" } },
  { name: "a JSON number", frames: () => ["42"], outcome: { error: "invalid_frame" } },
  { name: "a JSON array", frames: () => ['[{"type":"subscribe"}]'], outcome: { error: "invalid_frame" } },
  { name: "JSON null", frames: () => ["null"], outcome: { error: "invalid_frame" } },
  { name: "an empty text frame", frames: () => [""], outcome: { error: "invalid_frame" } },
  { name: "an unknown frame type", frames: () => ['{"type":"drop_table"}'], outcome: { error: "unknown_type" } },
  { name: "a prototype-polluting frame", frames: () => ['{"type":"subscribe","ref":"attack","__proto__":{"channels":["c-1"]},"constructor":{"prototype":{"x":1}}}'], outcome: { subscribed: [] } },
  { name: "a binary frame", frames: () => [Buffer.from([0, 1, 2, 255])], outcome: { error: "binary_frame" } },
  { name: "invalid UTF-8 in a text frame", frames: () => [{ asText: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }], outcome: { close: 1007 } },
  { name: "an oversized frame", settings: { maxFrameBytes: 1024 }, frames: () => ["x".repeat(5_000)], outcome: { close: CloseCode.MESSAGE_TOO_BIG } },
  {
    name: "a frame flood",
    settings: { clientFramesPerSecond: 5 },
    frames: () => Array.from({ length: 200 }, () => '{"type":"ack_message","id":1}'),
    outcome: { close: CloseCode.POLICY_VIOLATION },
  },
  {
    name: "a flood of subscribe frames behind an authorizer that never answers",
    settings: { clientFramesPerSecond: 1_000 },
    authorizer: () => new Promise<boolean>(() => {}),
    frames: () => Array.from({ length: 100 }, (_, index) => subscribe({ ref: `r${index}`, channels: [`c-${index}`] })),
    outcome: { close: CloseCode.POLICY_VIOLATION },
  },
  {
    name: "10,000 channel names in a subscribe frame within the default frame size",
    frames: () => [subscribe({ channels: names(10_000) })],
    outcome: { close: CloseCode.MESSAGE_TOO_BIG },
    maxAuthorizerCalls: 0,
  },
  {
    name: "10,000 channel names in a subscribe frame with 1 MiB frames allowed",
    settings: LARGE_FRAMES,
    frames: () => [subscribe({ channels: names(10_000) })],
    outcome: { subscribedAtMost: 32 },
    maxAuthorizerCalls: 32,
  },
  {
    name: "10,001 channel names (over the protocol's bound)",
    settings: LARGE_FRAMES,
    frames: () => [subscribe({ channels: names(10_001) })],
    outcome: { error: "invalid_frame" },
    maxAuthorizerCalls: 0,
  },
  {
    name: "10,000 names to unsubscribe",
    settings: LARGE_FRAMES,
    frames: () => [JSON.stringify({ type: "unsubscribe", ref: "attack", channels: names(10_000) })],
    outcome: { subscribed: [] },
  },
  {
    name: "names with bad characters",
    frames: () => [subscribe({ channels: ["a b", "a\nb", "<script>", "../etc", "user:bob", "all", "café", "-x", ".x", "a:b", "ok-1"] })],
    outcome: { subscribed: ["ok-1"] },
    maxAuthorizerCalls: 1,
  },
  {
    name: "a 10 KB channel name",
    settings: { maxFrameBytes: 65_536 },
    frames: () => [subscribe({ channels: ["x".repeat(10_240), "ok-1"] })],
    outcome: { subscribed: ["ok-1"] },
    maxAuthorizerCalls: 1,
  },
  { name: "channels that are not strings", frames: () => [subscribe({ channels: [1, null, { a: 1 }, ["c-1"]] })], outcome: { error: "invalid_frame" } },
  { name: "channels as a string", frames: () => [subscribe({ channels: "c-1" })], outcome: { error: "invalid_frame" } },
  { name: "a 100-character ref", frames: () => [subscribe({ ref: "r".repeat(100), channels: ["c-1"] })], outcome: { error: "invalid_frame" } },
  {
    name: "a subscribe frame with a 9 KB token",
    settings: { maxFrameBytes: 16_384 },
    frames: () => [subscribe({ token: `${"a".repeat(9_000)}.${"b".repeat(43)}` })],
    outcome: { error: "invalid_frame" },
  },
  { name: "a subscribe frame with a token that is not a string", frames: () => [subscribe({ token: { u: "alice" } })], outcome: { error: "invalid_frame" } },
  { name: "a forged 4 KB-ish token that fits the frame", frames: () => [subscribe({ token: `${"a".repeat(3_000)}.x` })], outcome: { subscribed: [] } },
  { name: "extraChannels as a string", query: extra('"c-1"'), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels as a number", query: extra("42"), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels as an object", query: extra('{"0":"c-1","length":1}'), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels as invalid JSON", query: extra('["c-1"'), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels as JSON null", query: extra("null"), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels with non-string entries", query: extra('[1,null,{"a":1},["c-2"],"c-1"]'), outcome: { hello: ["c-1"] }, maxAuthorizerCalls: 1 },
  { name: "extraChannels given twice (the first wins)", query: `${extra('["c-1"]')}&${extra('["c-2"]')}`, outcome: { hello: ["c-1"] } },
  { name: "extraChannels with bad and reserved names", query: extra(JSON.stringify(["all", "user:bob", "a b", "x".repeat(129)])), outcome: { hello: [] }, maxAuthorizerCalls: 0 },
  { name: "extraChannels with 1,000 names", query: extra(JSON.stringify(names(1_000))), outcome: { hello: names(32) }, maxAuthorizerCalls: 32 },
  { name: "extraChannels with a 10 KB name", query: extra(JSON.stringify(["x".repeat(10_240), "c-1"])), outcome: { hello: ["c-1"] }, maxAuthorizerCalls: 1 },
  { name: "a 9 KB subscription_token in the URL", query: `subscription_token=${"a".repeat(9_000)}.b`, outcome: { hello: [] } },
  { name: "a query string that is not valid percent-encoding", query: "extraChannels=%E0%A4%A&subscription_token=%", outcome: { hello: [] } },
  // Issue #8 and #13: acks, positions, refs, budgets and caps.
  {
    name: "acks of ids never sent (guessing other users' rows), batched and single, within the frame rate",
    frames: () => [JSON.stringify({ type: "ack", ids: Array.from({ length: 100 }, (_, index) => index) }), '{"type":"ack_message","id":7}'],
    outcome: { ignored: true },
  },
  { name: "a batched ack with 101 ids", frames: () => [JSON.stringify({ type: "ack", ids: Array.from({ length: 101 }, (_, index) => index) })], outcome: { error: "invalid_frame" } },
  { name: "a batched ack with no ids", frames: () => ['{"type":"ack","ids":[]}'], outcome: { error: "invalid_frame" } },
  { name: "a batched ack with negative and fractional ids", frames: () => ['{"type":"ack","ids":[-1,1.5]}'], outcome: { error: "invalid_frame" } },
  {
    name: "a flood of acks with no ack credit",
    settings: { clientFramesPerSecond: 5 },
    frames: () => Array.from({ length: 100 }, (_, index) => JSON.stringify({ type: "ack", ids: [index] })),
    outcome: { close: CloseCode.POLICY_VIOLATION },
  },
  { name: "a subscribe position that is negative", frames: () => [subscribe({ channels: ["c-1"], lastId: -5 })], outcome: { error: "invalid_frame" } },
  { name: "a subscribe position past every id", frames: () => [subscribe({ channels: ["c-1"], lastId: Number.MAX_SAFE_INTEGER })], outcome: { subscribed: ["c-1"] } },
  { name: "a lastId that is not a number in the URL", query: "lastId=%27%3Bdrop", outcome: { hello: [] } },
  {
    name: "more subscription refs than allowed",
    settings: { maxSubscriptionsPerSocket: 3, clientFramesPerSecond: 1_000 },
    frames: () => [...[0, 1, 2].map((index) => subscribe({ ref: `r${index}`, channels: [`c-${index}`] })), subscribe({ channels: ["c-9"] })],
    outcome: { refused: ["limit"] },
  },
  {
    name: "a user over the shared frame budget across many sockets",
    sockets: 3,
    settings: { clientFramesPerSecondPerUser: 2, clientFramesPerSecond: 1_000 },
    frames: () => Array.from({ length: 20 }, (_, index) => subscribe({ ref: `r${index}`, channels: [`c-${index}`] })),
    outcome: { error: "rate_limited" },
  },
  { name: "more sockets than the per-user cap", sockets: 3, settings: { maxSocketsPerUser: 2 }, outcome: { handshake: 429 } },
  { name: "more sockets than the per-address cap", sockets: 3, settings: { maxSocketsPerIp: 3 }, outcome: { handshake: 429 } },
];

describe("hostile inputs: each has its outcome and the gateway keeps serving", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, hostile) => {
    let asked = 0;
    const allowAll: Authorizer = () => {
      asked += 1;
      return true;
    };
    await gw.start(hostile.settings ?? {}, { authorizer: hostile.authorizer ?? allowAll, tokenSecret: TEST_SECRET });
    const bystander = await gw.connect({ userId: "bob" });
    const extraSockets: TestClient[] = [];
    for (let index = 1; index < (hostile.sockets ?? 1); index++) extraSockets.push(await gw.connect({ userId: "mallory" }));
    if ("handshake" in hostile.outcome) {
      const refused = await TestClient.connect(gw.server.url, { userId: "mallory" }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(HandshakeRefused);
      expect((refused as HandshakeRefused).status).toBe(hostile.outcome.handshake);
      await api.sendToUser("bob", "bystander still served");
      await bystander.next((frame) => frame.type === "message" && frame.text === "bystander still served");
      // One of the attacker's sockets closes: its place is free for someone else at once.
      const leaving = extraSockets.pop()!;
      await leaving.close();
      gw.forget(leaving);
      await expect.poll(() => gw.server.gateway.connectionCount()).toBe(extraSockets.length + 1);
      const newcomer = await gw.connect({ userId: "carol" });
      await api.sendToAll("everyone still served");
      await newcomer.next((frame) => frame.type === "message" && frame.text === "everyone still served");
      return;
    }
    const attacker = await gw.connect({ userId: "mallory", query: hostile.query });

    for (const frame of hostile.frames?.() ?? []) {
      if (Buffer.isBuffer(frame)) attacker.send(frame, { binary: true });
      else if (typeof frame === "string") attacker.send(frame);
      else attacker.send(frame.asText, { binary: false });
    }

    const outcome = hostile.outcome;
    if ("error" in outcome) {
      expect(await attacker.next((frame) => frame.type === "error")).toEqual({ type: "error", code: outcome.error });
      await api.sendToUser("mallory", "attacker still served");
      await attacker.next((frame) => frame.type === "message" && frame.text === "attacker still served");
    } else if ("close" in outcome) {
      expect((await attacker.closed).code).toBe(outcome.close);
      gw.forget(attacker);
      await expect.poll(() => gw.server.gateway.groupSize("user:mallory")).toBe(0);
    } else if ("ignored" in outcome) {
      await api.sendToUser("mallory", "attacker still served");
      await attacker.next((frame) => frame.type === "message" && frame.text === "attacker still served");
      expect(attacker.frames.filter((frame) => frame.type === "error")).toEqual([]);
    } else if ("refused" in outcome) {
      const answer = (await attacker.next((frame) => frame.type === "subscribed" && frame.ref === "attack")) as Extract<ServerFrame, { type: "subscribed" }>;
      expect((answer.refused ?? []).map((refusal) => refusal.reason)).toEqual(outcome.refused);
    } else if ("hello" in outcome) {
      const hello = attacker.frames.find((frame) => frame.type === "hello") as Extract<ServerFrame, { type: "hello" }>;
      expect(hello.channels).toEqual(outcome.hello);
      for (const channel of outcome.hello) expect(gw.server.gateway.groupSize(channel)).toBe(1);
    } else {
      const answer = (await attacker.next((frame) => frame.type === "subscribed" && frame.ref === "attack")) as Extract<ServerFrame, { type: "subscribed" }>;
      if ("subscribed" in outcome) expect(answer.channels).toEqual(outcome.subscribed);
      else {
        expect(answer.channels.length).toBeGreaterThan(0);
        expect(answer.channels.length).toBeLessThanOrEqual(outcome.subscribedAtMost);
      }
    }
    if (hostile.maxAuthorizerCalls !== undefined) expect(asked).toBeLessThanOrEqual(hostile.maxAuthorizerCalls);

    // Nothing leaked into the process's prototypes.
    expect((({}) as Record<string, unknown>).x).toBeUndefined();
    expect((({}) as Record<string, unknown>).channels).toBeUndefined();

    // The bystander keeps receiving, and the gateway keeps accepting.
    await api.sendToUser("bob", "bystander still served");
    await bystander.next((frame) => frame.type === "message" && frame.text === "bystander still served");
    expect(bystander.frames.filter((frame) => frame.type === "error")).toEqual([]);
    const newcomer = await gw.connect({ userId: "carol" });
    await api.sendToAll("everyone still served");
    await newcomer.next((frame) => frame.type === "message" && frame.text === "everyone still served");
    await bystander.next((frame) => frame.type === "message" && frame.text === "everyone still served");
  });
});
