/**
 * The gateway process of the replay benchmark (bench/replay.ts starts and stops it): an HTTP
 * server on 127.0.0.1 with the real gateway and the real Drizzle store, on PGlite (a temp
 * directory) or on PostgreSQL (`DATABASE_URL`), migrated from drizzle/.
 *
 * Authentication is a header (`x-bench-user: <id>`) instead of an Auth.js cookie, so the
 * numbers are the replay's, not JWT decryption's.
 *
 * Env: DATABASE_URL (optional), PGLITE_DIR (when no DATABASE_URL).
 * Prints one JSON line `{"port": …}` once it listens. Control endpoints:
 *   POST /seed?users=N&background=M  M background rows (bulk SQL), then one pending inbox row per
 *                                    user u1…uN through store.save (the real send path's insert)
 *   POST /stats/reset                forget the query timings
 *   GET  /stats                      {connections, queries: {pendingInbox: ms[], missedSince: ms[], latestProgress: ms[]}}
 * SIGTERM closes sockets and the database, then exits.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { createGateway } from "../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../packages/next-channels-broadcast/src/server/layer/memory";
import { readSettings } from "../packages/next-channels-broadcast/src/server/settings";
import { createDrizzleStore, type NotificationStore, type StoreDatabase } from "../packages/next-channels-broadcast/src/server/store";
import { migrateNotifications } from "../packages/next-channels-broadcast/src/server/store/migrate";
import { fillNotifications, MIGRATIONS_FOLDER, ROW_SPACING_MS } from "./replay-data";

type QueryName = "pendingInbox" | "missedSince" | "latestProgress";

async function openDatabase(): Promise<{ db: StoreDatabase; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const client = postgres(url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres({ client });
    await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
    await migrateNotifications(db);
    return { db, close: () => client.end({ timeout: 5 }) };
  }
  const dir = process.env.PGLITE_DIR;
  if (!dir) throw new Error("set DATABASE_URL or PGLITE_DIR");
  const client = new PGlite(dir);
  const db = drizzlePglite({ client });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  await migrateNotifications(db);
  return { db, close: () => client.close() };
}

const database = await openDatabase();
const timings: Record<QueryName, number[]> = { pendingInbox: [], missedSince: [], latestProgress: [] };
const real = createDrizzleStore(database.db, { env: {} });

function timed<K extends QueryName>(name: K): NotificationStore[K] {
  const method = real[name] as (...args: unknown[]) => Promise<unknown>;
  return (async (...args: unknown[]) => {
    const started = performance.now();
    try {
      return await method(...args);
    } finally {
      timings[name].push(performance.now() - started);
    }
  }) as NotificationStore[K];
}

const store: NotificationStore = {
  ...real,
  pendingInbox: timed("pendingInbox"),
  missedSince: timed("missedSince"),
  latestProgress: timed("latestProgress"),
};
// The storm's clients all come from 127.0.0.1: the per-address cap (256 by default) would refuse
// the rest with 429, where real reconnecting tabs come from many addresses. Everything else —
// handshake slots and queue included — keeps its default.
const settings = readSettings({ NOTIFICATIONS_MAX_CONCURRENT_HANDSHAKES: process.env.NOTIFICATIONS_MAX_CONCURRENT_HANDSHAKES }, { maxSocketsPerIp: 100_000 });
const layer = createMemoryLayer();
const gateway = createGateway({
  settings,
  layer,
  store,
  authenticate: async (req) => {
    const id = req.headers["x-bench-user"];
    return typeof id === "string" && id !== "" ? { id, expiresAt: null } : null;
  },
});

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // The bodies carry nothing; the query string does.
  }
}

const server = createServer((req, res) => {
  const reply = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const url = new URL(req.url ?? "/", "http://bench");
  if (req.method === "GET" && url.pathname === "/stats") return reply(200, { connections: gateway.connectionCount(), queries: timings });
  if (req.method === "POST" && url.pathname === "/stats/reset") {
    for (const list of Object.values(timings)) list.length = 0;
    return reply(200, {});
  }
  if (req.method === "POST" && url.pathname === "/seed") {
    const users = Number(url.searchParams.get("users") ?? 0);
    const background = Number(url.searchParams.get("background") ?? 0);
    void drain(req)
      .then(async () => {
        const started = performance.now();
        if (background > 0) await fillNotifications(database.db, { from: 1, to: background, origin: new Date(Date.now() - (background + 1) * ROW_SPACING_MS) });
        const filledMs = performance.now() - started;
        const lastBackgroundId = await real.currentWatermark();
        const frame = { type: "message" as const, text: "pending for you", cssClass: "info" as const, clickURL: null, closeURL: null, hideCloseOption: false };
        for (let user = 1; user <= users; user++) await real.save(`user:u${user}`, frame, { inbox: true });
        return { background, users, lastBackgroundId, filledMs, savedMs: performance.now() - started - filledMs };
      })
      .then(
        (result) => reply(200, result),
        (error: unknown) => reply(500, { error: String(error) }),
      );
    return;
  }
  reply(404, { error: "not found" });
});
server.on("upgrade", (req, socket, head) => {
  if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
  else socket.destroy();
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

process.once("SIGTERM", () => {
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  void (async () => {
    await gateway.close();
    server.closeAllConnections();
    server.close();
    await layer.close();
    await store.close();
    await database.close();
    process.exit(0);
  })();
});
