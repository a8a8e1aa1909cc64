/**
 * Replay benchmark (issue 4). Two measurements, loopback only; see bench/REPLAY.md.
 *
 *   npm run bench:replay                       # PGlite: storm + 10k / 100k / 1M rows
 *   npm run bench:replay -- --postgres         # the same on a throwaway PostgreSQL too
 *   npm run bench:replay -- --quick            # smoke run: 200 clients, 10k / 100k rows
 *   npm run bench:replay -- --clients 1000 --sizes 10000,100000,1000000 --samples 300 --budget 15
 *   npm run bench:replay -- --stale-storm      # storm clients say lastId=0 (worst case)
 *   npm run bench:replay -- --only growth      # one of the two measurements (storm | growth)
 *
 * 1. Reconnect storm: a gateway process (bench/replay-server.ts, real gateway + real store)
 *    with one pending inbox row for each of N users and a background table; N clients, one per
 *    user, open their sockets in the same tick. Measured: time until every client has received
 *    its replayed row (and its hello), per-client time to hello, and the store's query latencies
 *    inside the gateway during the storm (queueing included: that is what a connect waits for).
 *    Three rounds; the rows stay pending (nobody acks), so every round replays them again.
 * 2. Database time per connect as the table grows: the three connect-time queries
 *    (pendingInbox, missedSince, latestProgress) run directly against the store, in this
 *    process, one connect after another, at each table size. Two kinds of connect: a reconnect
 *    (lastId ≈ 20 s old) and a stale client (lastId = 0: every id is "newer", only the
 *    recovery window bounds it). Plus EXPLAIN of each query at the largest size.
 *
 * Everything it starts (the gateway process, PostgreSQL, temp directories) is stopped on exit,
 * on error and on Ctrl-C. `--budget` (minutes, default 20) aborts a run that takes too long.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import WebSocket from "ws";
import { createDrizzleStore, type NotificationStore, type StoreDatabase } from "../packages/next-channels-broadcast/src/server/store";
import { replayFor } from "../packages/next-channels-broadcast/src/server/store/replay";
import { POSTGRES_INSTALL, startPostgresServer, type PostgresServer } from "../test/helpers/postgres-server";
import { migrateNotifications } from "../packages/next-channels-broadcast/src/server/store/migrate";
import { CHANNELS, fillNotifications, MIGRATIONS_FOLDER, ROW_SPACING_MS, USERS } from "./replay-data";

/* ------------------------------------------------------------------------------ options */

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  return value === undefined || value.startsWith("--") ? "" : value;
}

const quick = process.argv.includes("--quick");
const withPostgres = process.argv.includes("--postgres");
const clients = Number(option("clients") ?? (quick ? 200 : 1_000));
const stormBackground = Number(option("storm-background") ?? (quick ? 10_000 : 100_000));
const sizes = (option("sizes") ?? (quick ? "10000,100000" : "10000,100000,1000000")).split(",").map((value) => Number(value.replace(/_/g, "")));
const samples = Number(option("samples") ?? (quick ? 100 : 300));
const budgetMinutes = Number(option("budget") ?? (quick ? 5 : 20));
/** `--stale-storm`: the storm's clients say lastId=0 (worst case) instead of a recent id. */
const staleStorm = process.argv.includes("--stale-storm");
/** `--only storm` or `--only growth`: run one of the two measurements. */
const only = option("only");
const ROUNDS = 3;
/** How long the gateway process may take to start listening. */
const START_TIMEOUT_S = 180;

if ((only !== undefined && only !== "storm" && only !== "growth") || !(clients >= 1) || sizes.some((n) => !Number.isInteger(n) || n < 1) || !(samples >= 10) || !(budgetMinutes > 0)) {
  console.error("usage: npm run bench:replay -- [--quick] [--postgres] [--stale-storm] [--only storm|growth] [--clients 1000] [--storm-background 100000] [--sizes 10000,100000,1000000] [--samples 300] [--budget 20]");
  process.exit(2);
}

/* ------------------------------------------------------------------------------ cleanup */

