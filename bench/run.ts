/**
 * Fan-out benchmark: our gateway (memory layer; Redis layer across two processes) against a raw
 * `ws` loop, Socket.IO and Socket.IO with its Redis adapter. See bench/README.md.
 *
 *   npm run bench                      # full run: N = 1,000 / 5,000 / 10,000, every target
 *   npm run bench -- --quick           # smoke run (~1–2 min)
 *   npm run bench -- --n 1000,5000 --targets gateway-memory,raw-ws --rounds 30
 *
 * Servers run pinned to core 0, clients to core 1 (taskset), all on 127.0.0.1. Everything the
 * bench starts (node processes, redis-server) is stopped on exit, on error and on Ctrl-C.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, release } from "node:os";
import { resolve } from "node:path";
import { now, sleep } from "./lib/clock";
import { foreignCores, sampleCpu, waitForQuiet } from "./lib/cpu";
import { HAS_TASKSET, killAllNow, ROOT, startNode, startRedis, stopAll, type BenchProcess, type RedisServer } from "./lib/proc";
import { median } from "./lib/stats";

/* ------------------------------------------------------------------------------ options */

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  return value === undefined || value.startsWith("--") ? "" : value;
}

const quick = process.argv.includes("--quick");
const sizes = (option("n") ?? (quick ? "1000" : "1000,5000,10000")).split(",").map((value) => Number(value.replace(/_/g, "")));
const warmup = Number(option("warmup") ?? (quick ? 3 : 5));
const rounds = Number(option("rounds") ?? (quick ? 10 : 20));
const rate = Number(option("rate") ?? 10);
const sustainSeconds = Number(option("sustain") ?? (quick ? 2 : 5));
const budgetMinutes = Number(option("budget") ?? (quick ? 5 : 20));
/** Before each measurement, wait up to this long for other programs to use < 0.15 cores. */
const waitIdleSeconds = Number(option("wait-idle") ?? (quick ? 5 : 30));
const SERVER_CORE = 0;
const CLIENT_CORE = 1;

if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(rounds >= 1) || !(rate > 0) || !(sustainSeconds > 0)) {
  console.error("usage: npm run bench -- [--quick] [--n 1000,5000,10000] [--targets a,b] [--rounds 20] [--warmup 5] [--rate 10] [--sustain 5] [--wait-idle 30] [--budget 20]");
  process.exit(2);
}

/* ------------------------------------------------------------------------------ targets */

interface ServerSpec {
  script: string;
  args: string[];
}

interface Target {
  id: string;
  label: string;
  client: "ws" | "sio";
  /** Our gateway sends `hello` once a socket's groups are joined. */
  hello: boolean;
  redis: boolean;
  servers(redisUrl: string): ServerSpec[];
  unavailable?(): string | undefined;
}

const TARGETS: Target[] = [
  {
    id: "gateway-memory",
    label: "ours, memory layer",
    client: "ws",
    hello: true,
    redis: false,
    servers: () => [{ script: "bench/servers/gateway.ts", args: ["--layer", "memory"] }],
  },
  {
    id: "gateway-redis",
    label: "ours, Redis layer, 2 procs",
    client: "ws",
    hello: true,
    redis: true,
    servers: (url) => [0, 1].map(() => ({ script: "bench/servers/gateway.ts", args: ["--layer", "redis", "--redis", url] })),
  },
  {
    id: "raw-ws",
    label: "raw ws loop",
    client: "ws",
    hello: false,
    redis: false,
    servers: () => [{ script: "bench/servers/raw-ws.ts", args: [] }],
  },
  {
    id: "socketio",
    label: "Socket.IO",
    client: "sio",
    hello: false,
    redis: false,
    servers: () => [{ script: "bench/servers/socketio.ts", args: [] }],
  },
  {
    id: "socketio-redis",
    label: "Socket.IO + Redis adapter, 2 procs",
    client: "sio",
    hello: false,
    redis: true,
    servers: (url) => [0, 1].map(() => ({ script: "bench/servers/socketio.ts", args: ["--redis", url] })),
  },
];

