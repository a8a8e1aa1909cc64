/**
 * The `send-notification` CLI as users run it: a child process (`tsx`) talking to a real HTTP
 * server with the publish endpoint in front of a real gateway, websocket clients checking what
 * arrived. Without a terminal (pipes) for the flag cases; through `script` (a pseudo-terminal)
 * for the interactive prompts.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublishHandler } from "../../packages/next-channels-broadcast/src/server/http";
import { createRedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import { notifyWith } from "../../packages/next-channels-broadcast/src/server/send";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { serveFetchHandler, type FetchServer } from "../helpers/fetch-server";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { describeWithRedis, freePort, RedisTestServer } from "../helpers/redis-server";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = resolve(ROOT, "node_modules/.bin/tsx");
const CLI = "src/cli/send-notification.ts";
const KEY = "cli-test-key-0123456789abcdef";

let gateway: TestGateway;
let http: FetchServer;
let alice: TestClient;
let anon: TestClient;
/** A loopback URL where nothing listens. */
let closedUrl: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NOTIFICATIONS_URL: http.origin, NOTIFICATIONS_API_KEY: KEY, ...extra };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  return env;
}

/** Runs the CLI with stdin a closed pipe (no terminal). */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: baseEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdin.end();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI did not exit: ${stdout} ${stderr}`));
    }, 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  gateway = await startTestGateway({ enableAnonymous: true }, { authorizer: () => true });
  const handler = createPublishHandler({
    apiKey: KEY,
    ratePerSecond: 1_000,
    // Explicit: another suite in this file installs its own runtime for a while.
    runtime: () => gateway.runtime,
    resolveUser: async (username) => ({ alice: "u-alice" })[username] ?? null,
    resolveObject: async (table, key) => (table !== "articles" ? { error: "unknown-table" } : key === "42" ? { channel: "articles-42" } : null),
  });
  http = await serveFetchHandler(handler, "/api/notifications/publish");
  closedUrl = `http://127.0.0.1:${await freePort()}`;
  alice = await TestClient.connect(gateway.url, { userId: "u-alice", query: `extraChannels=${encodeURIComponent('["articles-42","job-9"]')}` });
  anon = await TestClient.connect(gateway.url);
});

afterAll(async () => {
  await alice?.close();
  await anon?.close();
  await http?.close();
  await gateway?.close();
});

async function settle(): Promise<void> {
  const marker = `marker-${Math.random()}`;
  await notifyWith(gateway.runtime, "all", { message: marker });
  await Promise.all([alice, anon].map((client) => client.next((frame) => frame.type === "message" && frame.text === marker)));
}
const count = (client: TestClient, predicate: (frame: ServerFrame) => boolean) => client.frames.filter(predicate).length;

