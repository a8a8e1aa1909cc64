/**
 * Before/after of the "frame once per message" change, paired on the same sockets:
 *
 *   npm run bench:ab                 # N = 10,000, 30 pairs
 *   npm run bench:ab -- --n 5000 --pairs 50
 *
 * Server pinned to core 0, clients to core 1, like `run.ts`.
 */
import { sleep } from "./lib/clock";
import { foreignCores, sampleCpu } from "./lib/cpu";
import { HAS_TASKSET, killAllNow, startNode, stopAll } from "./lib/proc";
import { median } from "./lib/stats";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const n = option("n", 10_000);
const pairs = option("pairs", 30);
const warmupPairs = option("warmup", 5);

interface RoundStats {
  count: number;
  expected: number;
  last?: number;
  median?: number;
}

async function main(): Promise<void> {
  if (!HAS_TASKSET) console.warn("WARNING: taskset not found; running unpinned.");
  const { proc: server, ready } = await startNode<{ url: string }>("preframe-ab", 0, "bench/servers/preframe-ab.ts", []);
  const { proc: client } = await startNode("client(ab)", 1, "bench/client.ts", ["--kind", "ws", "--urls", ready.url, "--hello", "0"]);
  const connected = await client.rpc.call<{ connected: number }>("connect", { n, concurrency: 100 }, 180_000);
  console.log(`${connected.connected} sockets connected`);
  await sleep(1_000);
  const cpu = sampleCpu([process.pid, server.child.pid ?? 0, client.child.pid ?? 0]);
  const last = new Map<number, number>();
  const broadcastOne = async (seq: number) => {
    const complete = client.rpc.next<{ seq: number }>("complete", (data) => data.seq === seq, 15_000).catch(() => undefined);
    await server.rpc.call("broadcast", { seq });
    await complete;
    const stats = await client.rpc.call<RoundStats>("round", { seq });
    last.set(seq, stats.last ?? Number.NaN);
    await sleep(30);
  };
  // Pairs in alternating order (AB, BA, AB, …) so a drift in machine load cancels out.
  let seq = 1;
  const measured: [number, number][] = [];
  for (let pair = 0; pair < warmupPairs + pairs; pair++) {
    const order = pair % 2 === 0 ? [seq, seq + 1] : [seq + 1, seq];
    for (const s of order) await broadcastOne(s);
    if (pair >= warmupPairs) measured.push([seq, seq + 1]);
    seq += 2;
  }
  const loops = await server.rpc.call<Record<string, [number, number] | undefined>>("loops");
  const load = foreignCores(cpu);
  const loopOf = (s: number, which: 0 | 1) => loops[s]?.[which] ?? Number.NaN;
  const oldLoop = measured.map(([a]) => loopOf(a, 0));
  const newLoop = measured.map(([, b]) => loopOf(b, 0));
  const ratios = measured.map(([a, b]) => loopOf(b, 0) / loopOf(a, 0));
  const oldCpu = measured.map(([a]) => loopOf(a, 1));
  const newCpu = measured.map(([, b]) => loopOf(b, 1));
  const cpuRatios = measured.map(([a, b]) => loopOf(b, 1) / loopOf(a, 1));
  const oldLast = measured.map(([a]) => last.get(a) ?? Number.NaN);
  const newLast = measured.map(([, b]) => last.get(b) ?? Number.NaN);
  const fmt = (value: number) => value.toFixed(1);
  console.log(`N = ${connected.connected}, ${pairs} pairs (+${warmupPairs} warm-up), other programs used ${load.toFixed(2)} cores`);
  console.log(`send loop   ws.send(buffer) per socket: ${fmt(median(oldLoop))} ms   prepared frame: ${fmt(median(newLoop))} ms   median paired ratio new/old: ${median(ratios).toFixed(3)}`);
  console.log(`loop CPU    ws.send(buffer) per socket: ${fmt(median(oldCpu))} ms   prepared frame: ${fmt(median(newCpu))} ms   median paired ratio new/old: ${median(cpuRatios).toFixed(3)}`);
  console.log(`last recv   ws.send(buffer) per socket: ${fmt(median(oldLast))} ms   prepared frame: ${fmt(median(newLast))} ms`);
  await client.rpc.call("close").catch(() => undefined);
  await stopAll();
}

process.on("exit", killAllNow);
process.on("SIGINT", () => {
  killAllNow();
  process.exit(130);
});
main()
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    killAllNow();
    process.exit(1);
  });