const wanted = option("targets")?.split(",").filter(Boolean);
const unknown = wanted?.filter((id) => !TARGETS.some((target) => target.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown target(s) ${unknown.join(", ")}; known: ${TARGETS.map((target) => target.id).join(", ")}`);
  process.exit(2);
}
const targets = TARGETS.filter((target) => !wanted || wanted.includes(target.id));

/* ------------------------------------------------------------------------------ results */

interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

interface RoundStats {
  count: number;
  expected: number;
  first?: number;
  median?: number;
  p99?: number;
  last?: number;
}

interface Result {
  target: string;
  label: string;
  n: number;
  processes: number;
  /** Cores used by other programs on the machine while this was measured (should be ~0). */
  foreignCores?: number;
  error?: string;
  skipped?: string;
  connect?: { connected: number; failed: number; ms: number; errors: string[] };
  /** Medians over the measured broadcasts, ms from send to receive. */
  latency?: { first: number; median: number; p99: number; last: number; rounds: number; incomplete: number };
  /**
   * Median send-loop time (ms) per broadcast, measured inside the server around its fan-out:
   * wall time summed over processes, CPU time (user + system) summed over processes, and wall
   * time of the sending process alone.
   */
  loop?: { total: number; totalCpu: number; sender: number };
  /** Bytes per connection (all server processes, after GC, minus the idle baseline). */
  memory?: { heapPerConn: number; rssPerConn: number; externalPerConn: number; before: Memory[]; after: Memory[] };
  sustained?: {
    rate: number;
    seconds: number;
    offeredPerSecond: number;
    deliveredPerSecond: number;
    received: number;
    expected: number;
    lost: number;
    socketsWithLoss: number;
    duplicates: number;
    outOfOrder: number;
    unexpectedCloses: number;
    median: number;
    p99: number;
    last: number;
    loopMedian: number;
  };
}

/* ------------------------------------------------------------------------------ one target × N */

const FULL_TIMEOUT_MS = 15_000;

/** Per sequence number: [wall ms, CPU ms] of the fan-out in one server process. */
type Loops = Record<string, [number, number] | undefined>;

async function runOne(target: Target, n: number, redis: RedisServer | undefined): Promise<Result> {
  const specs = target.servers(redis?.url ?? "");
  const result: Result = { target: target.id, label: target.label, n, processes: specs.length };
  const servers: BenchProcess[] = [];
  let client: BenchProcess | undefined;
  try {
    const urls: string[] = [];
    for (const [index, spec] of specs.entries()) {
      const { proc, ready } = await startNode<{ url: string }>(`${target.id}#${index}`, SERVER_CORE, spec.script, spec.args);
      servers.push(proc);
      urls.push(ready.url);
    }
    const before = await Promise.all(servers.map((server) => server.rpc.call<Memory>("memory")));

    const started = await startNode(`client(${target.id})`, CLIENT_CORE, "bench/client.ts", ["--kind", target.client, "--urls", urls.join(","), "--hello", target.hello ? "1" : "0"]);
    client = started.proc;
    const c = client.rpc;
    // The shared clock: a timestamp taken in another process must fall between two of ours.
    const asked = now();
    const childClock = await c.call<number>("now");
    const answered = now();
    if (!(childClock >= asked && childClock <= answered)) throw new Error(`process clocks disagree (${asked} ≤ ${childClock} ≤ ${answered} fails)`);
    const connect = await c.call<NonNullable<Result["connect"]>>("connect", { n, concurrency: 100 }, 180_000);
    result.connect = connect;
    if (connect.connected === 0) throw new Error(`no client connected: ${connect.errors.join("; ")}`);
    const cpuStart = sampleCpu([process.pid, ...servers.map((server) => server.child.pid ?? 0), client.child.pid ?? 0, redis?.pid ?? 0].filter((pid) => pid > 0));
    await sleep(1_000);
    const after = await Promise.all(servers.map((server) => server.rpc.call<Memory>("memory")));
    const delta = (key: keyof Memory) => after.reduce((sum, memory, index) => sum + memory[key] - (before[index] as Memory)[key], 0) / connect.connected;
    result.memory = { heapPerConn: delta("heapUsed"), rssPerConn: delta("rss"), externalPerConn: delta("external"), before, after };

    // Latency: one broadcast at a time, sent by the first server process.
    const sender = servers[0] as BenchProcess;
    const measured: RoundStats[] = [];
    let seq = 1;
    for (let i = 0; i < warmup + rounds; i++, seq++) {
      const current = seq;
      const complete = c.next<{ seq: number }>("complete", (data) => data.seq === current, FULL_TIMEOUT_MS).catch(() => undefined);
      await sender.rpc.call("broadcast", { seq: current });
      await complete;
      const stats = await c.call<RoundStats>("round", { seq: current });
      if (i >= warmup) measured.push(stats);
      await sleep(30);
    }
    const loops = await Promise.all(servers.map((server) => server.rpc.call<Loops>("loops")));
    const measuredSeqs = Array.from({ length: rounds }, (_, index) => warmup + 1 + index);
    const total = (s: number, which: 0 | 1) => loops.reduce((sum, perProcess) => sum + (perProcess[s]?.[which] ?? 0), 0);
    result.loop = {
      total: median(measuredSeqs.map((s) => total(s, 0))),
      totalCpu: median(measuredSeqs.map((s) => total(s, 1))),
      sender: median(measuredSeqs.map((s) => (loops[0] as Loops)[s]?.[0] ?? Number.NaN)),
    };
    const pick = (key: "first" | "median" | "p99" | "last") => median(measured.map((stats) => stats[key] ?? Number.NaN));
    result.latency = {
      first: pick("first"),
      median: pick("median"),
      p99: pick("p99"),
      last: pick("last"),
      rounds: measured.length,
      incomplete: measured.filter((stats) => stats.count < stats.expected).length,
    };

    // Sustained: `rate` broadcasts per second for `sustainSeconds`, every receive counted.
    await sleep(200);
    await c.call("resetCounts");
    const count = Math.max(1, Math.round(rate * sustainSeconds));
    const from = seq;
    const to = seq + count - 1;
    const sent = await sender.rpc.call<{ firstSend: number; lastSend: number }>("sustain", { rate, count, seq: from }, (sustainSeconds + 60) * 1_000);
    const drainUntil = now() + FULL_TIMEOUT_MS;
    for (;;) {
      const progress = await c.call<{ count: number; expected: number }>("progress", { from, to });
      if (progress.count >= progress.expected || now() > drainUntil) break;
      await sleep(100);
    }
    const summary = await c.call<Omit<NonNullable<Result["sustained"]>, "rate" | "seconds" | "offeredPerSecond" | "deliveredPerSecond" | "loopMedian"> & { lastAt: number }>("summary", { from, to });
    const sustainLoops = await Promise.all(servers.map((server) => server.rpc.call<Loops>("loops")));
    const { lastAt, ...rest } = summary;
    result.sustained = {
      ...rest,
      rate,
      seconds: sustainSeconds,
      offeredPerSecond: rate * connect.connected,
      // Each broadcast owns a 1/rate slot: instant, lossless delivery gives exactly the offered rate.
      deliveredPerSecond: summary.received / ((lastAt - sent.firstSend) / 1_000 + 1 / rate),
      loopMedian: median(Array.from({ length: count }, (_, index) => sustainLoops.reduce((sum, perProcess) => sum + (perProcess[from + index]?.[0] ?? 0), 0))),
    };
    result.foreignCores = foreignCores(cpuStart);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    if (client) {
      await client.rpc.call("close", {}, 10_000).catch(() => undefined);
      await client.stop();
    }
    await Promise.all(servers.map((server) => server.stop()));
  }
  return result;
}

