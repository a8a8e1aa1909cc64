/**
 * The client side of the bench: N websocket (`--kind ws`) or Socket.IO (`--kind sio`) clients in
 * one process, spread round-robin over `--urls`. Each receive is timestamped on the shared
 * monotonic clock first, then the send timestamp is read from the message text.
 */
import WebSocket from "ws";
import { io, type Socket } from "socket.io-client";
import { now } from "./lib/clock";
import { emit, serve } from "./lib/ipc";
import { spread } from "./lib/stats";

function flag(name: string, fallback = ""): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

const kind = flag("kind", "ws");
const urls = flag("urls").split(",").filter(Boolean);
/** Our gateway greets each socket with `hello` once its groups are joined: wait for it. */
const waitHello = flag("hello") === "1";
const PATTERN = /seq=(\d+) t=([\d.]+)/;

interface Round {
  latencies: Float64Array;
  count: number;
  lastAt: number;
}

const rounds = new Map<number, Round>();
let connected = 0;
let received = new Uint32Array(0);
let lastSeq = new Int32Array(0);
let outOfOrder = 0;
let duplicates = 0;
let unexpectedCloses = 0;
const closers: (() => void)[] = [];

function onText(index: number, text: string, at: number): void {
  const match = PATTERN.exec(text);
  if (!match) return;
  const seq = Number(match[1]);
  const latency = at - Number(match[2]);
  if (seq <= (lastSeq[index] as number)) {
    if (seq === lastSeq[index]) duplicates++;
    else outOfOrder++;
  } else {
    lastSeq[index] = seq;
  }
  received[index] = (received[index] as number) + 1;
  let round = rounds.get(seq);
  if (!round) {
    round = { latencies: new Float64Array(connected), count: 0, lastAt: 0 };
    rounds.set(seq, round);
  }
  if (round.count < round.latencies.length) round.latencies[round.count] = latency;
  round.count++;
  round.lastAt = at;
  if (round.count === connected) emit("complete", { seq });
}

function openWs(index: number, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let open = false;
    const done = () => {
      if (open) return;
      open = true;
      resolve();
    };
    ws.on("message", (data: Buffer) => {
      const at = now();
      if (!open) return done();
      onText(index, data.toString(), at);
    });
    if (!waitHello) ws.once("open", done);
    ws.once("error", (error) => {
      if (!open) reject(error);
    });
    ws.once("close", () => {
      if (open) unexpectedCloses++;
      else reject(new Error("closed before open"));
    });
    closers.push(() => {
      ws.removeAllListeners("close");
      ws.terminate();
    });
  });
}

function openSio(index: number, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 60_000 });
    socket.on("message", (payload: { text?: string }) => {
      const at = now();
      onText(index, payload.text ?? "", at);
    });
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
    socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") unexpectedCloses++;
    });
    closers.push(() => socket.disconnect());
  });
}

async function connect(n: number, concurrency: number): Promise<{ connected: number; failed: number; ms: number; errors: string[] }> {
  const started = now();
  received = new Uint32Array(n);
  lastSeq = new Int32Array(n).fill(-1);
  let next = 0;
  let failed = 0;
  const errors = new Set<string>();
  const worker = async () => {
    while (next < n) {
      const index = next++;
      const url = urls[index % urls.length] as string;
      try {
        await (kind === "sio" ? openSio(index, url) : openWs(index, url));
        connected++;
      } catch (error) {
        failed++;
        errors.add(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { connected, failed, ms: now() - started, errors: [...errors].slice(0, 5) };
}

serve({
  now: () => now(),
  connect: (args) => connect(Number(args.n), Number(args.concurrency ?? 100)),
  /** first / median / p99 / last latency of one broadcast; forgets it. */
  round: (args) => {
    const seq = Number(args.seq);
    const round = rounds.get(seq);
    rounds.delete(seq);
    if (!round) return { count: 0, expected: connected };
    return { count: round.count, expected: connected, ...spread(round.latencies.subarray(0, Math.min(round.count, round.latencies.length))) };
  },
  /** How many messages of seqs [from, to] arrived so far. */
  progress: (args) => {
    let count = 0;
    for (let seq = Number(args.from); seq <= Number(args.to); seq++) count += rounds.get(seq)?.count ?? 0;
    return { count, expected: (Number(args.to) - Number(args.from) + 1) * connected };
  },
  resetCounts: () => {
    received.fill(0);
    outOfOrder = 0;
    duplicates = 0;
    return true;
  },
  /** Sustained run: totals, loss per socket, latency spread over every message; forgets it. */
  summary: (args) => {
    const from = Number(args.from);
    const to = Number(args.to);
    const perSocket = to - from + 1;
    let total = 0;
    let lastAt = 0;
    for (let seq = from; seq <= to; seq++) {
      const round = rounds.get(seq);
      if (!round) continue;
      total += Math.min(round.count, round.latencies.length);
      lastAt = Math.max(lastAt, round.lastAt);
    }
    const all = new Float64Array(total);
    let offset = 0;
    for (let seq = from; seq <= to; seq++) {
      const round = rounds.get(seq);
      if (!round) continue;
      const kept = round.latencies.subarray(0, Math.min(round.count, round.latencies.length));
      all.set(kept, offset);
      offset += kept.length;
      rounds.delete(seq);
    }
    let socketsWithLoss = 0;
    let lost = 0;
    for (let index = 0; index < connected; index++) {
      const got = received[index] as number;
      if (got < perSocket) {
        socketsWithLoss++;
        lost += perSocket - got;
      }
    }
    return { received: total, expected: perSocket * connected, lost, socketsWithLoss, duplicates, outOfOrder, unexpectedCloses, lastAt, ...spread(all) };
  },
  close: () => {
    for (const close of closers) close();
    return true;
  },
});
emit("ready", { kind });
