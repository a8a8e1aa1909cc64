/**
 * Idle-capacity benchmark (issue #10): as many idle authenticated sockets as one process may
 * hold, and what each costs it, beside the bare `ws` server in the same run.
 *
 *   npm run bench:idle                      # 19,900 sockets (1,990 users × 10), our gateway and raw ws
 *   npm run bench:idle -- --quick           # smoke run: 2,000 sockets
 *   npm run bench:idle -- --quick --snapshot   # + heap snapshots of both servers: what a socket adds, by kind, ours vs raw ws
 *   npm run bench:idle -- --sockets 19900 --per-user 10 --targets gateway,raw-ws
 *
 * The server process (pinned to core 0; targets as in bench/lib/targets.ts: our gateway with
 * real Auth.js cookies, PostgreSQL store, revocation list and session cache; the raw `ws`
 * server) has a file-descriptor limit of `ulimit -Hn` (20,000 here), so ~19,900 sockets is its
 * ceiling. The clients need as many descriptors of their own: they are spread over several client
 * processes (bench/storm-client.ts, 10,000 sockets each at most) on core 1, and over 16 loopback
 * source addresses. Sockets are opened in batches of 2,000 (this measures holding, not the storm).
 *
 * Heap and RSS of the server are read after a full GC before any client connects and again with
 * every socket open and idle; per socket = the difference ÷ sockets. Open descriptors are counted
 * from /proc. Both servers ping every socket every `--heartbeat-ms` (5,000 by default, so
 * sockets have been pinged before they are weighed and the run stays short; raw ws as its README
 * shows). Then, for our gateway, the event-loop delay over two heartbeats of the idle process:
 * what a page request to a process holding that many sockets may wait. Raw JSON goes to
 * bench/results/idle-<date>.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { startPostgresServer } from "../test/helpers/postgres-server";
import { ROOT, runPinned, startNode, type BenchProcess } from "./lib/proc";
import { compareGrowth, growthByKind, type HeapRow } from "./lib/heap-diff";
import { drained, startTarget, type Memory, type TargetId } from "./lib/targets";
import { option } from "./lib/args";

const quick = process.argv.includes("--quick");
const snapshot = process.argv.includes("--snapshot");
/** Per target, what one socket added to the heap by kind (`--snapshot`). */
const growths = new Map<TargetId, Map<string, HeapRow>>();
function printRows(rows: HeapRow[]): void {
  for (const row of rows) console.log(`  ${row.bytes.toFixed(0).padStart(6)} B  ${row.count.toFixed(2).padStart(6)} ×  ${row.key}`);
}
/** Names this run's files. */
const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\..*/, "Z");
const sockets = Number(option("sockets", quick ? "2000" : "19900"));
const perUser = Number(option("per-user", "10"));
const targets = option("targets", "gateway,raw-ws").split(",") as TargetId[];
const PER_CLIENT = 10_000;
const BATCH = 2_000;
const SOURCES = 16;
const users = Math.ceil(sockets / perUser);
const heartbeatMs = Number(option("heartbeat-ms", "5000"));

interface Holding {
  target: TargetId;
  sockets: number;
  failed: number;
  fds: number;
  before: Memory;
  after: Memory;
  heapPerSocket: number;
  rssPerSocket: number;
  errors: string[];
  /** Event-loop delay over two heartbeats while idle, ms (our gateway only). */
  idleEventLoop?: { p50: number; p99: number; max: number };
}

