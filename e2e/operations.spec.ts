/**
 * Operating the demo's real server process (server.ts, production build, Redis layer): liveness,
 * readiness that fails while Redis is down and once SIGTERM starts the drain, the drain closing
 * sockets in batches over its window, and the metrics endpoint behind its token. Plain HTTP and
 * `ws` clients: what a load balancer, a scraper and browsers' sockets see.
 */
import { expect, test } from "@playwright/test";
import WebSocket from "ws";
import { RedisTestServer } from "../test/helpers/redis-server";
import { startAppServer, type AppServer } from "./support/app-server";

const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const DRAIN_WINDOW_MS = 3_000;
const SOCKETS = 20;

let redis: RedisTestServer | undefined;
let app: AppServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  redis = await RedisTestServer.start();
  app = await startAppServer({
    env: {
      REDIS_URL: redis.url,
      ENABLE_ANONYMOUS: "true",
      NOTIFICATIONS_MAX_SOCKETS_PER_IP: "1000",
      NOTIFICATIONS_DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS),
      NOTIFICATIONS_METRICS_PATH: "/metrics",
      NOTIFICATIONS_METRICS_TOKEN: METRICS_TOKEN,
      NOTIFICATIONS_PROCESS_ID: "e2e-a",
    },
  });
});
test.afterAll(async () => {
  await app?.stop();
  await redis?.dispose();
});

async function status(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(`${app!.url}${path}`, { headers });
  return { status: response.status, body: await response.text() };
}

/** An anonymous socket as a browser on the app's page would open it; resolves once `hello` came. */
async function openSocket(): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }> }> {
  const ws = new WebSocket(`${app!.url.replace("http", "ws")}/ws/notifications`, { headers: { origin: app!.url } });
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.once("close", (code) => resolve({ code, at: performance.now() })));
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === "hello") resolve();
    });
    ws.once("error", reject);
  });
  return { ws, closed };
}

test("liveness, and readiness that fails while Redis is down and comes back with it", async () => {
  expect(await status("/livez")).toEqual({ status: 200, body: '{"status":"live"}\n' });
  await expect.poll(async () => (await status("/readyz")).status).toBe(200);
  expect(JSON.parse((await status("/readyz")).body)).toEqual({ status: "ready", layer: "up", store: "ok", draining: false });

  await redis!.stop();
  await expect.poll(async () => (await status("/readyz")).status, { timeout: 15_000 }).toBe(503);
  expect(JSON.parse((await status("/readyz")).body)).toMatchObject({ status: "not ready", layer: "down" });
  expect((await status("/livez")).status).toBe(200);
  await redis!.restart();
  await expect.poll(async () => (await status("/readyz")).status, { timeout: 20_000 }).toBe(200);
});

test("metrics: refused without the token, counted per process with it", async () => {
  expect((await status("/metrics")).status).toBe(401);
  const { ws } = await openSocket();
  const scraped = await status("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(scraped.status).toBe(200);
  expect(scraped.body).toContain('ncb_sockets_open{kind="anonymous",process="e2e-a"} 1');
  expect(scraped.body).toMatch(/ncb_handshakes_total\{result="accepted",reason="anonymous",process="e2e-a"\} [1-9]/);
  ws.close();
});

test("SIGTERM: readiness fails at once, then the sockets are closed with 1012 in batches over the drain window", async () => {
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => openSocket()));
  const started = performance.now();
  const exited = app!.kill("SIGTERM");
  await expect.poll(async () => (await status("/readyz").catch(() => ({ status: 0, body: "" }))).status, { intervals: [50] }).toBe(503);
  const closes = await Promise.all(sockets.map((socket) => socket.closed));
  await exited;
  expect(new Set(closes.map((close) => close.code))).toEqual(new Set([1012]));
  // Spread over the window, not all in the same moment: at least half the window between the
  // first close and the last (a slower machine only spreads them more).
  const times = closes.map((close) => close.at - started).sort((a, b) => a - b);
  expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(DRAIN_WINDOW_MS / 2);
  await app!.start();
});
