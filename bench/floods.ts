/**
 * Flood benchmark (issue #8): does client traffic block the server's event loop?
 *
 *   npm run bench:floods                                # this checkout
 *   npm run bench:floods -- --before /tmp/kit-before    # and an older checkout of the repository, side by side
 *   npm run bench:floods -- --acks 500 --handshakes 1500 --seconds 10
 *
 * Two floods against one server process (bench/floods-server.ts: real gateway, real Auth.js
 * cookies, PGlite store — the embedded default, whose statements run on the main thread),
 * server pinned to core 0 and this process (all clients) to core 1:
 *
 * 1. Handshake flood: N sockets (default 1,500) opened in the same tick, each a different user
 *    with one pending inbox row (so every handshake also replays), spread over 8 loopback source
 *    addresses (as a NAT'd office or several clients would be).
 * 2. Ack flood: 500 connected sockets each sending acks at 15 frames/s — under the per-socket limit
 *    of 20/s — for 10 s, ids drawn at random from every id stored (their own pending row among them).
 *
 * During each: the server's event-loop delay (`monitorEventLoopDelay`, p50/p99/max) and the
 * worst time a plain HTTP request (`GET /ping`, every 50 ms) waited for its answer.
 */
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import WebSocket from "ws";
import { http, pinger, sessionCookies, startAuthServer, type AuthServer } from "./lib/auth-server";
import { HAS_TASKSET, runPinned } from "./lib/proc";
import { option } from "./lib/args";

const ROOT = resolve(import.meta.dirname, "..");

const before = process.argv.includes("--before") ? resolve(option("before", "")) : undefined;
const ackSockets = Number(option("acks", "500"));
const handshakes = Number(option("handshakes", "1500"));
const seconds = Number(option("seconds", "10"));
const ACK_RATE = 15;
const SOURCES = Array.from({ length: 8 }, (_, index) => `127.0.0.${index + 1}`);

const hasTaskset = HAS_TASKSET;
// Clients on core 1, the server on core 0: neither steals the other's time.
runPinned(1, main);

async function startServer(kitRoot: string): Promise<AuthServer> {
  // FLOODS_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the server's node only.
  const nodeArgs = (process.env.FLOODS_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  return startAuthServer({ kitRoot, nodeArgs, core: 0 });
}

interface Opened {
  sockets: WebSocket[];
  hello: number;
  refused: number;
  ms: number;
}

/** Opens one socket per cookie in the same tick; resolves when each has its hello or was refused. */
function openAll(port: number, jar: string[]): Promise<Opened> {
  const started = performance.now();
  const sockets: WebSocket[] = [];
  let hello = 0;
  let refused = 0;
  return new Promise((done) => {
    const settle = () => {
      if (hello + refused === jar.length) done({ sockets, hello, refused, ms: Math.round(performance.now() - started) });
    };
    jar.forEach((cookie, index) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/notifications`, { headers: { cookie }, localAddress: SOURCES[index % SOURCES.length], perMessageDeflate: false });
      sockets.push(ws);
      let counted = false;
      const count = (ok: boolean) => {
        if (counted) return;
        counted = true;
        if (ok) hello += 1;
        else refused += 1;
        settle();
      };
      ws.on("message", (data) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === "hello") count(true);
      });
      ws.on("unexpected-response", () => count(false));
      ws.on("error", () => count(false));
      ws.on("close", () => count(false));
    });
  });
}

async function closeAll(port: number, sockets: WebSocket[]): Promise<void> {
  for (const ws of sockets) ws.terminate();
  for (;;) {
    const { sockets: open } = await http<{ sockets: number }>(port, "GET", "/eld");
    if (open === 0) return;
    await new Promise((done) => setTimeout(done, 100));
  }
}

interface FloodResult {
  eld: { p50: number; p99: number; max: number };
  http: { worst: number; p99: number; n: number; failed: number };
  extra: Record<string, number>;
}

async function measure(port: number, flood: () => Promise<Record<string, number>>): Promise<FloodResult> {
  await http(port, "POST", "/eld");
  const ping = pinger(port);
  const extra = await flood();
  const httpWaits = await ping.stop();
  const eld = await http<{ p50: number; p99: number; max: number }>(port, "GET", "/eld");
  return { eld: { p50: eld.p50, p99: eld.p99, max: eld.max }, http: httpWaits, extra };
}

async function run(label: string, kitRoot: string, jar: string[]): Promise<{ label: string; handshake: FloodResult; acks: FloodResult }> {
  const server = await startServer(kitRoot);
  try {
    const { watermark } = await http<{ watermark: number }>(server.port, "POST", `/seed?users=${jar.length}&rows=1`);
    let opened: Opened | undefined;
    const handshake = await measure(server.port, async () => {
      opened = await openAll(server.port, jar.slice(0, handshakes));
      return { accepted: opened.hello, refused: opened.refused, allHelloMs: opened.ms };
    });
    await closeAll(server.port, opened!.sockets);

    const flooders = await openAll(server.port, jar.slice(0, ackSockets));
    const closed = { count: 0 };
    for (const ws of flooders.sockets) ws.on("close", () => (closed.count += 1));
    const acks = await measure(server.port, async () => {
      const deadline = performance.now() + seconds * 1000;
      let sent = 0;
      while (performance.now() < deadline) {
        for (const ws of flooders.sockets) {
          if (ws.readyState !== WebSocket.OPEN) continue;
          ws.send(JSON.stringify({ type: "ack_message", id: 1 + Math.floor(Math.random() * watermark) }));
          sent += 1;
        }
        await new Promise((done) => setTimeout(done, 1000 / ACK_RATE));
      }
      return { sockets: flooders.hello, acksSent: sent, socketsCut: closed.count };
    });
    await closeAll(server.port, flooders.sockets);
    return { label, handshake, acks };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  console.log(`floods: ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg().map((value) => value.toFixed(2)).join(" ")}, ${hasTaskset ? "server on core 0, clients on core 1" : "unpinned (no taskset)"}`);
  const jar = await sessionCookies(Math.max(ackSockets, handshakes));
  const results = [];
  if (before) results.push(await run("before", before, jar));
  results.push(await run("after", ROOT, jar));
  console.log("\n| | handshake flood: all hello | accepted / refused | event-loop p99 / max | worst HTTP wait (failed) | ack flood: event-loop p99 / max | worst HTTP wait (failed) | sockets cut |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const { label, handshake, acks } of results) {
    console.log(
      `| ${label} | ${handshake.extra.allHelloMs} ms | ${handshake.extra.accepted} / ${handshake.extra.refused} | ${handshake.eld.p99} / ${handshake.eld.max} ms | ${handshake.http.worst} ms (${handshake.http.failed}) | ${acks.eld.p99} / ${acks.eld.max} ms | ${acks.http.worst} ms (${acks.http.failed}) | ${acks.extra.socketsCut} |`,
    );
  }
  console.log(`\n${handshakes} simultaneous handshakes; ack flood: ${ackSockets} sockets × ${ACK_RATE} acks/s × ${seconds} s.`);
}