/* ------------------------------------------------------------------------------ output */

const kb = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) ? "–" : (bytes / 1024).toFixed(1));
const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "–" : value < 10 ? value.toFixed(2) : value.toFixed(1));
const thousands = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "–" : `${(value / 1000).toFixed(1)}k`);

const COLUMNS = ["target", "N", "first", "median", "p99", "last", "send loop", "loop CPU", "heap/conn KB", "rss/conn KB", "sustained msg/s", "sust. p99", "lost", "other load"];

function row(result: Result): string[] {
  if (result.skipped || result.error) return [result.label, String(result.n), result.skipped ? `skipped: ${result.skipped}` : `error: ${result.error}`];
  const s = result.sustained;
  return [
    result.label,
    result.n.toLocaleString("en-US"),
    ms(result.latency?.first),
    ms(result.latency?.median),
    ms(result.latency?.p99),
    ms(result.latency?.last),
    ms(result.loop?.total),
    ms(result.loop?.totalCpu),
    kb(result.memory?.heapPerConn),
    kb(result.memory?.rssPerConn),
    s ? `${thousands(s.deliveredPerSecond)} / ${thousands(s.offeredPerSecond)}` : "–",
    ms(s?.p99),
    s ? `${s.lost}${result.connect?.failed ? ` (+${result.connect.failed} not connected)` : ""}` : "–",
    result.foreignCores === undefined ? "–" : result.foreignCores.toFixed(2),
  ];
}

