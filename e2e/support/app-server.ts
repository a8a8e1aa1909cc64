/**
 * Throwaway app servers for browser tests: the real `server.ts` (production build), on a free
 * port, with its own PGlite directory (or a shared PostgreSQL when `env.DATABASE_URL` is given)
 * and users created through the real CLI.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TEST_AUTH_SECRET = "e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
export const PASSWORD = "correct-horse-battery";

/**
 * The environment a test server inherits: this process's, minus the settings that would point
 * it at a developer's own database or Redis — each test says explicitly what it uses.
 */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["DATABASE_URL", "REDIS_URL", "PGLITE_DATA_DIR", "NOTIFICATIONS_API_KEY"]) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith("ENABLE_") || name.startsWith("NOTIFICATIONS_") || name.startsWith("DEMO_")) delete env[name];
  return env;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Pids of every descendant of `pid` (Linux `/proc`), children before grandchildren. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    let children = "";
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const child of children.split(/\s+/).filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

/** Whether `pid` is a live process (a zombie, which holds no port, counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to a whole process tree, descendants first. `tsx` runs the server in a child
 * node process: a SIGKILL to `tsx` alone would leave that child serving on the port.
 */
function signalTree(pid: number, signal: NodeJS.Signals): number[] {
  const tree = [...descendants(pid).reverse(), pid];
  for (const member of tree) {
    try {
      process.kill(member, signal);
    } catch {
      // already gone
    }
  }
  return tree;
}

/**
 * Every server process this worker started and has not stopped. A start-up hook that times out
 * abandons its `await`, not the process: without this, its `tsx server.ts` tree would outlive the
 * Playwright worker (reparented to PID 1) and keep a port and a core busy for the next specs.
 */
const launched = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of launched) if (child.pid !== undefined) signalTree(child.pid, "SIGKILL");
});

export interface AppServer {
  url: string;
  dataDir: string;
  env: Record<string, string>;
  /** Stops the server (SIGTERM, as a deploy would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /**
   * Sends `signal` to the running process and waits until it has exited, without restarting it:
   * `SIGKILL` is a crash (no close frames, no clean-up), `SIGTERM` a deploy. Bring it back with `start()`.
   */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again (same port and data) after `kill`; does nothing while it is running. */
  start(): Promise<void>;
  /** Whether the process is running. */
  isRunning(): boolean;
  output(): string;
}

function createUsersWithCli(env: Record<string, string>, usernames: string[]): void {
  if (usernames.length === 0) return;
  // One CLI process for all of them (start-up and migrations once; ~6 s each when one per user).
  const result = spawnSync("node_modules/.bin/tsx", ["src/cli/create-user.ts", ...usernames, "--password", PASSWORD], {
    env: { ...inheritedEnv(), ...env },
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`create-user ${usernames.join(" ")} failed: ${result.stderr}${result.stdout}`);
}

/**
 * Starts `server.ts` in production mode with `users` created first (in order: the first one is
 * the demo's admin unless `env.DEMO_ADMIN_USERNAMES` names the admins). Extra settings go in
 * `env` (e.g. `{ ENABLE_ANONYMOUS: "true", DEMO_ADMIN_USERNAMES: "bob" }`).
 *
 * With `env.DATABASE_URL` the server uses that PostgreSQL instead of a PGlite directory of its
 * own, so several servers can share one database (and `REDIS_URL` one channel layer): create
 * the users with the first server only, the others see them.
 *
 * @example
 * const a = await startAppServer({ users: ["alice"], env: { DATABASE_URL: pg.url, REDIS_URL: redis.url } });
 * const b = await startAppServer({ env: { DATABASE_URL: pg.url, REDIS_URL: redis.url } });
 */
export async function startAppServer(options: { users?: string[]; env?: Record<string, string> } = {}): Promise<AppServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "ncb-e2e-"));
  const port = await freePort();
  const sharedDatabase = Boolean(options.env?.DATABASE_URL?.trim());
  const env: Record<string, string> = {
    NODE_ENV: "production",
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
    AUTH_SECRET: TEST_AUTH_SECRET,
    AUTH_URL: `http://127.0.0.1:${port}`,
    ...(sharedDatabase ? {} : { PGLITE_DATA_DIR: join(dataDir, "pglite") }),
    DATA_DIR: dataDir,
    ...options.env,
  };
  try {
    createUsersWithCli(env, options.users ?? []);
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  let child: ChildProcess | undefined;
  let log = "";
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const started = spawn("node_modules/.bin/tsx", ["server.ts"], { env: { ...inheritedEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
      child = started;
      launched.add(started);
      started.once("exit", () => launched.delete(started));
      const timer = setTimeout(() => {
        // Not left running behind a failed start.
        started.kill("SIGKILL");
        reject(new Error(`server did not start within 60 s:\n${log}`));
      }, 60_000);
      // Only this launch's output counts: after a restart the log already says "ready".
      const from = log.length;
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.slice(from).includes("[server] ready on")) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout!.on("data", onData);
      started.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
      started.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before it was ready:\n${log}`));
      });
    });

  const stop = async () => {
    const running = child;
    child = undefined;
    // Already gone (exited, or killed by a signal: then exitCode stays null).
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    const timer = setTimeout(() => signalTree(running.pid!, "SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const kill = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    // SIGTERM goes to tsx, which relays it to the server (as a deploy's would); anything else
    // (SIGKILL) must reach the server process itself.
    const tree = signal === "SIGTERM" ? [running.pid!, ...descendants(running.pid!)] : signalTree(running.pid!, signal);
    if (signal === "SIGTERM") running.kill(signal);
    await exited;
    // The server process, not only tsx, is gone (its port is free) before this resolves.
    const deadline = Date.now() + 10_000;
    while (tree.some(isAlive)) {
      if (Date.now() > deadline) throw new Error(`server processes ${tree.filter(isAlive).join(", ")} still alive 10 s after ${signal}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  try {
    await launch();
  } catch (error) {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    env,
    output: () => log,
    stop: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await launch();
    },
    kill,
    start: async () => {
      if (!isRunning()) await launch();
    },
    isRunning,
  };
}
