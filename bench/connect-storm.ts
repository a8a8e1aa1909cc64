/**
 * Connect-storm benchmark (issue #10): every socket of a server reconnecting at once.
 *
 *   npm run bench:storm                      # 10,000 sockets (1,000 users × 10), 2 rounds, all targets
 *   npm run bench:storm -- --quick           # smoke run: 1,000 sockets (100 users × 10)
 *   npm run bench:storm -- --profile         # also CPU-profiles our gateway during each storm
 *   npm run bench:storm -- --heap-profile    # what our gateway allocates per handshake instead, by allocation site
 *   npm run bench:storm -- --sockets 10000 --per-user 10 --rounds 2 --targets gateway,raw-ws
 *   npm run bench:storm -- --backlog 511     # the servers' listen queue (default 4096, as startNotificationsServer)
 *   npm run bench:storm -- --queue 10000     # the gateway's handshake queue (default: the kit's, 4096; past it 503)
 *   npm run bench:storm -- --slots 128       # handshakes worked on at once (default: the kit's, 64)
 *   npm run bench:storm -- --ping-every 5    # probe the page wait more densely (default: 50 ms after each answer)
 *   npm run bench:storm -- --cold-client     # no warm-up storm for the client process first
 *
 * One server process pinned to core 0 (targets: `gateway` — our gateway as production runs it:
 * real Auth.js cookies, PostgreSQL store with one pending inbox row per user, revocation list,
 * session cache on; `gateway-nocache` — the same with the session cache off; `raw-ws` — a bare
 * `ws` server), the clients (bench/storm-client.ts) and this process on core 1. All sockets are
 * opened in the same tick from 16 loopback source addresses, 10 per user (one browser's tabs).
 *
 * Per storm: time until every socket has its `hello` (raw ws: is open), handshakes per second
 * (sockets ÷ that time), per-socket time to hello (p50/p99/max), the client's own time to create
 * its sockets (part of that time), the worst wait of a plain HTTP request to the same process
 * (`GET /ping` 50 ms after each answer, `--ping-every`), the server's event-loop delay, the server
 * process's CPU time per handshake (all threads; steadier than wall time on a shared machine),
 * and the machine's listen-queue overflows (TcpExtListenOverflows: a SYN dropped because the
 * accept queue was full; its client retries 1 s later, then 3 s, …). Round 1 is a cold process (a
 * restart: everyone reconnects), round 2 the same sockets again on the warm process (a network
 * blip). Raw JSON goes to bench/results/storm-<date>.json;
 * profiles (`--profile`) to bench/results/storm-<date>/, their shares printed (profile-shares.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { startPostgresServer } from "../test/helpers/postgres-server";
import { pinger, type PingResult, http } from "./lib/auth-server";
import { sampleCpu } from "./lib/cpu";
import { ROOT, runPinned, startNode } from "./lib/proc";
import { profileShares, formatShares } from "./lib/profile-shares";
import { allocationSites, formatAllocations } from "./lib/allocation-sites";
import { drained, startTarget, type TargetId } from "./lib/targets";
import { option } from "./lib/args";
import { DEFAULT_SETTINGS } from "../packages/next-channels-broadcast/src/server/settings";

const quick = process.argv.includes("--quick");
/** Skip the client's warm-up storm (warmUpClient): round 1 then also measures a cold client. */
const warmClient = !process.argv.includes("--cold-client");
const profile = process.argv.includes("--profile");
/** A sampling heap profile per storm instead of the CPU profile: bytes allocated per handshake, steadier here than CPU time. */
const heapProfile = process.argv.includes("--heap-profile");
const sockets = Number(option("sockets", quick ? "1000" : "10000"));
const perUser = Number(option("per-user", "10"));
const rounds = Number(option("rounds", "2"));
const targets = option("targets", "gateway-nocache,gateway,raw-ws").split(",") as TargetId[];
/** Listen queue: production's (`startNotificationsServer` listens with 4096; Node's default is 511). */
const backlog = Number(option("backlog", "4096"));
/** The gateway's handshake queue (`NOTIFICATIONS_MAX_QUEUED_HANDSHAKES`); undefined = the kit's default. */
const queue = process.argv.includes("--queue") ? Number(option("queue", "4096")) : undefined;
/** Pause after each answered `GET /ping` before the next; smaller probes the page wait more densely. */
const pingEvery = Number(option("ping-every", "50"));
if (!(pingEvery >= 0)) throw new Error(`--ping-every takes milliseconds, not ${option("ping-every", "")}`);
/** Handshakes worked on at once (`NOTIFICATIONS_MAX_CONCURRENT_HANDSHAKES`); undefined = the kit's default. */
const slots = process.argv.includes("--slots") ? Number(option("slots", String(DEFAULT_SETTINGS.maxConcurrentHandshakes))) : undefined;
const SOURCES = 16;
const users = Math.ceil(sockets / perUser);

