/**
 * Two gateway PROCESSES on one Redis (test/fixtures/gateway-process.ts): real websocket clients
 * with real Auth.js cookies on process B receive what process A sent, for every audience; a
 * Redis restart in the middle is survived without restarting either gateway, and a send made
 * while Redis is down is reported as failed.
 *
 * Absence is proven with a marker sent to `all` after the sends under test: Redis keeps the
 * order of one publisher's messages, so frames that should have arrived have arrived by then.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { spawnGateway, stopAllGateways, type GatewayProcess } from "../helpers/gateway-process";
import { TestClient } from "../helpers/gateway-server";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { eventually, untilDelivered } from "../layer/helpers";

/** Makes `gateway` send through its own runtime (its own Redis publisher connection). */
async function send(gateway: GatewayProcess, target: unknown, payload: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.httpUrl}/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ target, payload }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function sendOk(gateway: GatewayProcess, target: unknown, payload: unknown): Promise<void> {
  const { status, body } = await send(gateway, target, payload);
  if (status !== 200 || body.sent !== true) throw new Error(`send from ${gateway.name} failed: ${status} ${JSON.stringify(body)}`);
}

const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

describeWithRedis("two gateway processes on one Redis", () => {
  let redis: RedisTestServer;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const clients: TestClient[] = [];
  let cast: Record<"alice" | "bob" | "anon" | "aliceOnChannel", TestClient>;
  const closedEarly: string[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    const env = { REDIS_URL: redis.url, NOTIFICATIONS_REDIS_PREFIX: `mp-${randomUUID()}:` };
    [a, b] = await Promise.all([spawnGateway("A", env), spawnGateway("B", env)]);
    const connect = async (name: string, options: Parameters<typeof TestClient.connect>[1]) => {
      const client = await TestClient.connect(b.wsUrl, options);
      clients.push(client);
      void client.closed.then(() => closedEarly.push(name));
      return client;
    };
    cast = {
      alice: await connect("alice", { userId: "alice" }),
      bob: await connect("bob", { userId: "bob" }),
      anon: await connect("anon", {}),
      aliceOnChannel: await connect("aliceOnChannel", { userId: "alice", query: `extraChannels=${encodeURIComponent('["test-1"]')}` }),
    };
  });

  afterAll(async () => {
    // Each step guarded: a failure in one must not leave processes behind.
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    await stopAllGateways();
    await redis?.dispose();
  });

  it("set-up: the sockets live on process B only, with the channel granted", async () => {
    const hello = cast.aliceOnChannel.frames.find((frame) => frame.type === "hello");
    expect(hello).toMatchObject({ type: "hello", userId: "alice", channels: ["test-1"] });
    const statsA = (await (await fetch(`${a.httpUrl}/stats`)).json()) as { connections: number };
    const statsB = (await (await fetch(`${b.httpUrl}/stats`)).json()) as { connections: number; groups: Record<string, number> };
    expect(statsA.connections).toBe(0);
    expect(statsB.connections).toBe(4);
    expect(statsB.groups).toMatchObject({ all: 4, authenticated: 3, anonymous: 1, "user:alice": 2, "user:bob": 1, "test-1": 1 });
  });

  it("delivers what process A sends to the sockets on process B, for every audience", async () => {
    const matrix: [string, unknown, (keyof typeof cast)[]][] = [
      ["to-all", "all", ["alice", "bob", "anon", "aliceOnChannel"]],
      ["to-authenticated", "authenticated", ["alice", "bob", "aliceOnChannel"]],
      ["to-anonymous", "anonymous", ["anon"]],
      ["to-user-alice", { user: "alice" }, ["alice", "aliceOnChannel"]],
      ["to-user-bob", { user: "bob" }, ["bob"]],
      ["to-channel", { channel: "test-1" }, ["aliceOnChannel"]],
      ["to-object", { object: "test-1" }, ["aliceOnChannel"]],
    ];
    for (const [text, target] of matrix) await sendOk(a, target, { message: text, level: "success" });
    await sendOk(a, { user: "alice" }, { redirect: "/reports/42" });
    await sendOk(a, { channel: "test-1" }, { progress: 42 });
    await sendOk(a, "all", { message: "marker-1" });

    await Promise.all(Object.values(cast).map((client) => client.next(isText("marker-1"))));
    for (const [name, client] of Object.entries(cast) as [keyof typeof cast, TestClient][]) {
      const expected = matrix.filter(([, , who]) => who.includes(name)).map(([text]) => text);
      expect(client.texts(), name).toEqual([...expected, "marker-1"]);
    }
    const aliceFrames = cast.alice.frames.filter((frame) => frame.type !== "hello");
    expect(aliceFrames.find((frame) => frame.type === "message" && frame.text === "to-user-alice")).toMatchObject({ cssClass: "success" });
    expect(aliceFrames.some((frame) => frame.type === "redirect" && frame.url === "/reports/42")).toBe(true);
    expect(cast.aliceOnChannel.frames.some((frame) => frame.type === "progress" && frame.percent === "42%" && frame.channel === "test-1")).toBe(true);
    expect(cast.bob.frames.some((frame) => frame.type === "redirect" || frame.type === "progress")).toBe(false);
  });

  it("works the other way round: a socket on A receives what B sends", async () => {
    const carol = await TestClient.connect(a.wsUrl, { userId: "carol" });
    clients.push(carol);
    await sendOk(b, { user: "carol" }, { message: "from-b" });
    await carol.next(isText("from-b"));
  });

  it("survives a Redis restart without restarting the gateways; a send while Redis is down is reported failed", async () => {
    await redis.stop();
    // Until A's publisher has noticed, a send may still be written to the dead socket: poll for the failure.
    let failure: { status: number; body: Record<string, unknown> } | undefined;
    let failedText = "";
    const deadline = Date.now() + 10_000;
    for (let attempt = 0; !failure && Date.now() < deadline; attempt++) {
      failedText = `while-down-${attempt}`;
      const result = await send(a, { user: "alice" }, { message: failedText });
      if (result.status !== 200) failure = result;
    }
    expect(failure).toMatchObject({ status: 503, body: { error: "PublishError", code: "PUBLISH_FAILED" } });

    const outage = Date.now();
    await redis.restart();
    const recoveredMs = await untilDelivered(
      (probe) => sendOk(a, { user: "alice" }, { message: probe }),
      (probe, timeoutMs) => cast.alice.next(isText(probe), timeoutMs),
    );
    console.info(`[figures] two processes: delivery A → B resumed ${recoveredMs} ms after Redis came back (outage handling total ${Date.now() - outage} ms)`);

    // Every subscription of B was restored, not just the one the probe used.
    await sendOk(a, "all", { message: "after-restart" });
    await sendOk(a, { channel: "test-1" }, { message: "channel-after-restart" });
    await sendOk(a, "anonymous", { message: "anon-after-restart" });
    await Promise.all(Object.values(cast).map((client) => client.next(isText("after-restart"))));
    await cast.aliceOnChannel.next(isText("channel-after-restart"));
    await cast.anon.next(isText("anon-after-restart"));
    expect(cast.alice.texts()).not.toContain(failedText);
    expect(closedEarly).toEqual([]);

    // B's publisher may reconnect a little after its subscriber, and the pipe has its own delay.
    await eventually("B logged the recovery", () => b.output.join("").includes("restored after"));
    const output = b.output.join("");
    expect(output.match(/lost connection/g)).toHaveLength(1);
    expect(output.match(/restored after/g)).toHaveLength(1);
  });
});
