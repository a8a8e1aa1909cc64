/**
 * Presence on real sockets against one gateway: a user with several tabs counts once, join and
 * leave hooks and frames come once per user, the cap lists at most N while the count stays
 * exact, anonymous sockets are counted but never listed, and only sockets that hold the channel
 * see its presence — with nothing of the session or the user id in what they see.
 *
 * Absence is proven with a marker: a socket that would have received a presence frame gets it in
 * the same flush as a socket that does, so once the latter has it and a marker sent afterwards
 * reached the former, anything owed to the former has arrived.
 */
import { describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import type { GatewayOptions } from "../../packages/next-channels-broadcast/src/server/gateway";
import type { PresenceEvent } from "../../packages/next-channels-broadcast/src/server/presence/tracker";
import type { NotificationSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import type { PresenceDiffFrame, PresenceFrame } from "../../packages/next-channels-broadcast/src/shared/presence";
import { gatewayPerTest, type TestClient, type TestGateway } from "../helpers/gateway-server";
import { names, presenceState, presenceUntil } from "../helpers/presence";
import { TEST_SECRET } from "../helpers/sessions";

const gw = gatewayPerTest();

/** User ids the app knows; only the display names may ever reach a browser. */
const NAMES: Record<string, string> = { "uid-alice-7731": "Alice", "uid-bob-8842": "Bob", "uid-carol-9953": "Carol", "uid-dave-1064": "Dave", "uid-mallory-666": "Mallory" };
const [ALICE, BOB, CAROL, DAVE, MALLORY] = Object.keys(NAMES) as [string, string, string, string, string];

interface Recorded {
  joins: PresenceEvent[];
  leaves: PresenceEvent[];
}

async function start(settings: Partial<NotificationSettings> = {}, options: Omit<GatewayOptions, "settings" | "layer"> = {}): Promise<TestGateway & Recorded> {
  const recorded: Recorded = { joins: [], leaves: [] };
  const server = await gw.start(
    { enableAnonymous: true, presenceFlushMs: 20, ...settings },
    {
      tokenSecret: TEST_SECRET,
      // Mallory may not read rooms; everyone else may.
      authorizer: (user, channel) => (channel.startsWith("room-") || channel.startsWith("plain-")) && user?.id !== MALLORY,
      presence: {
        channels: (channel) => channel.startsWith("room-"),
        identify: (user) => ({ name: NAMES[user.id] ?? "?" }),
        onJoin: (event) => void recorded.joins.push(event),
        onLeave: (event) => void recorded.leaves.push(event),
      },
      ...options,
    },
  );
  return Object.assign(server, recorded);
}

function inRoom(...channels: string[]): string {
  return new URLSearchParams({ extraChannels: JSON.stringify(channels) }).toString();
}

function presenceFrames(client: TestClient, channel?: string): (PresenceFrame | PresenceDiffFrame)[] {
  return client.frames.filter(
    (frame): frame is PresenceFrame | PresenceDiffFrame => (frame.type === "presence" || frame.type === "presence_diff") && (channel === undefined || frame.channel === channel),
  );
}

let markers = 0;
/** Sends a marker to `client`'s own group and waits for it. */
async function settle(client: TestClient, userId: string | null): Promise<void> {
  const marker = `marker-${(markers += 1)}`;
  if (userId) await api.notify({ user: userId }, { message: marker });
  else await api.notify("anonymous", { message: marker });
  await client.next((frame) => frame.type === "message" && frame.text === marker);
}

describe("presence on one gateway", () => {
  it("counts a user with several tabs once, and lists each user once", async () => {
    const server = await start();
    const alice1 = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    const bob = await gw.connect({ userId: BOB, query: inRoom("room-1") });

    const seenByBob = await presenceUntil(bob, "room-1", (state) => state.count === 2);
    expect(names(seenByBob)).toEqual(["Alice", "Bob"]);
    const seenByAlice = await presenceUntil(alice1, "room-1", (state) => state.count === 2 && state.members.size === 2);
    expect(names(seenByAlice)).toEqual(["Alice", "Bob"]);
    // The server API agrees, and counts sockets per user, not tabs.
    const view = await server.gateway.presence("room-1");
    expect(view.count).toBe(2);
    expect(view.members.map((member) => member.profile.name).sort()).toEqual(["Alice", "Bob"]);
    expect(view.more).toBe(false);
    // So does `getPresence` of the /server entry (what a server component renders), from the layer's entries.
    const fromLayer = await api.getPresence("room-1");
    expect(fromLayer.count).toBe(2);
    expect(fromLayer.members.map((member) => member.profile.name).sort()).toEqual(["Alice", "Bob"]);
    expect(await api.getPresence("room-9")).toEqual({ count: 0, members: [], more: false });
    expect(server.joins.map((event) => event.userId).sort()).toEqual([ALICE, BOB]);
  });

  it("runs onJoin / onLeave and sends join and leave once per user, not per tab", async () => {
    const server = await start();
    const bob = await gw.connect({ userId: BOB, query: inRoom("room-1") });
    await presenceUntil(bob, "room-1", (state) => state.count === 1);
    const aliceTab1 = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    await presenceUntil(bob, "room-1", (state) => state.count === 2);
    const aliceTab2 = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    // Her second tab is counted once the tab itself is sent the presence (same flush as any change).
    await presenceUntil(aliceTab2, "room-1", (state) => state.count === 2);
    const aliceKey = [...presenceState(bob.frames, "room-1").members.values()].find((member) => member.profile.name === "Alice")!.key;

    // One of Alice's tabs closes: she is still here. Carol's arrival is the next change Bob sees.
    gw.forget(aliceTab1);
    await aliceTab1.close();
    await gw.connect({ userId: CAROL, query: inRoom("room-1") });
    await presenceUntil(bob, "room-1", (state) => state.count === 3);
    expect(presenceFrames(bob, "room-1").some((frame) => frame.type === "presence_diff" && frame.left.includes(aliceKey))).toBe(false);
    expect(server.leaves).toEqual([]);

    // Her last tab closes: one leave frame, one onLeave.
    gw.forget(aliceTab2);
    await aliceTab2.close();
    const after = await presenceUntil(bob, "room-1", (state) => state.count === 2 && !state.members.has(aliceKey));
    expect(names(after)).toEqual(["Bob", "Carol"]);
    const leaveFrames = presenceFrames(bob, "room-1").filter((frame) => frame.type === "presence_diff" && frame.left.includes(aliceKey));
    expect(leaveFrames).toHaveLength(1);
    const joinFrames = presenceFrames(bob, "room-1").filter((frame) => frame.type === "presence_diff" && frame.joined.some((member) => member.key === aliceKey));
    expect(joinFrames).toHaveLength(1);
    expect(server.joins.filter((event) => event.userId === ALICE)).toHaveLength(1);
    expect(server.leaves.map((event) => event.userId)).toEqual([ALICE]);
    expect(server.leaves[0]).toMatchObject({ channel: "room-1", member: { key: aliceKey, profile: { name: "Alice" } } });
  });

  it("leaves presence on unsubscribe, while the socket stays open", async () => {
    await start();
    const bob = await gw.connect({ userId: BOB, query: inRoom("room-1") });
    const alice = await gw.connect({ userId: ALICE });
    alice.send(JSON.stringify({ type: "subscribe", ref: "r1", channels: ["room-1"] }));
    await presenceUntil(bob, "room-1", (state) => state.count === 2);
    // Alice is sent the whole presence after her `subscribed` answer.
    const whole = await alice.next((frame) => frame.type === "presence" && frame.channel === "room-1");
    const answer = alice.frames.findIndex((frame) => frame.type === "subscribed" && frame.ref === "r1");
    expect(answer).toBeGreaterThanOrEqual(0);
    expect(answer).toBeLessThan(alice.frames.indexOf(whole));
    const before = presenceFrames(bob, "room-1").length;
    alice.send(JSON.stringify({ type: "unsubscribe", ref: "r1" }));
    const after = await presenceUntil(bob, "room-1", (state) => state.frames > before && state.count === 1);
    expect(names(after)).toEqual(["Bob"]);
  });

  it("lists at most the cap, keeps counting past it, and counts anonymous visitors without listing them", async () => {
    const server = await start({ presenceMaxListed: 2 });
    const watcher = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    for (const user of [BOB, CAROL, DAVE]) await gw.connect({ userId: user, query: inRoom("room-1") });
    await gw.connect({ query: inRoom("room-1") });
    await gw.connect({ query: inRoom("room-1") });

    const seen = await presenceUntil(watcher, "room-1", (state) => state.count === 6);
    expect(seen.members.size).toBe(2);
    expect(seen.more).toBe(true);
    // The earliest two are listed.
    expect(names(seen)).toEqual(["Alice", "Bob"]);
    const view = await server.gateway.presence("room-1");
    expect(view).toMatchObject({ count: 6, more: true });
    expect(view.members).toHaveLength(2);
    // No frame ever listed more than the cap.
    for (const frame of presenceFrames(watcher)) {
      if (frame.type === "presence") expect(frame.members.length).toBeLessThanOrEqual(2);
      else expect(frame.joined.length).toBeLessThanOrEqual(2);
    }
  });

  it("shows presence only to sockets holding the channel, and nothing of the session or user id", async () => {
    await start();
    const alice = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    const mallory = await gw.connect({ userId: MALLORY, query: inRoom("room-1") }); // denied by the authorizer
    const elsewhere = await gw.connect({ userId: CAROL, query: inRoom("room-2") });
    const noPresence = await gw.connect({ userId: DAVE, query: inRoom("plain-1") }); // a channel without presence
    const bob = await gw.connect({ userId: BOB, query: inRoom("room-1") });
    await presenceUntil(alice, "room-1", (state) => state.count === 2);
    await presenceUntil(bob, "room-1", (state) => state.count === 2);

    await settle(mallory, MALLORY);
    await settle(elsewhere, CAROL);
    await settle(noPresence, DAVE);
    expect(presenceFrames(mallory)).toEqual([]);
    expect(presenceFrames(elsewhere, "room-1")).toEqual([]);
    expect(names(await presenceUntil(elsewhere, "room-2", (state) => state.count === 1))).toEqual(["Carol"]);
    expect(presenceFrames(noPresence)).toEqual([]);

    // What browsers saw of presence names people only as the app's identify() put them.
    for (const client of [alice, bob, elsewhere]) {
      const raws = client.raw.filter((raw) => raw.startsWith('{"type":"presence'));
      expect(raws.length).toBeGreaterThan(0);
      for (const raw of raws) {
        // The original django-channels-broadcast client acts on these fields: presence frames carry none.
        for (const field of ["text", "url", "progress"]) expect(Object.keys(JSON.parse(raw) as object)).not.toContain(field);
        for (const userId of Object.keys(NAMES)) expect(raw).not.toContain(userId);
        expect(raw).not.toContain("session");
      }
    }
  });

  it("shows a user whose identify throws, answers too much or hangs, with an empty profile, and says why", async () => {
    const errors: string[] = [];
    await start({}, {
      logger: { warn: () => undefined, error: (message: string, error?: unknown) => void errors.push(`${message}: ${String(error)}`) },
      presence: {
        channels: (channel) => channel.startsWith("room-"),
        identify: (user) => {
          if (user.id === BOB) throw new Error("directory down");
          if (user.id === CAROL) return { name: "x".repeat(2_000) };
          if (user.id === DAVE) return new Promise(() => undefined); // never answers
          return { name: NAMES[user.id] ?? "?" };
        },
      },
    });
    const alice = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    for (const user of [BOB, CAROL, DAVE]) await gw.connect({ userId: user, query: inRoom("room-1") });
    const seen = await presenceUntil(alice, "room-1", (state) => state.count === 4, 5_000);
    expect(names(seen)).toEqual(["Alice", "undefined", "undefined", "undefined"]);
    expect([...seen.members.values()].filter((member) => Object.keys(member.profile).length === 0)).toHaveLength(3);
    expect(errors.some((line) => line.includes("directory down"))).toBe(true);
    expect(errors.some((line) => line.includes("at most 1024"))).toBe(true);
    expect(errors.some((line) => line.includes("longer than 2000 ms"))).toBe(true);
  });

  it("keeps a user once when identify is slow and the tab closes before it answers", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start({}, {
      presence: {
        channels: (channel) => channel.startsWith("room-"),
        identify: async (user) => {
          if (user.id === ALICE) await gate;
          return { name: NAMES[user.id] ?? "?" };
        },
      },
    });
    const bob = await gw.connect({ userId: BOB, query: inRoom("room-1") });
    const alice = await gw.connect({ userId: ALICE, query: inRoom("room-1") });
    gw.forget(alice);
    await alice.close();
    release();
    await gw.connect({ userId: CAROL, query: inRoom("room-1") });
    const seen = await presenceUntil(bob, "room-1", (state) => state.count === 2);
    expect(names(seen)).toEqual(["Bob", "Carol"]);
    expect((await server.gateway.presence("room-1")).count).toBe(2);
  });
});