const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error("[bench] cleanup failed", error);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n[bench] ${signal}: stopping what was started`);
    void cleanUp().then(() => process.exit(130));
  });
}
const budget = setTimeout(() => {
  console.error(`[bench] over the ${budgetMinutes}-minute budget: stopping`);
  void cleanUp().then(() => process.exit(3));
}, budgetMinutes * 60_000);
budget.unref();

/* ------------------------------------------------------------------------------ helpers */

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(values: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const round = (value: number) => Math.round(value * 100) / 100;
  return { n: values.length, p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

const fmt = (ms: number) => (ms >= 100 ? `${Math.round(ms)}` : ms.toFixed(2));

/* ------------------------------------------------------------------------------ 1. storm */

interface GatewayProcess {
  port: number;
  stop(): Promise<void>;
}

async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const root = resolve(import.meta.dirname, "..");
  const child: ChildProcess = spawn(join(root, "node_modules/.bin/tsx"), ["bench/replay-server.ts"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  };
  cleanups.push(stop);
  const port = await new Promise<number>((done, fail) => {
    let buffered = "";
    // Start-up (tsx compiling the kit, PGlite's WebAssembly, migrations) took 40 s on a loaded 2-core machine.
    const timer = setTimeout(() => fail(new Error(`the gateway process did not start within ${START_TIMEOUT_S} s\n${stderr}`)), START_TIMEOUT_S * 1_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((candidate) => candidate.startsWith("{"));
      if (!line) return;
      clearTimeout(timer);
      done((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the gateway process exited with ${code}\n${stderr}`));
    });
  });
  return { port, stop };
}

async function http<T>(port: number, method: string, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface StormRound {
  allReplayedMs: number;
  helloMs: ReturnType<typeof summary>;
  errors: number;
}

/** N sockets opened in one tick; resolves when each has its replayed row and its hello. */
async function stormRound(port: number, count: number, lastId: number): Promise<StormRound> {
  const sockets: WebSocket[] = [];
  const helloAt: number[] = [];
  let errors = 0;
  const started = performance.now();
  let replayedAll = 0;
  await new Promise<void>((done, fail) => {
    let remaining = count;
    const timer = setTimeout(() => fail(new Error(`storm: ${remaining} of ${count} clients not replayed within 120 s`)), 120_000);
    for (let user = 1; user <= count; user++) {
      // Each reconnects saying the last id it saw: the newest row before its own inbox row.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/notifications?lastId=${lastId}`, { headers: { "x-bench-user": `u${user}` }, perMessageDeflate: false });
      sockets.push(ws);
      let replayed = false;
      let settled = false;
      // Each client settles once: with its hello, or refused / failed (an error, not a 120 s wait).
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (!ok) errors += 1;
        remaining -= 1;
        if (remaining === 0) {
          replayedAll = performance.now() - started;
          clearTimeout(timer);
          done();
        }
      };
      ws.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as { type: string };
        if (frame.type === "message") replayed = true;
        if (frame.type !== "hello") return;
        helloAt.push(performance.now() - started);
        settle(replayed);
      });
      ws.on("unexpected-response", (_req, res) => {
        console.error(`[storm] u${user}: handshake refused with ${res.statusCode}`);
        settle(false);
      });
      ws.on("error", () => settle(false));
    }
  });
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((done) => {
          if (ws.readyState === WebSocket.CLOSED) return done();
          ws.once("close", () => done());
          ws.close();
        }),
    ),
  );
  return { allReplayedMs: replayedAll, helloMs: summary(helloAt), errors };
}

interface StormResult {
  database: string;
  clients: number;
  lastId: number;
  backgroundRows: number;
  seed: unknown;
  rounds: StormRound[];
  queriesMs: Record<string, ReturnType<typeof summary>>;
}

