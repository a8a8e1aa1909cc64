/**
 * The server of the flood benchmark (bench/floods.ts starts and stops it): an HTTP server on
 * 127.0.0.1 with the real gateway, real Auth.js cookie sessions and the real Drizzle store on
 * PGlite (a temp directory) — the embedded default, where every statement runs on the main
 * thread, so database work a client causes shows up as event-loop delay.
 *
 * The kit is loaded from `KIT_SRC` (default: this checkout's package sources), so the same
 * benchmark measures an older checkout ("before") and this one ("after").
 *
 * The connect-storm and idle-capacity benches (issue #10) use it too, on PostgreSQL
 * (`DATABASE_URL`), with the revocation list a production server has (`REVOCATIONS=1`) and the
 * Auth.js session cache at a chosen capacity (`AUTH_SESSION_CACHE`, 0 = off).
 *
 * Env: KIT_SRC, MIGRATIONS (the drizzle folder of a kit from before the package, which had no
 * migrateNotifications), PGLITE_DIR or DATABASE_URL, AUTH_SECRET, REVOCATIONS, AUTH_SESSION_CACHE,
 * LISTEN_BACKLOG,  * SETTINGS (JSON overrides). Prints one JSON line `{"port": …}` once it listens. Endpoints:
 *   POST /seed?users=N&rows=R   R pending inbox rows for each of u1…uN (through store.save)
 *   POST /eld                   starts a new event-loop delay histogram
 *   GET  /eld                   {p50, p99, max} in ms since the last reset, open sockets, and PostgreSQL statements since the reset
 *   GET  /memory                {heapUsed, rss, external, arrayBuffers, sockets} after a full GC (run node with --expose-gc)
 *   POST /profile/start         starts the V8 CPU profiler (main thread, 0.5 ms samples)
 *   POST /profile/stop?file=F   stops it and writes the profile (.cpuprofile, Chrome DevTools' format) to F
 *   POST /heap-snapshot?file=F  writes a V8 heap snapshot to F (what an idle socket holds)
 *   GET  /ping                  answers at once: the bench times it to see what a page request waits
 */
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { Session } from "node:inspector/promises";
import { writeHeapSnapshot } from "node:v8";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { memory } from "./servers/common";

