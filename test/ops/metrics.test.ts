/**
 * Metrics end to end: a real gateway on a real Redis layer with a real PGlite store, its
 * metrics (prom-client) and the ops endpoints on a real HTTP server. A scripted sequence —
 * connect, a refused handshake, subscribe, send, ack, a slow consumer cut, a Redis restart — and
 * the endpoint reports exactly those counts; without the token it refuses.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { createOpsEndpoints } from "../../packages/next-channels-broadcast/src/server/http/ops";
import { createRedisLayer, type RedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import { createNotificationMetrics, type NotificationMetrics } from "../../packages/next-channels-broadcast/src/server/metrics";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { createDrizzleStore, type NotificationStore } from "../../packages/next-channels-broadcast/src/server/store";
import { startTestGateway, TestClient, HandshakeRefused, type TestGateway } from "../helpers/gateway-server";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { TEST_SECRET } from "../helpers/sessions";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

const TOKEN = "metrics-test-token-0123456789";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The value of one series in Prometheus text (`name{labels} value`), or 0 when absent. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).startsWith("{") ? line.slice(name.length + 1, line.indexOf("}")) : "";
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

describeWithRedis("metrics", () => {
  let redis: RedisTestServer;
  let layer: RedisLayer;
  let database: TestDatabase;
  let store: NotificationStore;
  let metrics: NotificationMetrics;
  let gw: TestGateway;
  let ops: Server;
  let opsUrl: string;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    layer = createRedisLayer({ url: redis.url, logger: quiet });
    database = await openPgliteDatabase();
    store = createDrizzleStore(database.db, { env: {} });
    const settings = readSettings({}, { metricsPath: "/metrics", metricsToken: TOKEN, processId: "test-process", maxBufferedBytes: 64 * 1024 });
    metrics = await createNotificationMetrics(settings, { stats: () => gw.gateway.stats() });
    gw = await startTestGateway(
      { metricsPath: "/metrics", metricsToken: TOKEN, maxBufferedBytes: 64 * 1024 },
      { layer, store, observer: metrics.observer, tokenSecret: TEST_SECRET, authorizer: (_user, channel) => channel === "articles-1", logger: quiet },
    );
    gw.runtime.store = store;
    gw.runtime.onPublished = metrics.sends.published;
    const endpoints = createOpsEndpoints({ settings, stats: () => gw.gateway.stats(), store, registry: metrics.registry });
    ops = createServer((req, res) => {
      if (!endpoints.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => ops.listen(0, "127.0.0.1", resolve));
    opsUrl = `http://127.0.0.1:${(ops.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (ops ? ops.close(() => resolve()) : resolve()));
    await gw?.close();
    metrics?.stop();
    await store?.close();
    await database?.close();
    await redis?.dispose();
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`${opsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    return response.text();
  }

  it("refuses a scrape without the token, or with a wrong one", async () => {
    expect((await fetch(`${opsUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${opsUrl}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
  });

  it("reports a scripted sequence exactly", async () => {
    const alice = await TestClient.connect(gw.url, { userId: "alice" });
    const refused = await TestClient.connect(gw.url, {}).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(HandshakeRefused);

    // Subscribe to a page channel, send her a message, she acks it.
    alice.send(JSON.stringify({ type: "subscribe", ref: "s1", channels: ["articles-1"] }));
    await alice.next((frame) => frame.type === "subscribed");
    await api.sendToUser("alice", "hello");
    const message = (await alice.next((frame) => frame.type === "message")) as { id: number };
    alice.send(JSON.stringify({ type: "ack", ids: [message.id] }));
    await api.sendToObject("articles-1", "on the page");
    await alice.next((frame) => frame.type === "message" && frame.text === "on the page");

    let text = await scrape();
    expect(valueOf(text, "ncb_sockets_open", { kind: "authenticated", process: "test-process" })).toBe(1);
    expect(valueOf(text, "ncb_sockets_open", { kind: "anonymous" })).toBe(0);
    expect(valueOf(text, "ncb_users_connected")).toBe(1);
    expect(valueOf(text, "ncb_channels_held")).toBe(1);
    // all, authenticated, user:alice, articles-1
    expect(valueOf(text, "ncb_groups_held")).toBe(4);
    expect(valueOf(text, "ncb_handshakes_total", { result: "accepted", reason: "authenticated" })).toBe(1);
    expect(valueOf(text, "ncb_handshakes_total", { result: "refused", reason: "403 Anonymous connections are disabled" })).toBe(1);
    expect(valueOf(text, "ncb_messages_published_total", { kind: "message", audience: "user" })).toBe(1);
    expect(valueOf(text, "ncb_messages_published_total", { kind: "message", audience: "object" })).toBe(1);
    expect(valueOf(text, "ncb_frames_delivered_total", { kind: "message", audience: "user" })).toBe(1);
    expect(valueOf(text, "ncb_frames_delivered_total", { kind: "message", audience: "page" })).toBe(1);
    await expect.poll(async () => valueOf(await scrape(), "ncb_acks_total")).toBe(1);
    expect(valueOf(text, "ncb_replay_duration_seconds_count")).toBeGreaterThanOrEqual(2); // the handshake's join and the subscribe's
    expect(valueOf(text, "ncb_layer_up")).toBe(1);
    expect(valueOf(text, "ncb_event_loop_delay_seconds_bucket", { le: "+Inf" })).toBeGreaterThanOrEqual(0);

    // A slow consumer: mallory stops reading while large frames are published to her.
    const mallory = await TestClient.connect(gw.url, { userId: "mallory" });
    (mallory.ws as unknown as { _socket: Socket })._socket.pause();
    const big = JSON.stringify({ type: "message", text: "x".repeat(16 * 1024), cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
    // A publish resolves once Redis took it; the gateway gets it a moment later through its
    // subscriber. Publish until the cut shows (or a bound far past any socket buffering), then wait for it.
    for (let sent = 0; sent < 400 && gw.gateway.stats().users === 2; sent++) await layer.publish("user:mallory", big);
    await expect.poll(() => gw.gateway.stats().users, { timeout: 15_000 }).toBe(1);
    mallory.ws.terminate();
    text = await scrape();
    expect(valueOf(text, "ncb_sockets_cut_total", { reason: "slow_consumer" })).toBe(1);

    // Redis restarts: the layer is reported down, then up again (a reconnect that flaps may
    // count more than one restore; none would be the bug).
    await redis.stop();
    await expect.poll(async () => valueOf(await scrape(), "ncb_layer_up"), { timeout: 10_000 }).toBe(0);
    expect(valueOf(await scrape(), "ncb_layer_restores_total")).toBe(0);
    await redis.restart();
    await expect.poll(async () => valueOf(await scrape(), "ncb_layer_restores_total") >= 1, { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => valueOf(await scrape(), "ncb_layer_up"), { timeout: 15_000 }).toBe(1);
    await alice.close();
    // Alice's clean close (1005: no status) and mallory's cut (4008) or termination (1006).
    await expect.poll(async () => valueOf(await scrape(), "ncb_sockets_closed_total", { kind: "authenticated", code: "1005" })).toBe(1);
    text = await scrape();
    expect(valueOf(text, "ncb_sockets_closed_total", { kind: "authenticated", code: "4008" }) + valueOf(text, "ncb_sockets_closed_total", { kind: "authenticated", code: "1006" })).toBe(1);
    expect(valueOf(text, "ncb_sockets_open", { kind: "authenticated" })).toBe(0);
  });
});
