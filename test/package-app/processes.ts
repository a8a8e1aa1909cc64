/**
 * Running commands in the throwaway app the way a developer would — in a clean environment
 * (nothing of this repository's settings, PATH or npm context leaks in) — and judging their
 * output: what counts as an error or a warning line, and what is only Next's normal banner.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";

const REPO = join(import.meta.dirname, "..", "..");

/**
 * The environment a developer's shell would have: PATH without this repository's
 * `node_modules/.bin` (so `npx` finds the app's own copies), no settings of ours, and npm told to
 * reuse its cache. Not `CI`: this is a developer's first run, and under `CI` Next warns that no
 * build cache was found (true of every fresh app, and nothing of ours). Telemetry is off, and
 * next/font/google answers from a local mock (`google-fonts-mock.cjs`) because the build must
 * not depend on the network.
 */
export function appEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ["HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "SHELL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "npm_config_cache", "npm_config_registry"];
  const env: Record<string, string | undefined> = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  env.PATH = (process.env.PATH ?? "").split(delimiter).filter((entry) => !entry.startsWith(REPO)).join(delimiter);
  return {
    ...(env as NodeJS.ProcessEnv),
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_FONT_GOOGLE_MOCKED_RESPONSES: join(import.meta.dirname, "google-fonts-mock.cjs"),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}

/** Runs a command to completion; throws with its output when it fails. Returns stdout + stderr. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = appEnv(), timeoutMs = 300_000): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal}) in ${cwd}:\n${output}`);
  return output;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A long-running server started with `npm run <script>`, its output kept line by line. */
export interface AppServer {
  url: string;
  /** Every line it printed so far, stdout and stderr interleaved as they came. */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * Starts `npm run <script>` on a free port and resolves once it printed `> Ready on` (what the
 * server.ts init writes prints). Its own process group, so stopping it stops npm, tsx and node.
 */
export async function startApp(script: "start" | "dev", cwd: string, timeoutMs: number): Promise<AppServer> {
  const port = await freePort();
  const child: ChildProcess = spawn("npm", ["run", script], { cwd, env: appEnv({ PORT: String(port) }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let exited: string | null = null;
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
    stream?.on("end", () => {
      if (rest !== "") lines.push(rest);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const ended = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    exited = `exit ${code ?? signal}`;
    resolve();
  }));
  const stop = async () => {
    if (exited === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => child.pid !== undefined && exited === null && process.kill(-child.pid, "SIGKILL"), 10_000);
      await ended;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((line) => line.includes("> Ready on"))) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm run ${script} did not get ready (${exited ?? "timeout"}):\n${lines.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `http://localhost:${port}`, lines, stop };
}

/**
 * What counts as a problem in a server's output: any line that says error, warn(ing), fail(ed),
 * exception, unhandled or deprecated, or starts with one of Next's problem marks (⚠ warning,
 * ⨯ error, ✗ failure). Everything else — Next's banner (`▲ Next.js …`, `- Local:`,
 * `- Environments:`, `✓ Ready in …`), dev request logs (`GET /notify 200 in 1.2s`), compile
 * notices and the server's own `> Ready on` — is normal output.
 */
export function problemLines(lines: readonly string[]): string[] {
  return lines.filter((line) => /⚠|⨯|✗|\berror|\bwarn|\bfail|exception|unhandled|deprecat/i.test(line));
}
