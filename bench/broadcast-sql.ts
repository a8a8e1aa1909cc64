/**
 * Broadcast SQL benchmark (issue #13): how many SQL statements does ONE broadcast to N open
 * sockets cost the store, beyond its own INSERT? The goal is 0 — a broadcast carries no ack
 * request, so no client acknowledges it and nothing is written per socket.
 *
 *   npm run bench:broadcast-sql                       # PGlite, N = 10,000
 *   npm run bench:broadcast-sql -- --postgres         # PGlite, then a throwaway PostgreSQL
 *   npm run bench:broadcast-sql -- --quick            # smoke run: N = 1,000
 *   npm run bench:broadcast-sql -- --n 10000 --tabs 10 --budget 15
 *
 * Per database: a gateway process (bench/broadcast-sql-server.ts: real gateway, real Drizzle
 * store, every statement it runs counted twice — Drizzle's logger and the driver's query
 * function) pinned to core 0, and a client process (bench/broadcast-sql-client.ts: N + tabs real
 * `ws` sockets acking like the browser: only `ack: true` frames, batched) pinned to core 1.
 *
 * 1. Control: `sendToUser("t1", …)` to one user with `--tabs` (10) open tabs. Window: from the send
 *    until the gateway reported every tab's ack written (its `onAck`). Expected: the INSERT plus ONE
 *    batched ack statement.
 * 2. Broadcast: `sendToAll(…)` to all N + tabs sockets. Window: from the send until every socket
 *    has the frame, no ack is still queued in any client, and `gateway.close()` — which writes
 *    whatever the ack writer still holds — has returned. Expected: the INSERT only.
 *
 * Prints a table, writes raw JSON (every statement of each window) to bench/results/.
 * Everything it starts is stopped on exit, error, Ctrl-C or `--budget` (minutes) overrun.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { POSTGRES_INSTALL, startPostgresServer, type PostgresServer } from "../test/helpers/postgres-server";
import { HAS_TASKSET, killAllNow, ROOT, startNode, stopAll, type BenchProcess } from "./lib/proc";

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  return value === undefined || value.startsWith("--") ? "" : value;
}

const quick = process.argv.includes("--quick");
const withPostgres = process.argv.includes("--postgres");
const n = Number(option("n") ?? (quick ? 1_000 : 10_000));
const tabs = Number(option("tabs") ?? 10);
const budgetMinutes = Number(option("budget") ?? (quick ? 5 : 15));
const concurrency = Number(option("concurrency") ?? 200);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(tabs) || tabs < 1 || tabs > 32 || !(budgetMinutes > 0) || !(concurrency >= 1)) {
  console.error("usage: npm run bench:broadcast-sql -- [--quick] [--postgres] [--n 10000] [--tabs 10 (≤ 32, the per-user cap)] [--concurrency 200] [--budget 15]");
  process.exit(2);
}

interface Statement {
  at: number;
  sql: string;
  params: number;
}
interface Window {
  statements: Statement[];
  driverCalls: number;
  acksCounted: number;
  ms: number;
}
interface Delivery {
  timedOut?: boolean;
  expected: number;
  received: number;
  duplicates?: number;
  ackRequests?: number;
  ackIdsSent?: number;
  ackFramesSent?: number;
  lastMs?: number;
  unexpectedCloses?: number;
}

function kindOf(sql: string): "insert" | "ack" | "other" {
  if (/^with ordered as materialized .* insert into "ncb_notifications"/i.test(sql)) return "insert";
  if (/update "ncb_notifications" .* set "acked_at"/i.test(sql)) return "ack";
  return "other";
}

function tally(window: Window): { total: number; insert: number; ack: number; other: number } {
  const counts = { total: window.statements.length, insert: 0, ack: 0, other: 0 };
  for (const statement of window.statements) counts[kindOf(statement.sql)] += 1;
  return counts;
}

async function runOn(database: "pglite" | "postgres", url?: string) {
  const dir = database === "pglite" ? mkdtempSync(join(tmpdir(), "ncb-bsql-")) : undefined;
  process.env.DATABASE_URL = url ?? "";
  process.env.PGLITE_DIR = dir ?? "";
  process.env.BENCH_SOCKETS = String(n + tabs + 100);
  let server: BenchProcess | undefined;
  let clients: BenchProcess | undefined;
  try {
    const started = await startNode<{ url: string }>(`server(${database})`, 0, "bench/broadcast-sql-server.ts", []);
    server = started.proc;
    clients = (await startNode("clients", 1, "bench/broadcast-sql-client.ts", [])).proc;
    clients.child.on("message", (message: { event?: string; data?: { opened: number; failed: number } }) => {
      if (message.event === "progress") console.log(`  ${database}: ${message.data!.opened} sockets open, ${message.data!.failed} failed`);
    });
    const users = [...Array.from({ length: tabs }, () => "t1"), ...Array.from({ length: n }, (_, index) => `b${index + 1}`)];
    const openMs = budgetMinutes * 60_000;
    const opened = await clients.rpc.call<{ opened: number; failed: number; ms: number }>("open", { url: started.ready.url, users, concurrency }, openMs);
    const held = await server.rpc.call<number>("connections");
    console.log(`  ${database}: ${opened.opened} sockets open (${opened.failed} failed) in ${(opened.ms / 1000).toFixed(1)} s; the gateway holds ${held}`);
    if (opened.failed > 0 || held !== n + tabs) throw new Error(`expected ${n + tabs} open sockets, the gateway holds ${held} (${opened.failed} failed)`);

    // 1. Control: one user, `tabs` tabs, each acks the inbox row it is sent.
    const controlText = `control ${Date.now()}`;
    await server.rpc.call("record");
    await clients.rpc.call("arm", { text: controlText, users: ["t1"] });
    const controlSent = await server.rpc.call<{ sent: boolean }>("sendToUser", { user: "t1", text: controlText });
    const controlDelivery = await clients.rpc.call<Delivery>("await", { timeoutMs: 60_000 }, 70_000);
    const controlAcks = await server.rpc.call<{ acksCounted: number; timedOut: boolean }>("waitAcks", { count: tabs, timeoutMs: 30_000 }, 40_000);
    const control = await server.rpc.call<Window>("stop");

    // 2. The broadcast: every socket, nobody is asked to ack; the window ends after gateway.close() flushed the ack writer.
    const broadcastText = `broadcast ${Date.now()}`;
    await server.rpc.call("record");
    await clients.rpc.call("arm", { text: broadcastText });
    const broadcastSent = await server.rpc.call<{ sent: boolean }>("sendToAll", { text: broadcastText });
    const broadcastDelivery = await clients.rpc.call<Delivery>("await", { timeoutMs: 120_000 }, 130_000);
    const closed = await server.rpc.call<{ ms: number }>("closeGateway", {}, 60_000);
    const broadcast = await server.rpc.call<Window>("stop");

    await server.rpc.call("close", {}, 30_000).catch(() => undefined);
    return {
      database,
      sockets: n + tabs,
      connectMs: Math.round(opened.ms),
      control: { sent: controlSent.sent, delivery: controlDelivery, acks: controlAcks, window: control, counts: tally(control) },
      broadcast: { sent: broadcastSent.sent, delivery: broadcastDelivery, closeMs: Math.round(closed.ms), window: broadcast, counts: tally(broadcast) },
    };
  } finally {
    await clients?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

type Run = Awaited<ReturnType<typeof runOn>>;

function table(runs: Run[]): string {
  const lines = [
    "| database | case | sockets | received | statements (driver) | insert / ack / other | acks the clients sent (ids in frames) | goal | met? |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const run of runs) {
    const rows = [
      { label: `control: sendToUser, 1 user × ${tabs} tabs`, part: run.control, sockets: tabs, goal: "insert + 1 ack", met: run.control.counts.insert === 1 && run.control.counts.ack === 1 && run.control.counts.other === 0 },
      { label: "sendToAll", part: run.broadcast, sockets: run.sockets, goal: "insert only (0 beyond it)", met: run.broadcast.counts.insert === 1 && run.broadcast.counts.total === 1 },
    ];
    for (const row of rows) {
      const d = row.part.delivery;
      const c = row.part.counts;
      const complete = !d.timedOut && d.received === d.expected && (d.duplicates ?? 0) === 0;
      lines.push(
        `| ${run.database} | ${row.label} | ${row.sockets.toLocaleString("en")} | ${d.received.toLocaleString("en")}${d.timedOut ? " (timed out)" : ""}${d.duplicates ? `, ${d.duplicates} duplicates` : ""} | ${c.total} (${row.part.window.driverCalls}) | ${c.insert} / ${c.ack} / ${c.other} | ${d.ackIdsSent ?? "?"} ids in ${d.ackFramesSent ?? "?"} frames | ${row.goal} | ${row.met && complete ? "yes" : "NO"} |`,
      );
    }
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  console.log(`broadcast-sql · ${new Date().toISOString()} · ${cpus().length} cores (${cpus()[0]?.model}) · load ${loadavg().map((value) => value.toFixed(2)).join(" ")} · N = ${n.toLocaleString("en")} + ${tabs} tabs · ${HAS_TASKSET ? "server on core 0, clients on core 1" : "unpinned (no taskset)"}`);
  const runs: Run[] = [];
  runs.push(await runOn("pglite"));
  if (withPostgres) {
    if (!POSTGRES_INSTALL) throw new Error("--postgres: PostgreSQL is not installed (apt-get install -y postgresql)");
    const pg: PostgresServer = await startPostgresServer("bench_broadcast_sql");
    stopPostgres = () => pg.stop();
    try {
      runs.push(await runOn("postgres", pg.url));
    } finally {
      await pg.stop();
      stopPostgres = undefined;
    }
  }
  console.log(`\n${table(runs)}\n`);
  for (const run of runs) {
    for (const [label, part] of [["control", run.control], ["broadcast", run.broadcast]] as const) {
      console.log(`${run.database} ${label}: ${part.window.statements.length} statement(s) in the window${part.window.statements.length ? ":" : ""}`);
      for (const statement of part.window.statements) console.log(`  +${statement.at} ms [${kindOf(statement.sql)}] ${statement.sql.slice(0, 160)}${statement.sql.length > 160 ? "…" : ""}`);
    }
  }
  const date = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const outDir = resolve(ROOT, "bench/results");
  mkdirSync(outDir, { recursive: true });
  const file = resolve(outDir, `broadcast-sql-${date}${quick ? "-quick" : ""}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, load: loadavg(), options: { n, tabs, quick, withPostgres, concurrency }, runs, markdown: table(runs) }, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

/* ------------------------------------------------------------------------------ safety */

let stopPostgres: (() => Promise<void>) | undefined;
process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping everything the bench started`);
    killAllNow();
    void (stopPostgres?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
const budget = setTimeout(() => {
  console.error(`broadcast-sql exceeded its ${budgetMinutes}-minute budget; stopping`);
  killAllNow();
  void (stopPostgres?.() ?? Promise.resolve()).finally(() => process.exit(1));
}, budgetMinutes * 60_000);
budget.unref();

main()
  .then(() => stopAll())
  .then(() => process.exit(0))
  .catch(async (error: unknown) => {
    console.error(error);
    killAllNow();
    await stopPostgres?.();
    process.exit(1);
  });