describe("send-notification without a terminal", () => {
  it("sends a message to a user by username and says what it sent", async () => {
    const run = await cli(["--audience", "user", "--username", "alice", "--level", "success", "Your", "import", "finished"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Sent message "Your import finished" \(success\) to user alice \(group user:u-alice\)\./);
    await settle();
    expect(count(alice, (f) => f.type === "message" && f.text === "Your import finished" && f.cssClass === "success")).toBe(1);
    expect(anon.texts()).not.toContain("Your import finished");
  });

  it("sends to all, a redirect to an object, progress to a channel and a refresh to an object", async () => {
    const runs = await Promise.all([
      cli(["--audience", "all", "hello everyone"]),
      cli(["--kind", "redirect", "--audience", "object", "--object", "articles:42", "/articles"]),
      cli(["--kind", "progress", "--audience", "channel", "--channel", "job-9", "33.5"]),
      cli(["--kind", "refresh", "--audience", "object", "--object", "articles:42"]),
    ]);
    for (const run of runs) expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(runs[1]!.stdout).toMatch(/^Sent redirect to \/articles for object articles:42 \(group articles-42\)/);
    expect(runs[2]!.stdout).toMatch(/^Sent progress 33.5 to channel job-9/);
    expect(runs[3]!.stdout).toMatch(/^Sent refresh for object articles:42 \(group articles-42\)/);
    await settle();
    for (const client of [alice, anon]) expect(count(client, (f) => f.type === "message" && f.text === "hello everyone")).toBe(1);
    expect(count(alice, (f) => f.type === "redirect" && f.url === "/articles")).toBe(1);
    expect(count(alice, (f) => f.type === "progress" && f.percent === "33.5%" && f.channel === "job-9")).toBe(1);
    expect(count(alice, (f) => f.type === "refresh" && f.channel === "articles-42")).toBe(1);
    expect(anon.frames.some((f) => f.type === "redirect" || f.type === "progress" || f.type === "refresh")).toBe(false);
  });

  it.concurrent.each<[string, string[], number, RegExp, Record<string, string | undefined>?]>([
    ["missing --audience", ["hello"], 2, /--audience is required/],
    ["an unknown --audience", ["--audience", "everyone", "hi"], 2, /--audience must be one of all, authenticated/],
    ["a refresh with a payload", ["--kind", "refresh", "--audience", "all", "hi"], 2, /A refresh takes no <payload>/],
    ["an unknown --kind", ["--kind", "shout", "--audience", "all", "hi"], 2, /--kind must be one of message, redirect, progress/],
    ["an unknown --level", ["--audience", "all", "--level", "loud", "hi"], 2, /--level must be one of info, success, warning, error/],
    ["--level on a redirect", ["--kind", "redirect", "--audience", "user", "--username", "alice", "--level", "info", "/x"], 2, /--level is only for messages/],
    ["a redirect to all", ["--kind", "redirect", "--audience", "all", "/x"], 2, /redirect cannot be sent to --audience all/],
    ["progress to anonymous", ["--kind", "progress", "--audience", "anonymous", "50"], 2, /progress cannot be sent to --audience anonymous/],
    ["a redirect to authenticated", ["--kind", "redirect", "--audience", "authenticated", "/x"], 2, /cannot be sent to --audience authenticated/],
    ["missing --username", ["--audience", "user", "hi"], 2, /--username is required with --audience user/],
    ["missing --object", ["--audience", "object", "hi"], 2, /--object is required with --audience object/],
    ["missing --channel", ["--audience", "channel", "hi"], 2, /--channel is required with --audience channel/],
    ["a malformed --object", ["--audience", "object", "--object", "articles-42", "hi"], 2, /--object must be <table>:<pk>, e.g. articles:42/],
    ["a target flag of another audience", ["--audience", "all", "--channel", "job-9", "hi"], 2, /--channel is only used with --audience channel/],
    ["a missing payload", ["--audience", "all"], 2, /<payload> is required: the message text/],
    ["a missing redirect URL", ["--kind", "redirect", "--audience", "channel", "--channel", "job-9"], 2, /<payload> is required: the redirect URL/],
    ["an unknown flag", ["--audience", "all", "--colour", "red", "hi"], 2, /Unknown option '--colour'/],
    ["an unknown table", ["--audience", "object", "--object", "nope:1", "hi"], 1, /Unknown table "nope"/],
    ["a missing row", ["--audience", "object", "--object", "articles:999", "hi"], 1, /No such row: articles "999"/],
    ["an unknown user", ["--audience", "user", "--username", "nobody", "hi"], 1, /Unknown user "nobody"/],
    ["a percent over 100", ["--kind", "progress", "--audience", "channel", "--channel", "job-9", "150"], 1, /Invalid percent 150/],
    ["an unsafe redirect", ["--kind", "redirect", "--audience", "channel", "--channel", "job-9", "javascript:alert(1)"], 1, /is not allowed/],
    ["a wrong API key", ["--audience", "all", "hi"], 1, /refused the API key/, { NOTIFICATIONS_API_KEY: "wrong-key-0123456789abc" }],
    ["no API key", ["--audience", "all", "hi"], 1, /NOTIFICATIONS_API_KEY is required/, { NOTIFICATIONS_API_KEY: undefined }],
    ["a server that is not running", ["--audience", "all", "hi"], 1, /Cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/notifications\/publish: ECONNREFUSED\. Is the server running\?/, { NOTIFICATIONS_URL: "closed" }],
  ])("fails on %s (exit code, reason on stderr, nothing on stdout)", async (_name, args, code, message, env) => {
    const run = await cli(args, env === undefined ? undefined : { ...env, NOTIFICATIONS_URL: env.NOTIFICATIONS_URL === "closed" ? closedUrl : env.NOTIFICATIONS_URL ?? http.origin });
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("a disabled audience is a No-op on stdout with exit 0", async () => {
    const saved = gateway.runtime.settings;
    gateway.runtime.settings = { ...saved, enableAnonymous: false };
    try {
      const run = await cli(["--audience", "anonymous", "gated"]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      expect(run.stdout).toMatch(/^No-op: ENABLE_ANONYMOUS is off, so nothing was sent to anonymous/);
    } finally {
      gateway.runtime.settings = saved;
    }
    await settle();
    expect(anon.texts()).not.toContain("gated");
  });

  it("prints its usage with --help", async () => {
    const run = await cli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--object <table>:<pk>/);
  });
});

describeWithRedis("send-notification with REDIS_URL (in-process send, no HTTP)", () => {
  let redis: RedisTestServer;
  let redisGateway: TestGateway;
  let dataDir: string;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    redisGateway = await startTestGateway({}, { layer: createRedisLayer({ url: redis.url, logger: { info() {}, warn() {}, error() {} } }), authorizer: () => true });
    dataDir = mkdtempSync(join(tmpdir(), "ncb-cli-pglite-"));
  });

  afterAll(async () => {
    await redisGateway?.close();
    await redis?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends through Redis to a gateway in another process, without the HTTP endpoint", async () => {
    const watcher = await TestClient.connect(redisGateway.url, { query: `extraChannels=${encodeURIComponent('["job-r"]')}`, userId: "u-x" });
    try {
      const env = { REDIS_URL: redis.url, NOTIFICATIONS_URL: closedUrl, NOTIFICATIONS_API_KEY: undefined, PGLITE_DATA_DIR: dataDir };
      const message = await cliWith(["--audience", "authenticated", "via redis"], env);
      expect([message.code, message.stderr]).toEqual([0, ""]);
      expect(message.stdout).toMatch(/^Sent message "via redis" \(info\) to authenticated \(group authenticated\)/);
      const progress = await cliWith(["--kind", "progress", "--audience", "channel", "--channel", "job-r", "12%"], env);
      expect(progress.code).toBe(0);
      await watcher.next((frame) => frame.type === "message" && frame.text === "via redis");
      await watcher.next((frame) => frame.type === "progress" && frame.percent === "12%" && frame.channel === "job-r");
      // Usernames are looked up in the app's database (here a fresh PGlite directory).
      const unknown = await cliWith(["--audience", "user", "--username", "nobody", "hi"], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/Unknown user "nobody"/);
    } finally {
      await watcher.close();
    }
  }, 60_000); // the first PGlite start (create + migrate) is slow on a busy machine

  function cliWith(args: string[], env: Record<string, string | undefined>): Promise<Run> {
    return new Promise((resolvePromise, reject) => {
      const childEnv = baseEnv(env);
      for (const [name, value] of Object.entries(env)) if (value !== undefined) childEnv[name] = value;
      const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    });
  }
});

const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;

/** Runs the CLI on a pseudo-terminal (util-linux `script`); `answer` reacts to output. */
function onTerminal(args: string[], steps: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  const command = [TSX, CLI, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((resolvePromise, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT, env: baseEnv({ TERM: "dumb" }), stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let consumed = 0;
    const pending = [...steps];
    const react = () => {
      const step = pending[0];
      if (!step) return;
      const fresh = output.slice(consumed);
      const match = step[0].exec(fresh);
      if (!match) return;
      consumed += match.index + match[0].length;
      pending.shift();
      child.stdin.write(step[1]);
      react();
    };
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      react();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`interactive CLI stuck; output so far:\n${output}`));
    }, 15_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

describe.skipIf(!HAS_SCRIPT)(`send-notification on a terminal${HAS_SCRIPT ? "" : " [SKIPPED: util-linux script is not installed]"}`, () => {
  it("asks only for what is missing: menus by number or name, Enter for the default, bad choices and empty text asked again", async () => {
    const { code, output } = await onTerminal(
      ["--audience", "user"],
      [
        [/Kind \[1-4, Enter = message, q = cancel\]: /, "\r"],
        [/Level \[1-4, Enter = info, q = cancel\]: /, "7\r"],
        [/Not a choice: "7"\.[\s\S]*Level \[1-4/, "warning\r"],
        [/Username: /, "alice\r"],
        [/Message text: /, "   \r"],
        [/It must not be empty\.[\s\S]*Message text: /, "typed on a terminal\r"],
      ],
    );
    expect(output).not.toMatch(/Audience \[/);
    expect(output).toMatch(/Sent message "typed on a terminal" \(warning\) to user alice/);
    expect(code).toBe(0);
    await settle();
    expect(count(alice, (f) => f.type === "message" && f.text === "typed on a terminal" && f.cssClass === "warning")).toBe(1);
  });

  it("offers only targeted audiences for a redirect, and asks for a well-formed object", async () => {
    const { code, output } = await onTerminal(
      ["--kind", "redirect", "/articles/42"],
      [
        [/Audience \[1-3, q = cancel\]: /, "2\r"],
        [/Object \(<table>:<pk>, e\.g\. articles:42\): /, "articles\r"],
        [/Expected <table>:<pk>[\s\S]*Object \(/, "articles:42\r"],
      ],
    );
    expect(output).toMatch(/1\) user\s+2\) object\s+3\) channel/);
    expect(output).toMatch(/Sent redirect to \/articles\/42 for object articles:42/);
    expect(code).toBe(0);
  });

  it("q cancels and Ctrl-D cancels, with a non-zero exit and nothing sent", async () => {
    const quit = await onTerminal([], [[/Kind \[/, "q\r"]]);
    expect(quit.code).toBe(1);
    expect(quit.output).toMatch(/Cancelled\./);
    const eof = await onTerminal(["--kind", "message", "--audience", "all", "--level", "info"], [[/Message text: /, "\u0004"]]);
    expect(eof.code).toBe(1);
    expect(eof.output).toMatch(/Cancelled\./);
    expect(eof.output).not.toMatch(/Sent /);
  });
});
