/**
 * A local Upstash REST endpoint for tests: `@humanwhocodes/upstash-redis-server` in its own
 * process (so it can be killed cleanly) in front of a throwaway Redis.
 *
 * Its quirks (see DESIGN.md): clients must be created with `responseEncoding: false` (it answers
 * plain JSON, not base64); PUBLISH and XADD work through it, SUBSCRIBE does not.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { Redis } from "@upstash/redis";
import { freePort } from "./redis-server";

// The package exports only its ESM entry, not its bin script or package.json.
const SERVER_SCRIPT = resolve(import.meta.dirname, "../../node_modules/@humanwhocodes/upstash-redis-server/dist/server.js");

export class UpstashTestServer {
  private constructor(
    readonly url: string,
    readonly token: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts the emulator on a free port in front of `redisUrl` and waits until it answers. */
  static async start(redisUrl: string): Promise<UpstashTestServer> {
    const port = await freePort();
    const token = `test-token-${port}`;
    const child = spawn(process.execPath, [SERVER_SCRIPT], {
      env: { ...process.env, URS_TOKEN: token, PORT: String(port), REDIS_URL: redisUrl },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const server = new UpstashTestServer(`http://127.0.0.1:${port}`, token, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`upstash-redis-server exited: ${stderr}`);
      try {
        const answer = await fetch(server.url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: '["PING"]' });
        if (answer.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`upstash-redis-server did not answer on ${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return server;
  }

  /** An `@upstash/redis` client for this endpoint. */
  client(): Redis {
    return new Redis({ url: this.url, token: this.token, responseEncoding: false });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}