function markdownTable(results: Result[]): string {
  const lines = [`| ${COLUMNS.join(" | ")} |`, `|${COLUMNS.map(() => "---").join("|")}|`];
  for (const result of results) lines.push(`| ${row(result).join(" | ")} |`);
  return lines.join("\n");
}

function textTable(results: Result[]): string {
  const rows = [COLUMNS, ...results.map(row)];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.filter((cells) => cells.length === COLUMNS.length).map((cells) => (cells[column] ?? "").length)));
  return rows.map((cells) => (cells.length === COLUMNS.length ? cells.map((cell, column) => cell.padEnd(widths[column] as number)).join("  ") : cells.join("  "))).join("\n");
}

function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return {
    nproc: availableParallelism(),
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    node: process.version,
    kernel: release(),
    taskset: HAS_TASKSET,
    pinning: HAS_TASKSET ? `servers (and redis-server) on core ${SERVER_CORE}, clients on core ${CLIENT_CORE}` : "none: taskset is missing, processes run unpinned",
  };
}

/* ------------------------------------------------------------------------------ main */

async function main(): Promise<void> {
  const info = machine();
  console.log(`fan-out bench · ${new Date().toISOString()} · ${info.nproc} cores · ${info.cpu} · node ${info.node}`);
  console.log(`N = ${sizes.join(", ")} · ${warmup} warm-up + ${rounds} measured broadcasts · sustained ${rate}/s for ${sustainSeconds} s · ${info.pinning}`);
  if (!HAS_TASKSET) console.warn("WARNING: taskset not found; running unpinned.");

  let redis: RedisServer | undefined;
  if (targets.some((target) => target.redis && !target.unavailable?.())) redis = await startRedis(SERVER_CORE);

  const results: Result[] = [];
  for (const n of sizes) {
    for (const target of targets) {
      const skipped = target.unavailable?.();
      if (skipped) {
        results.push({ target: target.id, label: target.label, n, processes: 0, skipped });
        console.log(`- ${target.id} N=${n}: skipped (${skipped})`);
        continue;
      }
      const quiet = await waitForQuiet(0.15, waitIdleSeconds * 1_000);
      if (quiet >= 0.15) console.log(`  (other programs use ${quiet.toFixed(2)} cores; measuring anyway)`);
      const started = now();
      const result = await runOne(target, n, redis);
      results.push(result);
      const l = result.latency;
      console.log(
        `- ${target.id} N=${n}: ${result.error ? `ERROR ${result.error}` : `last ${ms(l?.last)} ms, loop ${ms(result.loop?.total)} ms, heap ${kb(result.memory?.heapPerConn)} KB/conn, sustained ${thousands(result.sustained?.deliveredPerSecond)} msg/s, lost ${result.sustained?.lost}, other load ${result.foreignCores?.toFixed(2)} cores`} (${((now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  }
  await redis?.stop();

  console.log(`\n${textTable(results)}\n`);
  const date = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const dir = resolve(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${date}${quick ? "-quick" : ""}.json`);
  const options = { quick, sizes, warmup, rounds, rate, sustainSeconds, waitIdleSeconds };
  const loaded = results.filter((result) => (result.foreignCores ?? 0) >= 0.15);
  if (loaded.length > 0) {
    console.log(`WARNING: other programs used ≥ 0.15 cores during ${loaded.length} measurement(s) ("other load" column); those numbers are disturbed.`);
  }
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: info, options, results, markdown: markdownTable(results) }, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

/* ------------------------------------------------------------------------------ safety */

process.on("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping everything the bench started`);
    killAllNow();
    process.exit(130);
  });
}
const budget = setTimeout(() => {
  console.error(`bench exceeded its ${budgetMinutes}-minute budget; stopping`);
  killAllNow();
  process.exit(1);
}, budgetMinutes * 60_000);
budget.unref();

main()
  .then(() => stopAll())
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    killAllNow();
    process.exit(1);
  });