function openDescriptors(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

async function hold(id: TargetId, databaseUrl: string, clients: BenchProcess[]): Promise<Holding> {
  const target = await startTarget(id, databaseUrl, { heartbeatMs });
  try {
    const snapshotDir = join(ROOT, "bench", "results", `idle-${stamp}`);
    if (snapshot && target.heapSnapshot) {
      mkdirSync(snapshotDir, { recursive: true });
      await target.heapSnapshot(join(snapshotDir, `${id}-before.heapsnapshot`));
    }
    const before = await target.memory();
    let failed = 0;
    const errors = new Set<string>();
    for (let first = 0; first < sockets; first += BATCH) {
      const count = Math.min(BATCH, sockets - first);
      const client = clients[Math.floor(first / PER_CLIENT)]!;
      const opened = await client.rpc.call<{ failed: number; errors: string[] }>(
        "open",
        // Idle as a browser leaves it: the replayed inbox row acknowledged (raw ws: the same frame, sent once open).
        { url: target.url, count, first, users, sources: SOURCES, hello: target.hello, ack: true },
        300_000,
      );
      failed += opened.failed;
      for (const error of opened.errors) errors.add(error);
    }
    await new Promise((done) => setTimeout(done, 1_000));
    const after = await target.memory();
    const fds = openDescriptors(target.pid);
    const held = await target.sockets();
    if (snapshot && target.heapSnapshot) {
      await target.heapSnapshot(join(snapshotDir, `${id}-after.heapsnapshot`));
      const growth = growthByKind(join(snapshotDir, `${id}-before.heapsnapshot`), join(snapshotDir, `${id}-after.heapsnapshot`), held);
      growths.set(id, growth);
      const rows = [...growth.values()].sort((x, y) => y.bytes - x.bytes).slice(0, 25);
      console.log(`${target.label}: what one idle socket adds to the heap (top ${rows.length} kinds, snapshots in ${snapshotDir})`);
      printRows(rows);
    }
    let idleEventLoop: Holding["idleEventLoop"];
    if (target.eventLoop) {
      await target.eventLoop();
      await new Promise((done) => setTimeout(done, 2 * heartbeatMs + 500));
      idleEventLoop = await target.eventLoop();
      console.log(`${target.label}: event loop over two heartbeats (every ${heartbeatMs} ms) with ${held} idle sockets: p99 ${idleEventLoop.p99} / max ${idleEventLoop.max} ms`);
    }
    console.log(`${target.label}: ${held} sockets held (${failed} failed${errors.size ? `: ${[...errors].join(", ")}` : ""}), ${fds} descriptors open`);
    for (const client of clients) await client.rpc.call("close");
    await drained(target);
    return {
      target: id,
      sockets: held,
      failed,
      fds,
      before,
      after,
      heapPerSocket: (after.heapUsed - before.heapUsed) / held,
      rssPerSocket: (after.rss - before.rss) / held,
      errors: [...errors],
      idleEventLoop,
    };
  } finally {
    await target.stop();
  }
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const mb = (bytes: number) => (bytes / 1_048_576).toFixed(0);

async function main(): Promise<void> {
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`idle capacity · ${new Date().toISOString()} · ${cpus().length} cores · load ${load} · ${sockets} sockets (${users} users × ${perUser}) from ${SOURCES} addresses`);
  const pg = await startPostgresServer("bench_idle");
  const clients: BenchProcess[] = [];
  const results: Holding[] = [];
  try {
    for (let index = 0; index < Math.ceil(sockets / PER_CLIENT); index++) clients.push((await startNode(`storm-client#${index}`, 1, "bench/storm-client.ts", [])).proc);
    for (const id of targets) results.push(await hold(id, pg.url, clients));
    const ours = growths.get("gateway");
    const raw = growths.get("raw-ws");
    if (ours && raw) {
      console.log("what one of our idle sockets holds more than one of raw ws's, by kind (bytes, objects):");
      printRows(compareGrowth(ours, raw));
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
    await pg.stop();
  }
  const raw = results.find((result) => result.target === "raw-ws");
  console.log("\n| target | sockets held | descriptors | heap before → after | heap/socket | ×raw | RSS before → after | RSS/socket | ×raw |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const result of results) {
    const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}×` : "–");
    console.log(
      `| ${result.target} | ${result.sockets.toLocaleString("en")} | ${result.fds.toLocaleString("en")} | ${mb(result.before.heapUsed)} → ${mb(result.after.heapUsed)} MB | ${kb(result.heapPerSocket)} KB | ${ratio(result.heapPerSocket, raw?.heapPerSocket)} | ${mb(result.before.rss)} → ${mb(result.after.rss)} MB | ${kb(result.rssPerSocket)} KB | ${ratio(result.rssPerSocket, raw?.rssPerSocket)} |`,
    );
  }
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const out = join(ROOT, "bench/results", `idle-${stamp}.json`);
  writeFileSync(out, JSON.stringify({ load, loadAtEnd: loadavg(), sockets, users, perUser, sources: SOURCES, results }, null, 2));
  console.log(`\nraw figures: ${out}; load at the end ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
}

runPinned(1, main);
