/**
 * The presence bench's clients: `join` opens `n` sockets as fast as the server takes them (each a
 * different user; at most `inFlight` handshakes at a time — all 10,000 SYNs at once only overflow
 * the kernel's accept queue), all asking for `bench-1` at connect, and resolves once every socket has its `hello` and — with
 * presence on — once every socket's presence shows all `n` (the join storm has settled for
 * everyone). It counts the presence frames and bytes the sockets received.
 */
import WebSocket from "ws";
import { emit, serve } from "../lib/ipc";

interface JoinResult {
  /** From the first open to the last `hello`. */
  allJoinedMs: number;
  /** From the first open to the moment the last socket's presence count reached `n` (null when presence is off). */
  settledMs: number | null;
  presenceFrames: number;
  presenceBytes: number;
  /** Most presence frames one socket received. */
  maxFramesPerSocket: number;
  /** Largest presence frame seen, in bytes. */
  largestFrame: number;
}

const sockets: WebSocket[] = [];

function join({ port, n, presence, inFlight }: Record<string, unknown>): Promise<JoinResult> {
  const total = Number(n);
  const start = performance.now();
  let hellos = 0;
  let settled = 0;
  let allJoinedMs = 0;
  let presenceFrames = 0;
  let presenceBytes = 0;
  let largestFrame = 0;
  const perSocket = new Uint32Array(total);
  return new Promise((resolve, reject) => {
    const done = () => {
      if (hellos < total || (presence && settled < total)) return;
      resolve({ allJoinedMs, settledMs: presence ? performance.now() - start : null, presenceFrames, presenceBytes, maxFramesPerSocket: Math.max(...perSocket), largestFrame });
    };
    let opened = 0;
    let pending = 0;
    const openMore = () => {
      while (opened < total && pending < Number(inFlight ?? 500)) {
        pending += 1;
        open(opened++);
      }
    };
    const open = (i: number) => {
      // Spread over loopback source addresses: one address has ~28k ephemeral ports.
      const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws/notifications?extraChannels=${encodeURIComponent('["bench-1"]')}`, {
        headers: { "x-bench-user": `u${i}` },
        localAddress: `127.0.${1 + (i % 200)}.${1 + Math.floor(i / 200) % 250}`,
      });
      sockets.push(ws);
      let isSettled = false;
      ws.on("message", (data: Buffer) => {
        if (data[9] !== 0x70 && data[9] !== 0x68) return; // {"type":"p… (presence) or "h… (hello)
        const text = data.toString();
        if (text.startsWith('{"type":"hello"')) {
          hellos += 1;
          pending -= 1;
          openMore();
          if (hellos === total) allJoinedMs = performance.now() - start;
          return done();
        }
        if (!text.startsWith('{"type":"presence')) return;
        presenceFrames += 1;
        presenceBytes += data.length;
        largestFrame = Math.max(largestFrame, data.length);
        perSocket[i] = (perSocket[i] ?? 0) + 1;
        const count = (JSON.parse(text) as { count: number }).count;
        if (!isSettled && count === total) {
          isSettled = true;
          settled += 1;
          done();
        }
      });
      ws.on("error", reject);
    };
    openMore();
  });
}

serve({
  join,
  close: async () => {
    await Promise.all(sockets.splice(0).map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : (ws.once("close", () => resolve()), ws.terminate())))));
  },
});
emit("ready", {});
