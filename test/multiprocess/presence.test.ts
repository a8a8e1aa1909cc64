/**
 * Presence across two gateway PROCESSES on one Redis (test/fixtures/gateway-process.ts with
 * PRESENCE=1): members held by either process are seen from both; a user with a socket on each
 * process leaves only when both are gone; and after `kill -9` of one process — no shutdown, no
 * goodbye — its members disappear from the other within NOTIFICATIONS_PRESENCE_TIMEOUT_MS,
 * through expiring entries alone.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PresenceView } from "../../packages/next-channels-broadcast/src/server/presence/entry";
import { killGateway, spawnGateway, stopAllGateways, type GatewayProcess } from "../helpers/gateway-process";
import { TestClient } from "../helpers/gateway-server";
import { names, presenceState, presenceUntil } from "../helpers/presence";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";

/** The bound under test: a crashed process's members are gone within this. */
const TIMEOUT_MS = 4_000;
const CHANNEL = "test-1";
const QUERY = `extraChannels=${encodeURIComponent(JSON.stringify([CHANNEL]))}`;

async function presenceOf(gateway: GatewayProcess): Promise<PresenceView> {
  return (await (await fetch(`${gateway.httpUrl}/presence?channel=${CHANNEL}`)).json()) as PresenceView;
}

async function presenceEvents(gateway: GatewayProcess): Promise<{ hook: string; channel: string; userId: string }[]> {
  return (await (await fetch(`${gateway.httpUrl}/presence-events`)).json()) as { hook: string; channel: string; userId: string }[];
}

const nameList = (view: PresenceView) => view.members.map((member) => String(member.profile.name)).sort();

describeWithRedis("presence across two gateway processes on one Redis", () => {
  let redis: RedisTestServer;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const clients: TestClient[] = [];
  const connect = async (gateway: GatewayProcess, userId: string): Promise<TestClient> => {
    const client = await TestClient.connect(gateway.wsUrl, { userId, query: QUERY });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    const env = {
      REDIS_URL: redis.url,
      NOTIFICATIONS_REDIS_PREFIX: `presence-${randomUUID()}:`,
      PRESENCE: "1",
      NOTIFICATIONS_PRESENCE_TIMEOUT_MS: String(TIMEOUT_MS),
      NOTIFICATIONS_PRESENCE_FLUSH_MS: "20",
    };
    [a, b] = await Promise.all([spawnGateway("A", env), spawnGateway("B", env)]);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    await stopAllGateways();
    await redis?.dispose();
  });

  it("shows the members of both processes on both, each user once", async () => {
    const alice = await connect(a, "alice");
    const bob = await connect(b, "bob");
    // Carol has a tab on each process: the second one opens once B has heard of the first.
    await connect(a, "carol");
    expect(names(await presenceUntil(bob, CHANNEL, (state) => state.count === 3))).toEqual(["alice", "bob", "carol"]);
    const carolOnB = await connect(b, "carol");
    expect(names(await presenceUntil(carolOnB, CHANNEL, (state) => state.count === 3))).toEqual(["alice", "bob", "carol"]);
    expect(names(await presenceUntil(alice, CHANNEL, (state) => state.count === 3))).toEqual(["alice", "bob", "carol"]);
    // The server API of each process says the same.
    for (const gateway of [a, b]) {
      const view = await presenceOf(gateway);
      expect(view.count).toBe(3);
      expect(nameList(view)).toEqual(["alice", "bob", "carol"]);
    }
  });

  it("keeps a user with sockets on both processes until both are gone", async () => {
    const watcher = clients[1]!; // bob, on B
    const carolOnA = clients[2]!;
    const carolOnB = clients[3]!;
    const carolKey = [...presenceState(watcher.frames, CHANNEL).members.values()].find((member) => member.profile.name === "carol")!.key;

    await carolOnA.close();
    // The next change bob sees after carol's A tab closed: dave arriving on A. Carol is still there.
    await connect(a, "dave");
    const withDave = await presenceUntil(watcher, CHANNEL, (state) => state.count === 4);
    expect(names(withDave)).toEqual(["alice", "bob", "carol", "dave"]);
    expect(nameList(await presenceOf(a))).toEqual(["alice", "bob", "carol", "dave"]);
    expect(watcher.frames.some((frame) => frame.type === "presence_diff" && frame.left.includes(carolKey))).toBe(false);

    await carolOnB.close();
    const without = await presenceUntil(watcher, CHANNEL, (state) => state.count === 3 && !state.members.has(carolKey));
    expect(names(without)).toEqual(["alice", "bob", "dave"]);

    // The hooks ran once for carol over both processes: onJoin where she arrived first (A; B already
    // saw her listed by A), onLeave where her last socket left (B; A still saw her listed by B).
    const hooks = [...(await presenceEvents(a)), ...(await presenceEvents(b))].filter((event) => event.userId === "carol");
    expect(hooks.map((event) => event.hook).sort()).toEqual(["onJoin", "onLeave"]);
    expect(await presenceEvents(a)).toContainEqual({ hook: "onJoin", channel: CHANNEL, userId: "carol" });
    expect(await presenceEvents(b)).toContainEqual({ hook: "onLeave", channel: CHANNEL, userId: "carol" });
  });

  it("drops the members of a process killed with SIGKILL within the presence timeout; users still on the other process stay", async () => {
    const watcher = clients[1]!; // bob, on B
    // Erin has a socket on each process: when A dies she stays, through B.
    await connect(a, "erin");
    await connect(b, "erin");
    await presenceUntil(watcher, CHANNEL, (state) => state.count === 4 && names(state).includes("erin"));
    const before = presenceState(watcher.frames, CHANNEL);
    expect(names(before)).toEqual(["alice", "bob", "dave", "erin"]);

    const killedAt = Date.now();
    const exited = new Promise<void>((resolve) => a.child.once("exit", () => resolve()));
    killGateway(a);
    await exited;
    const after = await presenceUntil(watcher, CHANNEL, (state) => state.frames > before.frames && state.count === 2, TIMEOUT_MS + 2_000);
    const elapsed = Date.now() - killedAt;
    expect(names(after)).toEqual(["bob", "erin"]);
    expect(elapsed).toBeLessThanOrEqual(TIMEOUT_MS);
    // Not through a goodbye: the dead process said nothing, its entry expired. (It did linger a while.)
    expect(elapsed).toBeGreaterThan(TIMEOUT_MS / 8);
    const view = await presenceOf(b);
    expect(view.count).toBe(2);
    expect(nameList(view)).toEqual(["bob", "erin"]);
  });
});