async function storm(database: "pglite" | "postgres", databaseUrl?: string): Promise<StormResult> {
  const env: Record<string, string> = {};
  let dir: string | undefined;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else {
    dir = mkdtempSync(join(tmpdir(), "ncb-bench-replay-"));
    env.PGLITE_DIR = dir;
    cleanups.push(() => rmSync(dir!, { recursive: true, force: true }));
  }
  const gateway = await startGatewayProcess(env);
  console.log(`[storm/${database}] seeding ${stormBackground.toLocaleString("en")} background rows + ${clients.toLocaleString("en")} pending inbox rows…`);
  const seed = await http<{ lastBackgroundId: number }>(gateway.port, "POST", `/seed?users=${clients}&background=${stormBackground}`);
  const lastId = staleStorm ? 0 : seed.lastBackgroundId;
  const rounds: StormRound[] = [];
  const queries: Record<string, number[]> = { pendingInbox: [], missedSince: [], latestProgress: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    await http(gateway.port, "POST", "/stats/reset");
    const result = await stormRound(gateway.port, clients, lastId);
    rounds.push(result);
    const stats = await http<{ queries: Record<string, number[]> }>(gateway.port, "GET", "/stats");
    for (const [name, values] of Object.entries(stats.queries)) queries[name]!.push(...values);
    console.log(
      `[storm/${database}] round ${round}: all ${clients} replayed in ${fmt(result.allReplayedMs)} ms; hello p50 ${fmt(result.helloMs.p50)} / p99 ${fmt(result.helloMs.p99)} ms; errors ${result.errors}`,
    );
    // Wait until the gateway has let every socket go before the next round.
    for (let tries = 0; tries < 200; tries++) {
      if ((await http<{ connections: number }>(gateway.port, "GET", "/stats")).connections === 0) break;
      await new Promise((done) => setTimeout(done, 50));
    }
  }
  await gateway.stop();
  return {
    database,
    clients,
    lastId,
    backgroundRows: stormBackground,
    seed,
    rounds,
    queriesMs: Object.fromEntries(Object.entries(queries).map(([name, values]) => [name, summary(values)])),
  };
}

/* ------------------------------------------------------------------------------ 2. growth */

interface OpenDatabase {
  db: StoreDatabase;
  close(): Promise<void>;
}

async function openPglite(): Promise<OpenDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "ncb-bench-growth-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const client = new PGlite(dir);
  const db = drizzlePglite({ client });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  await migrateNotifications(db);
  return { db, close: async () => (client.closed ? undefined : client.close()) };
}

async function openPostgres(url: string): Promise<OpenDatabase> {
  const client = postgres(url, { max: 3, onnotice: () => {} });
  const db = drizzlePostgres({ client });
  await migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER });
  await migrateNotifications(db);
  let ended: Promise<void> | undefined;
  return { db, close: () => (ended ??= client.end({ timeout: 5 })) };
}

interface GrowthPoint {
  rows: number;
  fillSeconds: number;
  tableMb: number;
  reconnect: Record<string, ReturnType<typeof summary>>;
  stale: Record<string, ReturnType<typeof summary>>;
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

/** One connect's queries, timed one by one, then together as the gateway runs them. */
async function measureConnects(store: NotificationStore, maxId: number, lastIdOf: (maxId: number) => number, count: number): Promise<Record<string, ReturnType<typeof summary>>> {
  const times: Record<string, number[]> = { pendingInbox: [], missedSince: [], latestProgress: [], connect: [] };
  for (let sample = 0; sample < count; sample++) {
    // Spread over users and channels deterministically; each connect has its own user.
    const user = `user:u${1 + ((sample * 7_919 + 13) % USERS)}`;
    const groups = ["all", "authenticated", user, `articles-${1 + ((sample * 104_729) % CHANNELS)}`];
    const lastId = lastIdOf(maxId);
    let started = performance.now();
    await store.pendingInbox(user);
    times.pendingInbox!.push(performance.now() - started);
    started = performance.now();
    await store.missedSince(groups, lastId);
    times.missedSince!.push(performance.now() - started);
    started = performance.now();
    await store.latestProgress(groups);
    times.latestProgress!.push(performance.now() - started);
    started = performance.now();
    await replayFor(store, { groups, userGroup: user, lastId });
    times.connect!.push(performance.now() - started);
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, summary(values)]));
}

