/**
 * Throwaway Redis servers for tests: Debian's `redis-server` on a free loopback port, no
 * persistence, stopped and restarted on the same port to simulate an outage.
 *
 * When `redis-server` is not installed, suites that need it are skipped with a loud warning and
 * the reason in the suite name, except under CI (`CI` set), where they fail: a CI run that
 * silently skipped the Redis tests would look green while testing nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Socket, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";

function detectRedisServer(): string | null {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return null;
  return probe.stdout.trim();
}

/** `redis-server --version` output, or null when it is not installed. */
export const REDIS_SERVER_VERSION = detectRedisServer();

const MISSING = "redis-server is not installed (apt-get install -y redis-server)";

/**
 * `describe` for suites that need a real Redis. Without `redis-server`: fails under CI, else
 * skips with a visible reason in the suite name and a console warning.
 *
 * @example
 * describeWithRedis("redis layer", () => { it("…", async () => { … }); });
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (REDIS_SERVER_VERSION) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs redis-server: ${MISSING}`, () => {
        throw new Error(`${MISSING}; CI must run the Redis tests.`);
      });
    });
  } else {
    console.warn(`\n!!! SKIPPING "${name}": ${MISSING}. These tests run in CI. !!!\n`);
    describe.skip(`${name} [SKIPPED: ${MISSING}]`, body);
  }
}

/** A free TCP port on loopback (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sends one inline command over a raw socket; resolves with the first reply line, or null. */
function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = "";
    const done = (value: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once("error", () => done(null));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const end = reply.indexOf("\r\n");
      if (end !== -1) done(reply.slice(0, end));
    });
    // SHUTDOWN closes the socket without a reply.
    socket.once("close", () => done(reply === "" ? null : reply));
    socket.connect(port, "127.0.0.1", () => socket.write(`${command}\r\n`));
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A daemonised server is re-parented; where nobody reaps it (PID 1 of a container), it stays
  // a zombie for a while after exiting. A zombie holds no port: count it as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

const running = new Set<number>();
// Daemonised servers outlive a crashed test process unless killed here.
process.once("exit", () => {
  for (const pid of running) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** A daemonised `redis-server` owned by the test. */
export class RedisTestServer {
  private pid: number | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(): Promise<RedisTestServer> {
    if (!REDIS_SERVER_VERSION) throw new Error(MISSING);
    const server = new RedisTestServer(await freePort(), mkdtempSync(join(tmpdir(), "ncb-redis-")));
    await server.launch();
    return server;
  }

  /** PING answered with PONG. */
  async ping(): Promise<boolean> {
    return (await rawCommand(this.port, "PING")) === "+PONG";
  }

  /** Stops the server (SHUTDOWN NOSAVE, SIGKILL if that fails) and waits until the port is closed. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    await rawCommand(this.port, "SHUTDOWN NOSAVE");
    try {
      await until("redis-server exits", () => !isAlive(pid), 5_000);
    } catch {
      process.kill(pid, "SIGKILL");
      await until("redis-server is killed", () => !isAlive(pid), 5_000);
    }
    running.delete(pid);
    this.pid = undefined;
  }

  /** Starts the server again on the same port (an outage ends). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: a peer that stops answering without closing. */
  freeze(frozen: boolean): void {
    if (this.pid !== undefined) process.kill(this.pid, frozen ? "SIGSTOP" : "SIGCONT");
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    if (this.pid !== undefined) {
      try {
        process.kill(this.pid, "SIGCONT");
      } catch {
        // already gone
      }
    }
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const pidfile = join(this.dir, "redis.pid");
    rmSync(pidfile, { force: true });
    const args = [
      "--port", String(this.port),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--daemonize", "yes",
      "--pidfile", pidfile,
      "--dir", this.dir,
      "--logfile", join(this.dir, "redis.log"),
    ];
    const result = spawnSync("redis-server", args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`redis-server failed to start: ${result.stderr || result.stdout}`);
    await until(`redis-server answers PING on ${this.port}`, () => this.ping());
    await until("redis-server wrote its pidfile", () => existsSync(pidfile) && readFileSync(pidfile, "utf8").trim() !== "");
    this.pid = Number(readFileSync(pidfile, "utf8").trim());
    running.add(this.pid);
  }
}
