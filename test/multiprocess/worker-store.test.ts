/**
 * A worker PROCESS (test/fixtures/worker-send.ts: only the public send API, runtime from the
 * environment) and a gateway on the same Redis and PostgreSQL: what the worker sends to alice
 * while she is offline is stored by the worker and replayed by the gateway when she connects;
 * while she is online it arrives live, with the stored id. Without DATABASE_URL the worker has
 * no store (PGlite lives in the server's process): live only, nothing replayed.
 *
 * The worker exits on its own after `closeRuntime()` (it never calls process.exit), so a
 * Redis or PostgreSQL connection left open would show up as a timeout here.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createRedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import type { SendResult } from "../../packages/next-channels-broadcast/src/server/send";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { describeWithPostgres, startPostgresServer, type PostgresServer } from "../helpers/postgres-server";
import { describeWithRedis, RedisTestServer } from "../helpers/redis-server";
import { messages, startReplayServer, type ReplayServer } from "../replay/harness";
import { openPostgresDatabase, type TestDatabase } from "../store/databases";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface WorkerOutput {
  result: SendResult;
  stored: boolean;
}

/** Runs the worker to completion (it must exit by itself within 20 s) and returns what it printed. */
function runWorker(env: Record<string, string | undefined>, userId: string, text: string): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, ["test/fixtures/worker-send.ts", userId, text], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined, REDIS_URL: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the worker did not exit within 20 s (a connection left open?)\n${stdout}${stderr}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the worker exited with ${code}\n${stdout}${stderr}`));
      const line = stdout.split("\n").find((candidate) => candidate.startsWith("{"));
      if (!line) return reject(new Error(`the worker printed no result\n${stdout}${stderr}`));
      resolve(JSON.parse(line) as WorkerOutput);
    });
  });
}

const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

describeWithRedis("a worker process sends through Redis", () => {
  describeWithPostgres("…and stores in the shared PostgreSQL", () => {
    let redis: RedisTestServer;
    let pg: PostgresServer;
    let database: TestDatabase;
    let gateway: ReplayServer | undefined;
    const prefix = `worker-${randomUUID()}:`;

    beforeAll(async () => {
      [redis, pg] = await Promise.all([RedisTestServer.start(), startPostgresServer("worker_store")]);
      database = await openPostgresDatabase(pg.url); // migrates, as the app's server does at start-up
    });
    afterAll(async () => {
      await database?.close();
      await Promise.all([redis?.dispose(), pg?.stop()]);
    });
    afterEach(async () => {
      await gateway?.close();
      gateway = undefined;
      await database.reset();
    });

    const startGateway = async () => {
      gateway = await startReplayServer({ database, layer: createRedisLayer({ url: redis.url, prefix }) });
      return gateway;
    };

    it("alice offline: the worker stores it; the gateway replays it when she connects; acked, it is not replayed again", async () => {
      const s = await startGateway();
      const worker = await runWorker({ REDIS_URL: redis.url, NOTIFICATIONS_REDIS_PREFIX: prefix, DATABASE_URL: pg.url }, "alice", "Report ready");
      expect(worker).toEqual({ stored: true, result: { sent: true, group: "user:alice", id: expect.any(Number) } });
      const id = (worker.result as { id: number }).id;

      const alice = await s.connect({ userId: "alice" });
      expect(messages(alice)).toEqual([{ id, text: "Report ready" }]);

      alice.send(JSON.stringify({ type: "ack_message", id }));
      await s.nextAck((event) => event.id === id);
      const again = await s.connect({ userId: "alice" });
      expect(messages(again)).toEqual([]);
    });

    it("alice online: the worker's send arrives live through Redis, carrying the stored id", async () => {
      const s = await startGateway();
      const alice = await s.connect({ userId: "alice" });
      const bob = await s.connect({ userId: "bob" });
      const worker = await runWorker({ REDIS_URL: redis.url, NOTIFICATIONS_REDIS_PREFIX: prefix, DATABASE_URL: pg.url }, "alice", "Live from the worker");
      const frame = await alice.next(isText("Live from the worker"));
      expect(frame).toMatchObject({ id: (worker.result as { id: number }).id, cssClass: "success" });
      // A marker to bob proves he got nothing of alice's.
      await runWorker({ REDIS_URL: redis.url, NOTIFICATIONS_REDIS_PREFIX: prefix, DATABASE_URL: pg.url }, "bob", "bob marker");
      await bob.next(isText("bob marker"));
      expect(bob.texts()).toEqual(["bob marker"]);
    });

    it("without DATABASE_URL the worker has no store: live only, nothing to replay", async () => {
      const s = await startGateway();
      const online = await s.connect({ userId: "alice" });
      const worker = await runWorker({ REDIS_URL: redis.url, NOTIFICATIONS_REDIS_PREFIX: prefix }, "alice", "Live only");
      expect(worker).toEqual({ stored: false, result: { sent: true, group: "user:alice" } });
      await online.next(isText("Live only"));
      const later = await s.connect({ userId: "alice" });
      expect(messages(later)).toEqual([]);
    });
  });
});
