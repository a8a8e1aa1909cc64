/**
 * The servers the connect-storm and idle-capacity benches (issue #10) compare, behind one
 * interface: our gateway as a production process runs it (real Auth.js cookies, PostgreSQL store,
 * revocation list, with or without the session cache) and the bare `ws` server of the fan-out
 * bench (bench/servers/raw-ws.ts: no authentication, no store, nothing sent on connect) as the
 * floor. Both pinned to the server core; the bench's clients run on the other.
 */
import { http, startAuthServer } from "./auth-server";
import { startNode } from "./proc";

export type TargetId = "gateway" | "gateway-nocache" | "raw-ws";

export const TARGET_LABELS: Record<TargetId, string> = {
  gateway: "ours (session cache on)",
  "gateway-nocache": "ours, session cache off",
  "raw-ws": "raw ws server",
};

export interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

export interface Target {
  id: TargetId;
  label: string;
  /** The websocket URL clients open. */
  url: string;
  /** Its HTTP port (the probe times plain requests to it). */
  port: number;
  pid: number;
  /** Our gateway sends `hello` once a socket is joined; the raw server sends nothing. */
  hello: boolean;
  sockets(): Promise<number>;
  /** Heap and RSS after a full GC. */
  memory(): Promise<Memory>;
  /**
   * Event-loop delay since the last call: p50/p99/max in ms, and the statements the server sent to
   * PostgreSQL meanwhile (our gateway only).
   */
  eventLoop?(): Promise<{ p50: number; p99: number; max: number; statements?: number }>;
  /**
   * Starts the CPU profiler, or with `"heap"` the sampling heap profiler (every allocation, also
   * of objects collected since); `stop` writes the profile to `file` (our gateway only).
   */
  profile?: { start(kind?: "cpu" | "heap"): Promise<void>; stop(file: string, kind?: "cpu" | "heap"): Promise<void> };
  /** Writes a V8 heap snapshot to `file`. */
  heapSnapshot?: (file: string) => Promise<void>;
  stop(): Promise<void>;
}

const SERVER_CORE = 0;

/** The gateway's caps that a bench from a handful of loopback addresses would hit; all else default. */
const GATEWAY_SETTINGS = { maxSocketsPerIp: 1_000_000, maxSockets: 1_000_000 };

/**
 * Starts one target. `databaseUrl`: the PostgreSQL database our gateway stores in; `backlog`:
 * its listen (accept) queue, Node's default 511 when not given; `maxQueuedHandshakes` and
 * `maxConcurrentHandshakes`: the gateway's handshake queue and slots, the kit's defaults when not given.
 *
 * @example
 * const target = await startTarget("raw-ws", pg.url);
 * await target.stop();
 */
export async function startTarget(id: TargetId, databaseUrl: string, options: { backlog?: number; maxQueuedHandshakes?: number; maxConcurrentHandshakes?: number; heartbeatMs?: number } = {}): Promise<Target> {
  if (id === "raw-ws") {
    const args = [...(options.backlog ? ["--backlog", String(options.backlog)] : []), ...(options.heartbeatMs ? ["--heartbeat-ms", String(options.heartbeatMs)] : [])];
    const { proc, ready } = await startNode<{ url: string; port: number }>("raw-ws", SERVER_CORE, "bench/servers/raw-ws.ts", args);
    return {
      id,
      label: TARGET_LABELS[id],
      url: ready.url,
      port: ready.port,
      pid: proc.child.pid ?? 0,
      hello: false,
      sockets: () => proc.rpc.call<number>("connections"),
      memory: () => proc.rpc.call<Memory>("memory"),
      heapSnapshot: async (file) => {
        await proc.rpc.call("heapSnapshot", { file }, 120_000);
      },
      stop: () => proc.stop(),
    };
  }
  const server = await startAuthServer({
    core: SERVER_CORE,
    env: {
      DATABASE_URL: databaseUrl,
      REVOCATIONS: "1",
      ...(id === "gateway-nocache" ? { AUTH_SESSION_CACHE: "0" } : {}),
      SETTINGS: JSON.stringify({ ...GATEWAY_SETTINGS, ...(options.maxQueuedHandshakes ? { maxQueuedHandshakes: options.maxQueuedHandshakes } : {}), ...(options.maxConcurrentHandshakes ? { maxConcurrentHandshakes: options.maxConcurrentHandshakes } : {}), ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) }),
      ...(options.backlog ? { LISTEN_BACKLOG: String(options.backlog) } : {}),
    },
  });
  const { port } = server;
  return {
    id,
    label: TARGET_LABELS[id],
    url: `ws://127.0.0.1:${port}/ws/notifications`,
    port,
    pid: server.pid,
    hello: true,
    sockets: async () => (await http<{ sockets: number }>(port, "GET", "/eld")).sockets,
    memory: () => http<Memory>(port, "GET", "/memory"),
    async eventLoop() {
      const figures = await http<{ p50: number; p99: number; max: number; statements?: number }>(port, "GET", "/eld");
      await http(port, "POST", "/eld");
      return figures;
    },
    heapSnapshot: (file) => http(port, "POST", `/heap-snapshot?file=${encodeURIComponent(file)}`),
    profile: {
      start: (kind = "cpu") => http(port, "POST", `/profile/start?kind=${kind}`),
      stop: (file, kind = "cpu") => http(port, "POST", `/profile/stop?kind=${kind}&file=${encodeURIComponent(file)}`),
    },
    stop: () => server.stop(),
  };
}

/** Resolves once `target` holds no socket (after the clients let theirs go). */
export async function drained(target: Target): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if ((await target.sockets()) === 0) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${target.label}: sockets still open 60 s after the clients closed them`);
}
