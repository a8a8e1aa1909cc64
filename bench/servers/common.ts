/**
 * Shared by every bench server: command-line flags, the broadcast frame, memory readings and
 * the record of send-loop times (measured inside the server around its own fan-out).
 */
import { writeHeapSnapshot } from "node:v8";
import { setImmediate as tick } from "node:timers/promises";
import { now } from "../lib/clock";
import { emit, serve } from "../lib/ipc";

/** `--name value` flags. */
export function flag(name: string, fallback = ""): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

/** The text every target carries: the sequence number and the send timestamp (shared clock). */
export function benchText(seq: number, t: number): string {
  return `bench seq=${seq} t=${t.toFixed(4)}`;
}

/** Exactly the frame our gateway produces for `notify("all", {message})`, for the other targets. */
export function benchFrame(seq: number, t: number) {
  return { type: "message", text: benchText(seq, t), cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false };
}

const SEQ = /seq=(\d+)/;

/** The sequence number inside a frame's text, or -1. */
export function seqOf(text: string): number {
  const match = SEQ.exec(text);
  return match ? Number(match[1]) : -1;
}

/** Send-loop time per sequence number: [wall ms, CPU ms]; summed if a process fans out twice. */
const loops = new Map<number, [number, number]>();

/**
 * Runs `fn` (one fan-out) and records its wall time and the CPU time the process spent in it
 * (user + system; less disturbed than wall time when other programs share the core).
 */
export function timeLoop<T>(seqOrText: number | string, fn: () => T): T {
  const wall = now();
  const cpu = process.cpuUsage();
  const result = fn();
  const cpuMs = (() => {
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1_000;
  })();
  const wallMs = now() - wall;
  const seq = typeof seqOrText === "number" ? seqOrText : seqOf(seqOrText);
  if (seq >= 0) {
    const entry = loops.get(seq) ?? [0, 0];
    loops.set(seq, [entry[0] + wallMs, entry[1] + cpuMs]);
  }
  return result;
}

declare const gc: undefined | (() => void);

/** Heap and RSS after a full GC (needs --expose-gc). */
export async function memory(): Promise<{ heapUsed: number; rss: number; external: number; arrayBuffers: number }> {
  for (let i = 0; i < 4; i++) {
    if (typeof gc === "function") gc();
    await tick();
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers };
}

export interface ServerHandlers {
  /** Broadcast one message now; `t` must be taken just before the send starts. */
  broadcast(seq: number): Promise<void> | void;
  /** Number of sockets this process holds. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * Registers the IPC commands and reports `ready`. `sustain` broadcasts `count` messages at
 * `rate` per second on an absolute schedule (no drift), one call per tick.
 */
export function runServer(handlers: ServerHandlers, ready: Record<string, unknown>): void {
  serve({
    memory: () => memory(),
    /** A V8 heap snapshot to `args.file` (bench:idle -- --snapshot compares ours with it). */
    heapSnapshot: (args) => {
      writeHeapSnapshot(String(args.file));
      return true;
    },
    connections: () => handlers.connections(),
    broadcast: async (args) => {
      await handlers.broadcast(Number(args.seq));
      return true;
    },
    sustain: async (args) => {
      const rate = Number(args.rate);
      const count = Number(args.count);
      const first = Number(args.seq);
      const start = now();
      let lastSend = start;
      for (let i = 0; i < count; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastSend = now();
        await handlers.broadcast(first + i);
      }
      return { firstSend: start, lastSend };
    },
    loops: () => {
      const result = Object.fromEntries(loops);
      loops.clear();
      return result;
    },
    close: async () => {
      await handlers.close();
      return true;
    },
  });
  const shutdown = () => {
    handlers.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  emit("ready", ready);
}
