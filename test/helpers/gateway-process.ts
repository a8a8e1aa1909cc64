/**
 * A gateway in a process of its own (test/fixtures/gateway-process.ts, run with tsx) for the
 * multi-process tests: started on a free port with the environment given, stopped with SIGTERM
 * (SIGKILL after 5 s), or killed at once to play a crash. Every process still running when the
 * test process exits is killed, so a failed run leaves none behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_SECRET } from "./sessions";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface GatewayProcess {
  name: string;
  child: ChildProcess;
  /** The node process running the fixture (tsx's child). */
  innerPid: number;
  wsUrl: string;
  httpUrl: string;
  /** What it printed (stdout and stderr), for failure messages. */
  output: string[];
}

const running = new Set<GatewayProcess>();
// Last resort if the test process dies without stopping them.
process.once("exit", () => {
  for (const gateway of running) killGateway(gateway);
});

/** Kills the gateway process and tsx's wrapper at once (SIGKILL): a crash, no shutdown. */
export function killGateway(gateway: GatewayProcess): void {
  running.delete(gateway);
  for (const pid of [gateway.innerPid, gateway.child.pid]) {
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Starts a gateway process (AUTH_SECRET = the tests' secret, a free port) with `env` on top of
 * this process's environment; resolves once it listens.
 *
 * @example
 * const a = await spawnGateway("A", { REDIS_URL: redis.url });
 * await stopGateway(a);
 */
export async function spawnGateway(name: string, env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ["test/fixtures/gateway-process.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", AUTH_SECRET: TEST_SECRET, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`gateway ${name} did not start within 30 s: ${output.join("")}`)), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      output.push(chunk.toString());
      const line = buffered.split("\n").find((candidate) => candidate.startsWith("{"));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { port: number; pid: number });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${name} exited with ${code}: ${output.join("")}`));
    });
  });
  const gateway: GatewayProcess = {
    name,
    child,
    innerPid: ready.pid,
    wsUrl: `ws://127.0.0.1:${ready.port}/ws/notifications`,
    httpUrl: `http://127.0.0.1:${ready.port}`,
    output,
  };
  running.add(gateway);
  return gateway;
}

/** Stops a gateway process with SIGTERM (its graceful shutdown), SIGKILL if it has not exited within 5 s. */
export async function stopGateway(gateway: GatewayProcess): Promise<void> {
  running.delete(gateway);
  if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => gateway.child.once("exit", () => resolve()));
  gateway.child.kill("SIGTERM");
  const timer = setTimeout(() => killGateway(gateway), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Stops every gateway process this test file started and has not stopped yet (for `afterAll`). */
export async function stopAllGateways(): Promise<void> {
  await Promise.allSettled([...running].map((gateway) => stopGateway(gateway)));
}