async function explain(db: StoreDatabase, store: NotificationStore, maxId: number, now: Date): Promise<Record<string, string[]>> {
  const since = new Date(now.getTime() - store.settings.recoveryWindowMs).toISOString();
  const plans: Record<string, string[]> = {};
  // The same shape as the store's queries (store/index.ts), written out for EXPLAIN.
  const beforeWindow = sql.raw(`coalesce((select max("id") from ncb_notifications where "created_at" <= '${since}'::timestamptz), 0)`);
  const queries = {
    pendingInbox: sql`explain analyze select "id", "group", "inbox", "frame" from ncb_notifications
      where "group" = 'user:u42' and "inbox" and "acked_at" is null and "expires_at" > ${now.toISOString()}::timestamptz order by "id" limit 100`,
    "missedSince (reconnect)": sql`explain analyze select "id", "group", "inbox", "frame" from ncb_notifications
      where "group" in ('all', 'authenticated', 'user:u42', 'articles-7') and not "inbox" and "id" > ${maxId - 33}
        and "id" > ${beforeWindow} and "created_at" > ${since}::timestamptz order by "id" desc limit 100`,
    "missedSince (stale, lastId=0)": sql`explain analyze select "id", "group", "inbox", "frame" from ncb_notifications
      where "group" in ('all', 'authenticated', 'user:u42', 'articles-7') and not "inbox" and "id" > 0
        and "id" > ${beforeWindow} and "created_at" > ${since}::timestamptz order by "id" desc limit 100`,
  };
  for (const [name, query] of Object.entries(queries)) {
    plans[name] = rowsOf(await db.execute(query)).map((row) => String(Object.values(row)[0]));
  }
  return plans;
}

interface AfterCleanup {
  deleted: number;
  cleanupSeconds: number;
  rowsLeft: number;
  reconnect: Record<string, ReturnType<typeof summary>>;
  stale: Record<string, ReturnType<typeof summary>>;
}

async function growth(
  database: "pglite" | "postgres",
  open: () => Promise<OpenDatabase>,
): Promise<{ database: string; points: GrowthPoint[]; plans: Record<string, string[]>; afterCleanup: AfterCleanup | undefined }> {
  const opened = await open();
  cleanups.push(() => opened.close());
  const origin = new Date(Date.now() - Math.max(...sizes) * ROW_SPACING_MS);
  const points: GrowthPoint[] = [];
  let filled = 0;
  let plans: Record<string, string[]> = {};
  let afterCleanup: AfterCleanup | undefined;
  for (const rows of [...sizes].sort((a, b) => a - b)) {
    const started = performance.now();
    await fillNotifications(opened.db, { from: filled + 1, to: rows, origin });
    const fillSeconds = (performance.now() - started) / 1_000;
    filled = rows;
    // "Now" is just after the newest row: the store's clock follows the synthetic timeline.
    const now = new Date(origin.getTime() + (rows + 1) * ROW_SPACING_MS);
    const store = createDrizzleStore(opened.db, { env: {}, clock: () => now });
    const [size] = rowsOf(await opened.db.execute(sql`select pg_total_relation_size('ncb_notifications')::bigint as bytes, max("id")::bigint as max from ncb_notifications`));
    const maxId = Number(size?.max);
    // Warm-up: the first queries after a bulk insert pay for cold caches and plans.
    await measureConnects(store, maxId, (max) => max - 33, 20);
    const reconnect = await measureConnects(store, maxId, (max) => max - 33, samples);
    const stale = await measureConnects(store, maxId, () => 0, Math.max(10, Math.round(samples / 3)));
    const point: GrowthPoint = { rows, fillSeconds: Math.round(fillSeconds * 10) / 10, tableMb: Math.round(Number(size?.bytes) / 1_048_576), reconnect, stale };
    points.push(point);
    console.log(
      `[growth/${database}] ${rows.toLocaleString("en")} rows (${point.tableMb} MB, filled in ${point.fillSeconds} s): connect p50 ${fmt(reconnect.connect!.p50)} / p99 ${fmt(reconnect.connect!.p99)} ms` +
        ` (inbox ${fmt(reconnect.pendingInbox!.p50)}, missed ${fmt(reconnect.missedSince!.p50)}, progress ${fmt(reconnect.latestProgress!.p50)}); stale client p50 ${fmt(stale.connect!.p50)} / p99 ${fmt(stale.connect!.p99)} ms`,
    );
    if (rows === Math.max(...sizes)) {
      plans = await explain(opened.db, store, maxId, now);
      // The steady state of a server whose periodic cleanup runs: expired broadcasts deleted.
      const cleanupStarted = performance.now();
      const deleted = await store.deleteExpired(now);
      const cleanupSeconds = Math.round((performance.now() - cleanupStarted) / 100) / 10;
      await opened.db.execute(sql`analyze ncb_notifications`);
      const [left] = rowsOf(await opened.db.execute(sql`select count(*)::bigint as rows from ncb_notifications`));
      afterCleanup = {
        deleted,
        cleanupSeconds,
        rowsLeft: Number(left?.rows),
        reconnect: await measureConnects(store, maxId, (max) => max - 33, samples),
        stale: await measureConnects(store, maxId, () => 0, Math.max(10, Math.round(samples / 3))),
      };
      console.log(
        `[growth/${database}] after the cleanup (${deleted.toLocaleString("en")} expired rows deleted in ${cleanupSeconds} s, ${afterCleanup.rowsLeft.toLocaleString("en")} left): connect p50 ${fmt(afterCleanup.reconnect.connect!.p50)} / p99 ${fmt(afterCleanup.reconnect.connect!.p99)} ms; stale client p50 ${fmt(afterCleanup.stale.connect!.p50)} / p99 ${fmt(afterCleanup.stale.connect!.p99)} ms`,
      );
    }
  }
  await opened.close();
  return { database, points, plans, afterCleanup };
}

