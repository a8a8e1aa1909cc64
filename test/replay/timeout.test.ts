/**
 * A database that hangs must not hold `hello` hostage: past the replay timeout
 * (NOTIFICATIONS_REPLAY_TIMEOUT_MS) the socket is greeted without its replay, the timeout is
 * logged, and live frames flow.
 *
 * Two hangs: a store whose queries never answer, and a real postgres.js pool pointed at a TCP
 * server that accepts connections and never says a word (what a wedged database or a dead
 * load balancer looks like). Neither test sleeps: they wait for `hello`, bounded by the timeout.
 */
import { createServer, type Server, type Socket } from "node:net";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import type { NotificationStore } from "../../packages/next-channels-broadcast/src/server/store";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";
import { helloIndex, messages, startReplayServer, type ReplayServer } from "./harness";

const REPLAY_TIMEOUT_MS = 300;

let database: TestDatabase;
let server: ReplayServer | undefined;

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function recordingLogger() {
  const logged: string[] = [];
  return { logged, logger: { warn: (text: string) => logged.push(text), error: (text: string) => logged.push(text) } };
}

const isText = (text: string) => (frame: ServerFrame) => frame.type === "message" && frame.text === text;

describe("replay timeout", () => {
  it("a store that never answers: hello comes after the timeout, logged; live frames flow; the row is replayed once the store answers", async () => {
    let hang = true;
    const never = new Promise<never>(() => undefined);
    const wrapStore = (store: NotificationStore): NotificationStore => ({
      ...store,
      pendingInbox: (...args) => (hang ? never : store.pendingInbox(...args)),
    });
    const { logged, logger } = recordingLogger();
    server = await startReplayServer({ database, wrapStore, logger, storeSettings: { replayTimeoutMs: REPLAY_TIMEOUT_MS } });
    await api.sendToUser("alice", "stored while she was away");

    const started = Date.now();
    const alice = await server.connect({ userId: "alice" }); // resolves on hello
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(REPLAY_TIMEOUT_MS - 20);
    expect(waited).toBeLessThan(REPLAY_TIMEOUT_MS + 3_000);
    expect(messages(alice)).toEqual([]);
    expect(logged).toEqual([`[notifications] replay took longer than ${REPLAY_TIMEOUT_MS} ms; the socket goes on without it`]);

    // The socket is fully usable: a live send arrives.
    await api.sendToUser("alice", "live");
    await alice.next(isText("live"));

    // Nothing was lost: the unacknowledged row comes back on the next connect once the store answers.
    hang = false;
    const later = await server.connect({ userId: "alice" });
    expect(messages(later).map((m) => m.text)).toEqual(["stored while she was away", "live"]);
    expect(helloIndex(later)).toBe(2);
  });

  it("a fast store is not affected by the timeout", async () => {
    const { logged, logger } = recordingLogger();
    server = await startReplayServer({ database, logger, storeSettings: { replayTimeoutMs: REPLAY_TIMEOUT_MS } });
    await database.reset();
    await api.sendToUser("bob", "waiting for bob");
    const bob = await server.connect({ userId: "bob" });
    expect(messages(bob).map((m) => m.text)).toEqual(["waiting for bob"]);
    expect(logged).toEqual([]);
  });

  describe("a real PostgreSQL pool whose server accepts and never answers", () => {
    let blackHole: Server;
    let port = 0;
    const sockets = new Set<Socket>();
    let client: postgres.Sql;

    beforeAll(async () => {
      blackHole = createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
      port = (blackHole.address() as { port: number }).port;
      client = postgres(`postgres://nobody@127.0.0.1:${port}/nothing`, { max: 2, connect_timeout: 60, onnotice: () => {} });
    });
    afterAll(async () => {
      await client?.end({ timeout: 0 }).catch(() => undefined);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    });

    it("hello is sent after the timeout; the socket still gets live frames through the layer", async () => {
      const hanging: TestDatabase = { db: drizzle({ client }), reset: async () => undefined, close: async () => undefined };
      const { logged, logger } = recordingLogger();
      server = await startReplayServer({ database: hanging, logger, storeSettings: { replayTimeoutMs: REPLAY_TIMEOUT_MS } });

      const alice = await server.connect({ userId: "alice" });
      expect(sockets.size).toBeGreaterThan(0); // the pool really went to the (silent) server
      expect(logged).toContain(`[notifications] replay took longer than ${REPLAY_TIMEOUT_MS} ms; the socket goes on without it`);
      expect(alice.frames.map((frame) => frame.type)).toEqual(["hello"]);

      // Publishing directly through the layer (a send would try to store first and hang too).
      await server.runtime.layer.publish("user:alice", JSON.stringify({ type: "message", text: "live despite the database", cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false }));
      await alice.next(isText("live despite the database"));
    });
  });
});