interface Storm {
  target: TargetId;
  round: number;
  ok: number;
  failed: number;
  allMs: number;
  /** The client's own share of `allMs`: creating every socket and issuing its connect (storm-client.ts). */
  createdMs: number;
  handshakesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  http: PingResult;
  eventLoop?: { p50: number; p99: number; max: number; statements?: number };
  /** Statements our server sent to PostgreSQL per handshake (revocation checks and replay reads, batched). */
  statementsPerHandshake?: number;
  /** Server process CPU (user + system, all threads) per handshake, ms. */
  cpuMsPerHandshake: number;
  /** SYNs the kernel dropped meanwhile because an accept queue was full (whole machine). */
  listenOverflows: number;
  errors: string[];
  profile?: string;
}

/** The machine's TcpExtListenOverflows counter (0 when /proc/net/netstat cannot be read). */
function listenOverflows(): number {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
    const names = lines.find((line) => line.startsWith("TcpExt:"))?.split(" ") ?? [];
    const values = lines.filter((line) => line.startsWith("TcpExt:"))[1]?.split(" ") ?? [];
    return Number(values[names.indexOf("ListenOverflows")] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * One storm against a throwaway raw `ws` server before anything is measured, so that the client
 * process's JIT is warm in every measured round: otherwise the first target's round 1 (our cold
 * process) would also carry the client's own warm-up (~0.3–0.6 s more to create 10,000 sockets)
 * and the targets measured later would not.
 */
async function warmUpClient(client: Awaited<ReturnType<typeof startNode>>["proc"]): Promise<void> {
  const throwaway = await startTarget("raw-ws", "", { backlog });
  try {
    const opened = await client.rpc.call<{ ok: number; allMs: number }>("open", { url: throwaway.url, count: sockets, first: 0, users, sources: SOURCES, hello: false }, 600_000);
    console.log(`client warmed up: ${opened.ok} sockets to a throwaway raw ws server in ${Math.round(opened.allMs)} ms (--cold-client skips this)`);
    await client.rpc.call("close");
    await drained(throwaway);
  } finally {
    await throwaway.stop();
  }
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\..*/, "Z");
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`connect storm · ${new Date().toISOString()} · ${cpus().length} cores · load ${load} · ${sockets} sockets (${users} users × ${perUser}) from ${SOURCES} addresses · ${rounds} rounds · listen backlog ${backlog} · handshake queue ${queue ?? `the kit's default (${DEFAULT_SETTINGS.maxQueuedHandshakes})`} · handshake slots ${slots ?? `the kit's default (${DEFAULT_SETTINGS.maxConcurrentHandshakes})`}`);
  const profileDir = join(ROOT, "bench/results", `storm-${stamp}`);
  if (profile || heapProfile) mkdirSync(profileDir, { recursive: true });
  const pg = await startPostgresServer("bench_storm");
  const { proc: client } = await startNode("storm-client", 1, "bench/storm-client.ts", []);
  const results: Storm[] = [];
  let seeded = false;
  try {
    if (warmClient) await warmUpClient(client);
    for (const id of targets) {
      const target = await startTarget(id, pg.url, { backlog, maxQueuedHandshakes: queue, maxConcurrentHandshakes: slots });
      try {
        if (target.hello && !seeded) {
          await http(target.port, "POST", `/seed?users=${users}&rows=1`);
          seeded = true;
        }
        for (let round = 1; round <= rounds; round++) {
          await target.eventLoop?.();
          if (profile || heapProfile) await target.profile?.start(heapProfile ? "heap" : "cpu");
          const cpu = sampleCpu([target.pid]);
          const overflowsBefore = listenOverflows();
          const ping = pinger(target.port, pingEvery);
          const opened = await client.rpc.call<Omit<Storm, "target" | "round" | "http" | "cpuMsPerHandshake" | "handshakesPerSecond">>(
            "open",
            { url: target.url, count: sockets, first: 0, users, sources: SOURCES, hello: target.hello },
            600_000,
          );
          const httpWaits = await ping.stop();
          const overflows = listenOverflows() - overflowsBefore;
          const cpuMs = ((sampleCpu([target.pid]).ours.get(target.pid) ?? 0) - (cpu.ours.get(target.pid) ?? 0)) * 10;
          const file = (profile || heapProfile) && target.profile ? join(profileDir, `${id}-round${round}.${heapProfile ? "heapprofile" : "cpuprofile"}`) : undefined;
          if (file) await target.profile!.stop(file, heapProfile ? "heap" : "cpu");
          const eventLoop = await target.eventLoop?.();
          const storm: Storm = {
            target: id,
            round,
            ...opened,
            handshakesPerSecond: Math.round(opened.ok / (opened.allMs / 1000)),
            http: httpWaits,
            eventLoop,
            statementsPerHandshake: eventLoop?.statements === undefined ? undefined : eventLoop.statements / Math.max(1, opened.ok),
            cpuMsPerHandshake: cpuMs / Math.max(1, opened.ok),
            listenOverflows: overflows,
            profile: file,
          };
          results.push(storm);
          console.log(
            `${target.label}, round ${round}: ${storm.ok} hello / ${storm.failed} failed in ${Math.round(storm.allMs)} ms (the client creating its sockets: ${Math.round(storm.createdMs)} ms) = ${storm.handshakesPerSecond}/s; ` +
              `per socket p50 ${Math.round(storm.p50)} / p99 ${Math.round(storm.p99)} ms; worst HTTP ${storm.http.worst} ms (${storm.http.failed} failed); ` +
              `server CPU ${storm.cpuMsPerHandshake.toFixed(3)} ms/handshake; listen overflows ${storm.listenOverflows}${storm.statementsPerHandshake === undefined ? "" : `; ${storm.statementsPerHandshake.toFixed(3)} statements/handshake`}${storm.eventLoop ? `; event loop p99 ${storm.eventLoop.p99} / max ${storm.eventLoop.max} ms` : ""}${storm.errors.length ? `; errors: ${storm.errors.join(", ")}` : ""}`,
          );
          if (file && heapProfile) console.log(formatAllocations(allocationSites(file), opened.ok));
          else if (file) console.log(formatShares(profileShares(file)));
          await client.rpc.call("close");
          await drained(target);
        }
      } finally {
        await target.stop();
      }
    }
  } finally {
    await client.stop();
    await pg.stop();
  }
  const raw = results.filter((storm) => storm.target === "raw-ws");
  console.log("\n| target | round | all hello | handshakes/s | ×raw | p50 / p99 per socket | worst HTTP wait | server CPU per handshake | ×raw | listen overflows |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const storm of results) {
    const base = raw.find((candidate) => candidate.round === storm.round);
    const ratio = (ours: number, theirs: number | undefined) => (theirs ? `${(ours / theirs).toFixed(2)}×` : "–");
    console.log(
      `| ${storm.target} | ${storm.round} | ${(storm.allMs / 1000).toFixed(2)} s | ${storm.handshakesPerSecond} | ${ratio(storm.handshakesPerSecond, base?.handshakesPerSecond)} | ${Math.round(storm.p50)} / ${Math.round(storm.p99)} ms | ${storm.http.worst} ms | ${storm.cpuMsPerHandshake.toFixed(3)} ms | ${ratio(storm.cpuMsPerHandshake, base?.cpuMsPerHandshake)} | ${storm.listenOverflows} |`,
    );
  }
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const out = join(ROOT, "bench/results", `storm-${stamp}.json`);
  writeFileSync(out, JSON.stringify({ load, loadAtEnd: loadavg(), sockets, users, perUser, sources: SOURCES, rounds, backlog, queue: queue ?? "default", slots: slots ?? "default", results }, null, 2));
  console.log(`\nraw figures: ${out}; load at the end ${loadavg().map((value) => value.toFixed(2)).join(" ")}`);
}

runPinned(1, main);
