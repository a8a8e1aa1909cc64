/**
 * The client process of the connect-storm and idle-capacity benches (issue #10), started by them
 * over IPC (bench/lib/proc.ts `startNode`), pinned to the client core. It holds many websockets
 * at once — its own file-descriptor budget, which is why idle-capacity starts several — each
 * carrying a real Auth.js session cookie (ten sockets per user, like ten tabs of one browser)
 * and spread over several loopback source addresses (one address has ~28,000 ephemeral ports,
 * and a real server sees many addresses).
 *
 * Commands:
 *   open {url, count, first, users, sources, hello, ack}  opens `count` sockets in the same tick, socket i
 *       (counted from `first`) as user u(1 + i mod users) from 127.0.0.(1 + i mod sources); resolves
 *       when every one has its `hello` (or, with hello false, is open) or failed:
 *       {ok, failed, allMs, createdMs, p50, p99, max, errors}
 *   close {}  resets every socket (no TIME_WAIT left behind); resolves to how many were open
 */
import type { Socket } from "node:net";
import WebSocket from "ws";
import { now } from "./lib/clock";
import { emit, serve } from "./lib/ipc";
import { quantileSorted } from "./lib/stats";
import { sessionCookies } from "./lib/auth-server";

let jar: string[] = [];
const sockets: WebSocket[] = [];

interface OpenArgs {
  url: string;
  count: number;
  first: number;
  users: number;
  sources: number;
  /** Wait for the gateway's `hello` (true) or only for the socket to open (the raw `ws` server). */
  hello: boolean;
  /**
   * Acknowledge frames that ask for it (a replayed inbox row), as a browser does. Default false.
   * With `hello` false (the raw `ws` server, which sends nothing), each socket sends the same
   * small frame once open instead: a socket that has received a frame holds more of ws's receive
   * state than one that never has, and the idle bench compares like with like.
   */
  ack?: boolean;
}

interface Opened {
  ok: number;
  failed: number;
  /** From the first socket created to the last one settled. */
  allMs: number;
  /**
   * From the first socket created until this process had created all of them and issued their
   * connects (its next turn): the client's own share of `allMs`, during which the server cannot
   * yet read any upgrade request (each is written once its connect completes, in a later turn).
   */
  createdMs: number;
  /** Per socket, from the moment the storm started to its hello (or open). */
  p50: number;
  p99: number;
  max: number;
  errors: string[];
}

async function open(args: OpenArgs): Promise<Opened> {
  if (jar.length < args.users) jar = await sessionCookies(args.users);
  const times = new Float64Array(args.count);
  let ok = 0;
  let failed = 0;
  const errors = new Set<string>();
  const started = now();
  let last = started;
  let createdMs = 0;
  await new Promise<void>((done) => {
    // Runs after this loop and the connects it queued (process.nextTick), before any I/O.
    setImmediate(() => (createdMs = now() - started));
    for (let index = 0; index < args.count; index++) {
      const global = args.first + index;
      const ws = new WebSocket(args.url, {
        headers: { cookie: jar[global % args.users]! },
        localAddress: `127.0.0.${1 + (global % args.sources)}`,
        perMessageDeflate: false,
      });
      sockets.push(ws);
      let settled = false;
      const settle = (error?: string) => {
        if (settled) return;
        settled = true;
        last = now();
        if (error === undefined) {
          times[ok] = last - started;
          ok += 1;
        } else {
          failed += 1;
          errors.add(error);
        }
        if (ok + failed === args.count) done();
      };
      if (args.hello) {
        ws.on("message", (data) => {
          const frame = JSON.parse(data.toString()) as { type: string; id?: number; ack?: boolean };
          // As a browser does: the replayed inbox row is acknowledged (the server then forgets it).
          if (args.ack === true && frame.ack === true && frame.id !== undefined) ws.send(JSON.stringify({ type: "ack", ids: [frame.id] }));
          if (frame.type === "hello") settle();
        });
      } else {
        ws.once("open", () => {
          if (args.ack === true) ws.send(JSON.stringify({ type: "ack", ids: [1] }));
          settle();
        });
      }
      ws.on("unexpected-response", (_req, res) => settle(`HTTP ${res.statusCode}`));
      ws.on("error", (error) => settle(error.message));
      ws.on("close", (code) => settle(`closed ${code}`));
    }
  });
  const sorted = times.subarray(0, ok).sort();
  return { ok, failed, allMs: last - started, createdMs, p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), max: quantileSorted(sorted, 1), errors: [...errors].slice(0, 5) };
}

serve({
  open: (args) => open(args as unknown as OpenArgs),
  close: () => {
    const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    for (const ws of sockets.splice(0)) {
      ws.removeAllListeners("close");
      // A reset, not a FIN: a FIN leaves this side's socket in TIME_WAIT for 60 s, and with tens
      // of thousands of them the next storm's bind() to a source address (localAddress) searches
      // for a free port for seconds — the multi-second stalls earlier runs saw in later rounds.
      const socket = (ws as unknown as { _socket?: Socket | null })._socket;
      if (socket) socket.resetAndDestroy();
      else ws.terminate();
    }
    return open;
  },
});
emit("ready", {});
