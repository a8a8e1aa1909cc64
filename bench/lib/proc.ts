/**
 * Child processes of the bench: pinned to a core with `taskset`, file-descriptor limit raised
 * with `ulimit -n`, tracked so that every one of them is stopped on exit, error or Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { rpc, type Rpc } from "./ipc";
import { sleep } from "./clock";

export const ROOT = resolve(import.meta.dirname, "../..");

const running = new Set<ChildProcess>();
/** Processes that are not our direct children (redis-server under its watchdog). */
const grandchildren = new Set<number>();

/** Whether `taskset` can pin processes here. */
export const HAS_TASKSET = (() => {
  try {
    return spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
})();

/** `ulimit -n <hard limit>` then exec the command, pinned to `core` when taskset exists. */
function wrapped(core: number, command: string[]): string[] {
  const pinned = HAS_TASKSET ? ["taskset", "-c", String(core), ...command] : command;
  return ["bash", "-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "bench", ...pinned];
}

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  rpc: Rpc;
  stop(): Promise<void>;
}

/**
 * Starts `node --expose-gc --import tsx <script> ...args` on `core` with an IPC channel.
 * Resolves once the child reports `ready` (with its data).
 */
export async function startNode<T = unknown>(name: string, core: number, script: string, args: string[]): Promise<{ proc: BenchProcess; ready: T }> {
  // Profiling aid: BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" for the servers.
  const extra = script.startsWith("bench/servers/") ? (process.env.BENCH_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean) : [];
  const [command, ...rest] = wrapped(core, [process.execPath, "--expose-gc", "--max-old-space-size=6144", ...extra, "--import", "tsx", resolve(ROOT, script), ...args]);
  const child = spawn(command as string, rest, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, NODE_ENV: "production" } });
  running.add(child);
  child.on("exit", () => running.delete(child));
  const channel = rpc(child, name);
  const proc: BenchProcess = { name, child, rpc: channel, stop: () => stopChild(child) };
  try {
    const ready = await channel.next<T>("ready", () => true, 60_000);
    return { proc, ready };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Stops everything still running (synchronous signals; used from exit handlers too). */
export function killAllNow(): void {
  for (const pid of grandchildren) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  grandchildren.clear();
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface RedisServer {
  url: string;
  /** Process id of redis-server (0 if unknown). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server on a free loopback port, no persistence, pinned with the servers.
 * It runs under a bash watchdog that kills it when our stdin closes, so it cannot outlive the
 * bench even if the bench itself is killed with SIGKILL.
 */
export async function startRedis(core: number): Promise<RedisServer> {
  const port = await freePort();
  const redis = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"];
  const pinned = HAS_TASKSET ? ["taskset", "-c", String(core), ...redis] : redis;
  const script = '"$@" </dev/null & pid=$!; echo "$pid"; trap "kill $pid 2>/dev/null" EXIT TERM; read -r _; kill $pid 2>/dev/null; wait $pid';
  const child = spawn("bash", ["-c", script, "redis-watchdog", ...pinned], { stdio: ["pipe", "pipe", "inherit"] });
  running.add(child);
  let redisPid = 0;
  child.stdout?.once("data", (chunk: Buffer) => {
    redisPid = Number.parseInt(chunk.toString(), 10);
    if (redisPid > 0) grandchildren.add(redisPid);
  });
  child.on("exit", () => running.delete(child));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ping = spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" });
    if (ping.stdout?.trim() === "PONG") break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("redis-server did not start");
    await sleep(100);
  }
  return {
    url,
    get pid() {
      return redisPid;
    },
    async stop() {
      child.stdin?.end();
      await stopChild(child);
      // The watchdog waits for redis-server before it exits.
      grandchildren.delete(redisPid);
    },
  };
}

/**
 * Runs `main` in this process pinned to `core`: re-executes the script under `taskset -c core`
 * once (when taskset exists), so the bench's own work (its HTTP probe, its bookkeeping) never
 * runs on the server's core.
 *
 * @example
 * runPinned(1, main);
 */
export function runPinned(core: number, main: () => Promise<void>): void {
  if (HAS_TASKSET && process.env.BENCH_PINNED !== "1") {
    const child = spawn("taskset", ["-c", String(core), process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, BENCH_PINNED: "1" } });
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
    child.once("exit", (code) => process.exit(code ?? 1));
    return;
  }
  main().then(
    () => {
      killAllNow();
      process.exit(0);
    },
    (error: unknown) => {
      console.error("[bench] failed:", error);
      killAllNow();
      process.exit(1);
    },
  );
}