/* ------------------------------------------------------------------------------ main */

async function main(): Promise<void> {
  const machine = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1_073_741_824),
    kernel: release(),
    node: process.version,
    pglite: (JSON.parse(readFileSync(resolve(import.meta.dirname, "../node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string }).version,
    postgres: withPostgres ? (POSTGRES_INSTALL?.version ?? "not installed") : "not run",
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
  console.log(`[bench] ${machine.date} · ${machine.cpu} × ${machine.cores} · node ${machine.node} · PGlite ${machine.pglite} · load ${machine.loadAverageAtStart.join(" ")}`);

  const results: Record<string, unknown> = { machine, options: { clients, stormBackground, sizes, samples, quick, staleStorm, only: only ?? "both" } };
  if (only !== "growth") results.stormPglite = await storm("pglite");
  if (only !== "storm") results.growthPglite = await growth("pglite", openPglite);

  if (withPostgres) {
    if (!POSTGRES_INSTALL) throw new Error("--postgres: PostgreSQL is not installed (apt-get install -y postgresql)");
    const pg: PostgresServer = await startPostgresServer("bench_replay");
    cleanups.push(() => pg.stop());
    if (only !== "growth") results.stormPostgres = await storm("postgres", pg.url);
    if (only !== "storm") {
      // A fresh database for the growth series.
      const admin = postgres(pg.url.replace(/\/bench_replay$/, "/postgres"), { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database bench_growth`);
      await admin.end({ timeout: 5 });
      results.growthPostgres = await growth("postgres", () => openPostgres(pg.url.replace(/\/bench_replay$/, "/bench_growth")));
    }
  }
  (results.machine as Record<string, unknown>).loadAverageAtEnd = loadavg().map((value) => Math.round(value * 100) / 100);
  console.log(`\n${JSON.stringify(results, null, 2)}`);
}

main()
  .then(cleanUp)
  .then(() => process.exit(0))
  .catch(async (error: unknown) => {
    console.error("[bench] failed:", error);
    await cleanUp();
    process.exit(1);
  });
