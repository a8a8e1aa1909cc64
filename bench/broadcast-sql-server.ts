/**
 * The gateway process of the broadcast-SQL benchmark (bench/broadcast-sql.ts starts it over IPC):
 * the real gateway and the real Drizzle store, wired the way `startNotificationsServer` wires them
 * (runtime installed for the send API, revocation list on the store), on PGlite (`PGLITE_DIR`) or
 * PostgreSQL (`DATABASE_URL`), migrated with `migrateNotifications`.
 *
 * Why a separate process: the clients live in another process (as in every bench here), and the
 * counting must see only what THIS process's store sends to its database.
 *
 * Counting: every statement is seen twice, independently — by Drizzle's `logger` option on the
 * db (what Drizzle sends) and by a wrapper around the driver's own query function (PGlite's
 * `query`, postgres.js's `unsafe`) — and recorded while a window is open (`record` … `stop`).
 *
 * Differences from production wiring, on purpose: authentication is a header (`x-bench-user`),
 * the per-address and per-process socket caps are raised to fit N sockets from 127.0.0.1, and the
 * two periodic timers (the revocation sweep, every 60 s by default, and the expired-row cleanup)
 * are off, so a counting window only holds statements something in it caused. Both timers run on
 * their own clock, one statement per sweep, whatever is sent.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import type { Logger } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { createRevocationList } from "../packages/next-channels-broadcast/src/server/auth/revocation";
import { createGateway } from "../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../packages/next-channels-broadcast/src/server/layer/memory";
import { installRuntime } from "../packages/next-channels-broadcast/src/server/runtime";
import { sendToAll, sendToUser } from "../packages/next-channels-broadcast/src/server/send";
import { readSettings } from "../packages/next-channels-broadcast/src/server/settings";
import { createDrizzleStore, type StoreDatabase } from "../packages/next-channels-broadcast/src/server/store";
import { migrateNotifications } from "../packages/next-channels-broadcast/src/server/store/migrate";
import { emit, serve } from "./lib/ipc";

interface Statement {
  /** ms since the window opened */
  at: number;
  sql: string;
  params: number;
}

let recording = false;
let windowStart = 0;
let logged: Statement[] = [];
let driverCalls = 0;
let acksCounted = 0;
const ackWaiters = new Set<() => void>();

const logger: Logger = {
  logQuery(query, params) {
    if (recording) logged.push({ at: Math.round((performance.now() - windowStart) * 100) / 100, sql: query.replace(/\s+/g, " ").trim(), params: params.length });
  },
};

async function openDatabase(): Promise<{ db: StoreDatabase; kind: string; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const client = postgres(url, { max: 10, onnotice: () => {} });
    // Drizzle's postgres-js session sends every statement through `client.unsafe`.
    const unsafe = client.unsafe.bind(client);
    client.unsafe = ((...args: Parameters<typeof unsafe>) => {
      if (recording) driverCalls += 1;
      return unsafe(...args);
    }) as typeof client.unsafe;
    const db = drizzlePostgres({ client, logger });
    await migrateNotifications(db);
    return { db, kind: "postgres", close: () => client.end({ timeout: 5 }) };
  }
  const dir = process.env.PGLITE_DIR;
  if (!dir) throw new Error("set DATABASE_URL or PGLITE_DIR");
  const client = new PGlite(dir);
  // Drizzle's PGlite session sends every statement through `client.query`.
  const query = client.query.bind(client);
  client.query = ((...args: Parameters<typeof query>) => {
    if (recording) driverCalls += 1;
    return query(...args);
  }) as typeof client.query;
  const db = drizzlePglite({ client, logger });
  await migrateNotifications(db);
  return { db, kind: "pglite", close: () => client.close() };
}

const sockets = Number(process.env.BENCH_SOCKETS ?? 20_000);
const database = await openDatabase();
const store = createDrizzleStore(database.db, { env: {} });
const settings = readSettings({}, { maxSocketsPerIp: sockets, maxSockets: sockets, revocationCheckMs: 0 });
const layer = createMemoryLayer();
const revocations = createRevocationList({ store });
installRuntime({ settings, layer, store, revocations });
const gateway = createGateway({
  settings,
  layer,
  store,
  revocations,
  authenticate: async (req) => {
    const id = req.headers["x-bench-user"];
    return typeof id === "string" && id !== "" ? { id, expiresAt: null } : null;
  },
  onAck: () => {
    acksCounted += 1;
    for (const wake of [...ackWaiters]) wake();
  },
  logger: { warn: (...args: unknown[]) => console.warn(...args), error: (...args: unknown[]) => console.error(...args) },
});

const server = createServer((_req, res) => res.writeHead(404).end());
server.on("upgrade", (req, socket, head) => {
  if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
  else socket.destroy();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;

let gatewayClosing: Promise<void> | undefined;
const closeGateway = () => (gatewayClosing ??= gateway.close());
let closed = false;
async function closeAll(): Promise<void> {
  if (closed) return;
  closed = true;
  await closeGateway();
  server.closeAllConnections();
  server.close();
  await layer.close();
  await store.close();
  await database.close();
}

serve({
  connections: () => gateway.connectionCount(),
  /** Opens a counting window. */
  record: () => {
    logged = [];
    driverCalls = 0;
    acksCounted = 0;
    windowStart = performance.now();
    recording = true;
    return true;
  },
  /** Closes the window; answers what it saw. */
  stop: () => {
    recording = false;
    return { statements: logged, driverCalls, acksCounted, ms: performance.now() - windowStart };
  },
  sendToAll: async (args) => ({ sent: await sendToAll(String(args.text)) }),
  sendToUser: async (args) => ({ sent: await sendToUser(String(args.user), String(args.text)) }),
  /** Resolves once `count` acknowledgements were written (the gateway's onAck), or after `timeoutMs`. */
  waitAcks: (args) => {
    const count = Number(args.count);
    const timeoutMs = Number(args.timeoutMs ?? 15_000);
    return new Promise((resolve) => {
      const started = performance.now();
      const check = () => {
        if (acksCounted < count) return false;
        ackWaiters.delete(wake);
        clearTimeout(timer);
        resolve({ acksCounted, timedOut: false, ms: performance.now() - started });
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        ackWaiters.delete(wake);
        resolve({ acksCounted, timedOut: true, ms: performance.now() - started });
      }, timeoutMs);
      ackWaiters.add(wake);
      check();
    });
  },
  /** `gateway.close()`: closes every socket and writes the acks still queued (the ack writer's flush). */
  closeGateway: async () => {
    const started = performance.now();
    await closeGateway();
    return { ms: performance.now() - started };
  },
  close: async () => {
    await closeAll();
    return true;
  },
});

process.on("SIGTERM", () => {
  setTimeout(() => process.exit(1), 10_000).unref();
  void closeAll().finally(() => process.exit(0));
});
emit("ready", { url: `ws://127.0.0.1:${port}${settings.path}`, database: database.kind });