const kit = resolve(process.env.KIT_SRC ?? resolve(import.meta.dirname, "../packages/next-channels-broadcast/src"));
const { createGateway } = (await import(`${kit}/server/gateway/index.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/gateway");
const { createDrizzleStore } = (await import(`${kit}/server/store/index.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/store");
const { createMemoryLayer } = (await import(`${kit}/server/layer/memory.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/layer/memory");
const { readSettings } = (await import(`${kit}/server/settings.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/settings");
const { authjsAuthenticate } = (await import(`${kit}/server/auth/authjs.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/auth/authjs");

// PostgreSQL when DATABASE_URL is set (the packaged kit only), else PGlite in PGLITE_DIR.
/** Statements sent to PostgreSQL since the last `POST /eld` (what a storm costs the database, and the server's CPU per statement). */
let statements = 0;
// Counted through Drizzle's logger, which every store statement passes: postgres.js's own
// `debug` hook would make it capture a stack trace (\`new Error()\`) per query, CPU the server
// does not spend in production.
const countStatements = { logQuery: () => void (statements += 1) };
const postgresClient = process.env.DATABASE_URL ? postgres(process.env.DATABASE_URL, { max: 10, onnotice: () => undefined }) : undefined;
const client = postgresClient ? undefined : new PGlite(process.env.PGLITE_DIR!);
const db = postgresClient ? drizzlePostgres({ client: postgresClient, logger: countStatements }) : drizzle({ client: client!, logger: countStatements });
// The package migrates its own ncb_* tables (migrateNotifications); an older checkout's kit had
// its tables in the app's drizzle/ folder.
const packaged = existsSync(`${kit}/server/store/migrate.ts`);
if (packaged) {
  const { migrateNotifications } = (await import(`${kit}/server/store/migrate.ts`)) as typeof import("../packages/next-channels-broadcast/src/server/store/migrate");
  await migrateNotifications(db);
} else {
  await migrate(db as ReturnType<typeof drizzle>, { migrationsFolder: process.env.MIGRATIONS! });
}
const store = createDrizzleStore(db, { env: {} });
const settings = readSettings({}, JSON.parse(process.env.SETTINGS ?? "{}") as Record<string, unknown>);
const layer = createMemoryLayer();
const revocations = process.env.REVOCATIONS === "1" ? (await import(`${kit}/server/auth/revocation.ts`) as typeof import("../packages/next-channels-broadcast/src/server/auth/revocation")).createRevocationList({ store }) : undefined;
// An older kit has no session cache and ignores the option.
const sessionCache = process.env.AUTH_SESSION_CACHE === undefined ? {} : { sessionCacheSize: Number(process.env.AUTH_SESSION_CACHE) };
const authenticate = authjsAuthenticate({ secret: process.env.AUTH_SECRET, ...sessionCache });
const gateway = createGateway({ settings, layer, store, revocations, authenticate, logger: { warn: () => undefined, error: () => undefined } });

const profiler = new Session();
profiler.connect();

let histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;

const server = createServer((req, res) => {
  const reply = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const url = new URL(req.url ?? "/", "http://bench");
  if (url.pathname === "/ping") return reply(200, { ok: true });
  if (url.pathname === "/eld" && req.method === "POST") {
    histogram.disable();
    histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    statements = 0;
    return reply(200, {});
  }
  if (url.pathname === "/eld") {
    return reply(200, { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), sockets: gateway.connectionCount(), statements });
  }
  // ?kind=heap: the sampling heap profiler, counting objects already collected too (what a storm
  // allocates, not only what it keeps), one sample per 4 KB on average.
  const heap = url.searchParams.get("kind") === "heap";
  if (url.pathname === "/profile/start" && req.method === "POST") {
    const started = heap
      ? profiler.post("HeapProfiler.enable").then(() => profiler.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never))
      : profiler.post("Profiler.enable").then(async () => {
          await profiler.post("Profiler.setSamplingInterval", { interval: 500 });
          await profiler.post("Profiler.start");
        });
    void started.then(() => reply(200, {}));
    return;
  }
  if (url.pathname === "/profile/stop" && req.method === "POST") {
    const stopped = heap ? profiler.post("HeapProfiler.stopSampling") : profiler.post("Profiler.stop");
    void stopped.then(({ profile }) => {
      writeFileSync(url.searchParams.get("file")!, JSON.stringify(profile));
      reply(200, {});
    });
    return;
  }
  if (url.pathname === "/heap-snapshot" && req.method === "POST") {
    writeHeapSnapshot(url.searchParams.get("file")!);
    return reply(200, {});
  }
  if (url.pathname === "/memory") {
    void memory().then((usage) => reply(200, { ...usage, sockets: gateway.connectionCount() }));
    return;
  }
  if (url.pathname === "/seed" && req.method === "POST") {
    const users = Number(url.searchParams.get("users") ?? 0);
    const rows = Number(url.searchParams.get("rows") ?? 1);
    const frame = { type: "message" as const, text: "pending for you", cssClass: "info" as const, clickURL: null, closeURL: null, hideCloseOption: false };
    void (async () => {
      for (let user = 1; user <= users; user++) for (let row = 0; row < rows; row++) await store.save(`user:u${user}`, frame, { inbox: true });
      return store.currentWatermark();
    })().then(
      (watermark) => reply(200, { watermark }),
      (error: unknown) => reply(500, { error: String(error) }),
    );
    return;
  }
  reply(404, {});
});
server.on("upgrade", (req, socket, head) => {
  if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
  else socket.destroy();
});
// LISTEN_BACKLOG: the accept queue (Node's default 511; the kernel caps it at net.core.somaxconn).
const backlog = process.env.LISTEN_BACKLOG ? Number(process.env.LISTEN_BACKLOG) : undefined;
server.listen({ port: 0, host: "127.0.0.1", backlog }, () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));

process.once("SIGTERM", () => {
  setTimeout(() => process.exit(1), 10_000).unref();
  void (async () => {
    await gateway.close();
    server.closeAllConnections();
    server.close();
    await (postgresClient ? postgresClient.end({ timeout: 5 }) : client!.close());
    process.exit(0);
  })();
});
