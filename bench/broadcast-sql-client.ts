/**
 * The client process of the broadcast-SQL benchmark (bench/broadcast-sql.ts starts it over IPC):
 * plain `ws` sockets that behave like the browser's socket where the database is concerned —
 * they acknowledge exactly the frames that ask for it (`"ack": true`), batched with the kit's own
 * browser batcher (`createAckBatcher`: `{"type":"ack","ids":[…]}` after 25 ms), and nothing else.
 *
 * Commands: `open` (sockets for a list of users, waits for each `hello`), `arm` (start watching
 * for a frame whose text is given), `await` (resolves once every socket of the armed set has it).
 */
import WebSocket from "ws";
import { createAckBatcher, type AckBatcher } from "../packages/next-channels-broadcast/src/client/acks";
import { emit, serve } from "./lib/ipc";

interface Tab {
  user: string;
  ws: WebSocket;
  acks: AckBatcher;
  /** Texts of message frames received, for duplicate detection of the watched frame. */
  seen: Map<string, number>;
}

const tabs: Tab[] = [];
let acksSent = 0; // ids
let ackFrames = 0;
let unexpectedCloses = 0;
let ackRequests = 0; // frames received with ack:true

interface Watch {
  text: string;
  users: Set<string> | null; // null = every socket
  expected: number;
  got: number;
  duplicates: number;
  acksAtArm: number;
  ackFramesAtArm: number;
  ackRequestsAtArm: number;
  armedAt: number;
  done?: (value: unknown) => void;
  result?: unknown;
  lastAt: number;
}
let watch: Watch | undefined;

/** Done once every watched socket has the frame and no acknowledgement is still queued to leave. */
function maybeFinish(): void {
  const w = watch;
  if (!w || w.result !== undefined || w.got < w.expected || w.expected === 0) return;
  if (tabs.some((tab) => tab.acks.size > 0)) return; // checked again after each ack frame leaves
  finish(w);
}

function finish(w: Watch): void {
  w.result = {
    expected: w.expected,
    received: w.got,
    duplicates: w.duplicates,
    ackRequests: ackRequests - w.ackRequestsAtArm,
    ackIdsSent: acksSent - w.acksAtArm,
    ackFramesSent: ackFrames - w.ackFramesAtArm,
    lastMs: w.lastAt - w.armedAt,
    unexpectedCloses,
  };
  w.done?.(w.result);
}

function onFrame(tab: Tab, raw: string): void {
  const frame = JSON.parse(raw) as { type?: string; text?: string; id?: number; ack?: boolean };
  // As the browser: only frames that ask for an acknowledgement get one.
  if (frame.ack === true && typeof frame.id === "number") {
    ackRequests += 1;
    tab.acks.add(frame.id);
  }
  if (frame.type !== "message" || typeof frame.text !== "string") return;
  const count = (tab.seen.get(frame.text) ?? 0) + 1;
  tab.seen.set(frame.text, count);
  const w = watch;
  if (!w || frame.text !== w.text || (w.users && !w.users.has(tab.user))) return;
  if (count > 1) {
    w.duplicates += 1;
    return;
  }
  w.got += 1;
  w.lastAt = performance.now();
  maybeFinish();
}

function openOne(url: string, user: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { "x-bench-user": user }, perMessageDeflate: false });
    const tab: Tab = {
      user,
      ws,
      seen: new Map(),
      acks: createAckBatcher({
        send: (ids) => {
          if (ws.readyState !== WebSocket.OPEN) return false;
          ws.send(JSON.stringify({ type: "ack", ids }));
          acksSent += ids.length;
          ackFrames += 1;
          // The batcher empties its queue before it sends: check once this send is done.
          queueMicrotask(maybeFinish);
          return true;
        },
      }),
    };
    let greeted = false;
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (!greeted && (JSON.parse(text) as { type?: string }).type === "hello") {
        greeted = true;
        tabs.push(tab);
        resolve(true);
        return;
      }
      onFrame(tab, text);
    });
    ws.on("error", () => undefined);
    ws.on("unexpected-response", (_req, res) => {
      console.error(`[client] ${user}: handshake refused with ${res.statusCode}`);
      resolve(false);
    });
    ws.on("close", () => {
      tab.acks.clear();
      if (greeted) unexpectedCloses += 1;
      else resolve(false);
    });
  });
}

serve({
  /** Opens one socket per entry of `users` (`concurrency` handshakes in flight), each waiting for its hello. */
  open: async (args) => {
    const url = String(args.url);
    const users = args.users as string[];
    const concurrency = Number(args.concurrency ?? 500);
    let next = 0;
    let opened = 0;
    let failed = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < users.length) {
        const user = users[next++]!;
        if (await openOne(url, user)) opened += 1;
        else failed += 1;
        if ((opened + failed) % 2_000 === 0) emit("progress", { opened, failed });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { opened, failed, ms: performance.now() - started };
  },
  arm: (args) => {
    const users = args.users ? new Set(args.users as string[]) : null;
    const expected = users ? tabs.filter((tab) => users.has(tab.user)).length : tabs.length;
    watch = { text: String(args.text), users, expected, got: 0, duplicates: 0, acksAtArm: acksSent, ackFramesAtArm: ackFrames, ackRequestsAtArm: ackRequests, armedAt: performance.now(), lastAt: 0 };
    return { expected };
  },
  await: (args) => {
    const w = watch;
    if (!w) throw new Error("nothing armed");
    const timeoutMs = Number(args.timeoutMs ?? 60_000);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        w.done = undefined;
        resolve({ timedOut: true, expected: w.expected, received: w.got });
      }, timeoutMs);
      w.done = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      if (w.result !== undefined) w.done(w.result);
    });
  },
  /** Sockets the server closed (gateway close) are expected from here on. */
  closeAll: () => {
    for (const tab of tabs) tab.ws.terminate();
    return tabs.length;
  },
});
emit("ready", {});
