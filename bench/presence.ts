/**
 * Presence bench: 10,000 sockets (each a different signed-in user) join one presence channel in
 * one storm (as fast as the server admits them, 500 handshakes in flight), with the cap on listed members in place. Measured: the presence frames and bytes the
 * sockets receive until every one of them shows all 10,000, how long that takes, and the server's
 * heap and CPU — against the same join storm with presence off, so what presence itself costs is
 * the difference.
 *
 *   npm run bench:presence                   N = 10,000, cap 100
 *   npm run bench:presence -- --n 2000 --cap 50
 *
 * Server pinned to core 0, clients to core 1 (`taskset`), as in the fan-out bench.
 */
import { parseArgs } from "node:util";
import { foreignCores, sampleCpu, waitForQuiet } from "./lib/cpu";
import { killAllNow, startNode, stopAll } from "./lib/proc";

const { values } = parseArgs({
  options: { n: { type: "string", default: "10000" }, cap: { type: "string", default: "100" }, "wait-idle": { type: "string", default: "120" } },
});
const N = Number(values.n);
const CAP = Number(values.cap);

interface JoinResult {
  allJoinedMs: number;
  settledMs: number | null;
  presenceFrames: number;
  presenceBytes: number;
  maxFramesPerSocket: number;
  largestFrame: number;
}

interface Heap {
  heapUsed: number;
  rss: number;
  cpuMs: number;
  connections: number;
}

async function run(presence: boolean) {
  const server = await startNode<{ port: number }>("server", 0, "bench/presence/server.ts", [presence ? "on" : "off", "--cap", String(CAP)]);
  const clients = await startNode("clients", 1, "bench/presence/clients.ts", []);
  try {
    const idleBefore = await waitForQuiet(0.5, Number(values["wait-idle"]) * 1_000);
    const before = await server.proc.rpc.call<Heap>("heap");
    const cpu = sampleCpu([process.pid, server.proc.child.pid ?? 0, clients.proc.child.pid ?? 0]);
    const joined = await clients.proc.rpc.call<JoinResult>("join", { port: server.ready.port, n: N, presence, inFlight: 500 }, 300_000);
    const foreign = foreignCores(cpu);
    const after = await server.proc.rpc.call<Heap>("heap");
    const view = presence ? await server.proc.rpc.call<{ count: number; members: unknown[]; more: boolean }>("view") : null;
    await clients.proc.rpc.call("close");
    await server.proc.rpc.call("close");
    return { presence, ...joined, heapDeltaBytes: after.heapUsed - before.heapUsed, rssBytes: after.rss, serverCpuMs: after.cpuMs, connections: after.connections, otherProgramsCores: { before: idleBefore, during: foreign }, view: view && { count: view.count, listed: view.members.length, more: view.more } };
  } finally {
    await Promise.all([server.proc.stop(), clients.proc.stop()]);
  }
}

async function main(): Promise<void> {
  process.once("SIGINT", () => {
    killAllNow();
    process.exit(130);
  });
  const off = await run(false);
  const on = await run(true);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  console.log(JSON.stringify({ n: N, cap: CAP, off, on }, null, 2));
  console.log(`\nN = ${N}, cap ${CAP}`);
  console.log(`| | presence off | presence on |`);
  console.log(`|---|---|---|`);
  console.log(`| all sockets joined (last hello) | ${off.allJoinedMs.toFixed(0)} ms | ${on.allJoinedMs.toFixed(0)} ms |`);
  console.log(`| every socket shows count ${N} | — | ${on.settledMs?.toFixed(0)} ms |`);
  console.log(`| presence frames received (all sockets) | 0 | ${on.presenceFrames} (${((on.presenceFrames) / N).toFixed(1)} per socket, at most ${on.maxFramesPerSocket}) |`);
  console.log(`| presence bytes received (all sockets) | 0 | ${kb(on.presenceBytes)} (largest frame ${on.largestFrame} B) |`);
  console.log(`| server heap growth with N sockets | ${kb(off.heapDeltaBytes)} | ${kb(on.heapDeltaBytes)} (+${((on.heapDeltaBytes - off.heapDeltaBytes) / N).toFixed(0)} B per socket) |`);
  console.log(`| server CPU for the storm | ${off.serverCpuMs.toFixed(0)} ms | ${on.serverCpuMs.toFixed(0)} ms |`);
  console.log(`| other programs' load (cores, during) | ${off.otherProgramsCores.during.toFixed(2)} | ${on.otherProgramsCores.during.toFixed(2)} |`);
  console.log(`| server's view | — | count ${on.view?.count}, listed ${on.view?.listed}, more ${on.view?.more} |`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
