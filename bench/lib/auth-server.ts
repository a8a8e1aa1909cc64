/**
 * The authenticated gateway server of the flood, connect-storm and idle-capacity benches
 * (bench/floods-server.ts) seen from the bench: start it pinned to a core with its file-descriptor
 * limit raised, talk to its control endpoints, time plain HTTP requests to it meanwhile, and
 * make the real Auth.js session cookies its clients carry. One place, so the three benches
 * measure the same server the same way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encode } from "next-auth/jwt";
import { HAS_TASKSET, ROOT } from "./proc";

/** The Auth.js secret every bench server and client shares. */
export const BENCH_SECRET = "bench-floods-secret-0123456789-abcdefghijklmnop";
/** The session cookie's name (plain http). */
export const SESSION_COOKIE = "authjs.session-token";

export interface AuthServer {
  port: number;
  /** The server's process id (for CPU accounting). */
  pid: number;
  stop(): Promise<void>;
}

export interface AuthServerOptions {
  /** The checkout whose kit is measured (default: this one). */
  kitRoot?: string;
  /** The core it is pinned to (when taskset exists). Default 0. */
  core?: number;
  /** Extra flags for the server's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
  nodeArgs?: string[];
  /** Extra environment: DATABASE_URL, REVOCATIONS, AUTH_SESSION_CACHE, SETTINGS (see floods-server.ts). */
  env?: Record<string, string>;
}

/** Where a checkout keeps the kit: the package (this one) or `src/notifications` (before issue #14). */
function kitLayout(kitRoot: string): { KIT_SRC: string; MIGRATIONS: string } {
  const pkg = join(kitRoot, "packages/next-channels-broadcast");
  return existsSync(pkg) ? { KIT_SRC: join(pkg, "src"), MIGRATIONS: join(pkg, "drizzle") } : { KIT_SRC: join(kitRoot, "src/notifications"), MIGRATIONS: join(kitRoot, "drizzle") };
}

/**
 * Starts bench/floods-server.ts (`node --expose-gc --import tsx`, so `--cpu-prof` can be given to
 * node itself), pinned to `core`, `ulimit -n` at its hard limit. Resolves once it listens.
 *
 * @example
 * const server = await startAuthServer({ env: { DATABASE_URL: pg.url } });
 * await server.stop();
 */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const dir = mkdtempSync(join(tmpdir(), "ncb-auth-server-"));
  const node = [process.execPath, "--expose-gc", "--max-old-space-size=6144", ...(options.nodeArgs ?? []), "--import", "tsx", resolve(ROOT, "bench/floods-server.ts")];
  const pinned = HAS_TASKSET ? ["taskset", "-c", String(options.core ?? 0), ...node] : node;
  const child: ChildProcess = spawn("bash", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "bench", ...pinned], {
    cwd: ROOT,
    env: { ...process.env, ...kitLayout(options.kitRoot ?? ROOT), PGLITE_DIR: join(dir, "pglite"), AUTH_SECRET: BENCH_SECRET, NODE_ENV: "production", ...options.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((done, fail) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((candidate) => candidate.startsWith("{"));
      if (line) done((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => fail(new Error(`server exited with ${code}`)));
  });
  return {
    port,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((done) => child.once("exit", () => done()));
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A control request to a bench server (seed, read the event-loop figures). Retried a few
 * times: an overwhelmed server may reset a connection, and a control request failing must not
 * throw away a measurement already taken.
 *
 * @example
 * const { sockets } = await http<{ sockets: number }>(port, "GET", "/eld");
 */
export async function http<T>(port: number, method: string, path: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      return (await response.json()) as T;
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((done) => setTimeout(done, 200 * attempt));
    }
  }
}

export interface PingResult {
  worst: number;
  p99: number;
  n: number;
  failed: number;
}

/**
 * Times `GET /ping` until stopped, pausing `everyMs` (default 50 ms) after each answer; answers
 * the worst and p99 wait, and how many requests failed outright (a reset connection is a
 * finding, not a reason to stop measuring).
 * Any HTTP answer counts (the raw `ws` server answers 404 at once).
 *
 * @example
 * const ping = pinger(port); await storm(); const { worst } = await ping.stop();
 */
export function pinger(port: number, everyMs = 50): { stop(): Promise<PingResult> } {
  const waits: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await fetch(`http://127.0.0.1:${port}/ping`)
        .then((response) => response.arrayBuffer())
        .catch(() => (failed += 1));
      waits.push(performance.now() - started);
      await new Promise((done) => setTimeout(done, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const sorted = [...waits].sort((a, b) => a - b);
      return { worst: Math.round(sorted.at(-1) ?? 0), p99: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0), n: waits.length, failed };
    },
  };
}

/**
 * `Cookie` header values for users u1…u`count`, one Auth.js session each (1 h), encoded exactly
 * as Auth.js encodes them.
 *
 * @example
 * const jar = await sessionCookies(1_000); // jar[0] is "authjs.session-token=…" for u1
 */
export async function sessionCookies(count: number): Promise<string[]> {
  const list: string[] = [];
  for (let user = 1; user <= count; user++) {
    const token = await encode({ token: { sub: `u${user}`, name: `u${user}`, sid: `s${user}` }, secret: BENCH_SECRET, salt: SESSION_COOKIE, maxAge: 3600 });
    list.push(`${SESSION_COOKIE}=${token}`);
  }
  return list;
}
