/**
 * Summary of a quiet run (bench/quiet-run.sh): reads the logs and raw JSON in its directory and
 * prints Markdown for bench/README.md — the broadcast-SQL table, the reconnect storm rounds, our
 * fan-out against the raw ws loop as ratios, and the flood table. Only reads; a step that did not
 * run or failed is reported as such, never filled in.
 *
 *   node_modules/.bin/tsx bench/quiet-run-summary.ts bench/results/quiet-run-<date>
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error("usage: tsx bench/quiet-run-summary.ts <quiet-run directory>");
  process.exit(2);
}

const read = (name: string): string | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : undefined);
const steps = new Map(
  (read("steps.tsv") ?? "")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, rc, seconds] = line.split("\t");
      return [name!, { rc: Number(rc), seconds: Number(seconds) }] as const;
    }),
);
const files = readdirSync(dir);
const out: string[] = [];
const say = (line = "") => out.push(line);

function status(name: string): string {
  const step = steps.get(name);
  if (!step) return "not run";
  const minutes = `${(step.seconds / 60).toFixed(1)} min`;
  if (step.rc === 0) return `ok, ${minutes}`;
  return step.rc === 124 ? `STOPPED: over budget after ${minutes}` : `FAILED: exit ${step.rc} after ${minutes} (see ${name}.log)`;
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a");
const fixed = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits));

say(`## Quiet run ${dir.split("/").pop()?.replace(/^quiet-run-/, "")}`);
say();
say(`Steps: broadcast SQL ${status("sql")}; reconnect storm ${status("storm")}; fan-out ${status("fanout")}; floods ${status("floods")}.`);

// 1. Broadcast SQL
say();
say("### SQL statements per broadcast (issue #13)");
say();
const sqlFile = files.filter((name) => /^broadcast-sql-.*\.json$/.test(name)).sort().at(-1);
if (sqlFile) {
  const data = JSON.parse(read(sqlFile)!) as { markdown: string; options: { n: number; tabs: number }; runs: { database: string; connectMs: number }[] };
  say(data.markdown);
  say();
  say(`N = ${data.options.n.toLocaleString("en")} sockets (one user each) + ${data.options.tabs} tabs of one user; statements counted by Drizzle's logger (driver calls in brackets). Raw: \`${sqlFile}\`.`);
} else {
  say("(no result)");
}

// 2. Reconnect storm
say();
say("### 1,000 reconnects at once, each with a pending inbox row (issue #13)");
say();
const stormLog = read("storm.log") ?? "";
const rounds = [...stormLog.matchAll(/\[storm\/(\w+)\] round (\d+): all (\d+) replayed in (\d+) ms; hello p50 (\d+) \/ p99 (\d+) ms; errors (\d+)/g)];
if (rounds.length > 0) {
  say("| database | round | all replayed | hello p50 / p99 | errors |");
  say("|---|---|---|---|---|");
  for (const [, database, round, clients, all, p50, p99, errors] of rounds) say(`| ${database} | ${round} | ${clients} in ${all} ms | ${p50} / ${p99} ms | ${errors} |`);
  say();
  say("Goal (PostgreSQL): every round ≤ 1.05–1.6 s (REPLAY.md's figures before the join path buffered live frames).");
} else {
  say("(no rounds in storm.log)");
}

// 3. Fan-out
say();
say("### Fan-out at 10,000 clients, our gateway vs the raw ws loop (issue #13)");
say();
interface FanOut {
  target: string;
  n: number;
  foreignCores?: number;
  error?: string;
  connect?: { connected: number; failed: number; errors: string[] };
  latency?: { last: number };
  loop?: { total: number; totalCpu: number };
  memory?: { heapPerConn: number };
  sustained?: { deliveredPerSecond: number; lost: number };
}
const fanFile = files.filter((name) => /^\d{4}-\d\d-\d\dT.*\.json$/.test(name)).sort().at(-1);
if (fanFile) {
  const data = JSON.parse(read(fanFile)!) as { results: FanOut[]; markdown?: string };
  for (const n of [...new Set(data.results.map((result) => result.n))]) {
    const ours = data.results.find((result) => result.n === n && result.target === "gateway-memory");
    const raw = data.results.find((result) => result.n === n && result.target === "raw-ws");
    if (!ours || !raw || ours.error || raw.error) {
      say(`N = ${n}: incomplete (${ours?.error ?? raw?.error ?? "a target is missing"})`);
      continue;
    }
    for (const result of [ours, raw]) {
      if (result.connect?.failed) say(`**INVALID: ${result.target} connected ${result.connect.connected} of ${n} clients (${result.connect.errors.join("; ")}).**`);
    }
    say(`| N = ${n.toLocaleString("en")} | ours | raw ws | ratio |`);
    say("|---|---|---|---|");
    say(`| send loop, wall ms | ${fixed(ours.loop?.total)} | ${fixed(raw.loop?.total)} | **${ratio(ours.loop?.total, raw.loop?.total)}** |`);
    say(`| send loop, CPU ms | ${fixed(ours.loop?.totalCpu)} | ${fixed(raw.loop?.totalCpu)} | ${ratio(ours.loop?.totalCpu, raw.loop?.totalCpu)} |`);
    say(`| last client, ms | ${fixed(ours.latency?.last)} | ${fixed(raw.latency?.last)} | ${ratio(ours.latency?.last, raw.latency?.last)} |`);
    say(`| heap per connection, KB | ${fixed((ours.memory?.heapPerConn ?? Number.NaN) / 1024)} | ${fixed((raw.memory?.heapPerConn ?? Number.NaN) / 1024)} | ${ratio(ours.memory?.heapPerConn, raw.memory?.heapPerConn)} |`);
    say(`| sustained msg/s (lost) | ${fixed(ours.sustained?.deliveredPerSecond, 0)} (${ours.sustained?.lost ?? "?"}) | ${fixed(raw.sustained?.deliveredPerSecond, 0)} (${raw.sustained?.lost ?? "?"}) | ${ratio(ours.sustained?.deliveredPerSecond, raw.sustained?.deliveredPerSecond)} |`);
    say(`| other programs' load, cores | ${fixed(ours.foreignCores, 2)} | ${fixed(raw.foreignCores, 2)} | |`);
    say();
  }
  say("Goal: the send-loop ratio stays within 5% of the earlier 0.83–0.85× (i.e. ≤ ~0.89×). Raw: `" + fanFile + "`.");
} else {
  say("(no result)");
}

// 4. Floods
say();
say("### Floods: p99 event-loop delay (issue #8)");
say();
const floodsLog = read("floods.log") ?? "";
const floodLines = floodsLog.split("\n").filter((line) => line.startsWith("|"));
if (floodLines.length > 0) {
  for (const line of floodLines) say(line);
  const tail = floodsLog.split("\n").find((line) => /simultaneous handshakes/.test(line));
  if (tail) {
    say();
    say(tail);
  }
  say();
  say("Goal: event-loop p99 under 50 ms during both floods (after).");
} else {
  say("(no table in floods.log)");
}

console.log(out.join("\n"));
