/**
 * The `send-notification` CLI against servers that misbehave, as users run it (a `tsx` child
 * process): real local HTTP servers that redirect elsewhere or answer hostile text, and the real
 * publish endpoint in front of a real gateway for the open-redirect URLs.
 *
 * - A 3xx answer is never followed (the request carries the API key): exit 1, an error naming
 *   the Location, nothing on stdout, and the server it pointed to never sees a request.
 * - Whatever the server says is printed without escape sequences or control characters.
 * - A redirect URL of the open-redirect family is refused before anything is sent.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublishHandler } from "../../src/notifications/server/http";
import { notifyWith } from "../../src/notifications/server/send";
import { HOSTILE_URLS } from "../fixtures/hostile-urls";
import { serveFetchHandler, type FetchServer } from "../helpers/fetch-server";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = resolve(ROOT, "node_modules/.bin/tsx");
const CLI = "src/cli/send-notification.ts";
const KEY = "cli-hardening-key-0123456789abcdef";
/** Anything a terminal acts on: C0 but the final newline, DEL, C1, bidi controls. */
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], url: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFICATIONS_URL: url, NOTIFICATIONS_API_KEY: KEY };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI did not exit: ${stdout} ${stderr}`));
    }, 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A plain HTTP server whose answer a test sets; it records every request it gets. */
interface Scripted {
  url: string;
  requests: { method: string; url: string; authorization: string | undefined }[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function scriptedServer(): Promise<Scripted> {
  const scripted: Scripted = {
    url: "",
    requests: [],
    answer: (_req, res) => res.writeHead(500).end(),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
  const server: Server = createServer((req, res) => {
    scripted.requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    req.on("end", () => scripted.answer(req, res));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  scripted.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = scripted.close;
  scripted.close = async () => {
    server.closeAllConnections();
    await close();
  };
  return scripted;
}

let front: Scripted;
/** Another origin (another port) that would accept anything: where a redirect points. */
let elsewhere: Scripted;

beforeAll(async () => {
  front = await scriptedServer();
  elsewhere = await scriptedServer();
  elsewhere.answer = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"sent":true,"group":"all","id":1}');
});

afterAll(async () => {
  await front?.close();
  await elsewhere?.close();
});

describe("redirects are not followed with the API key", () => {
  it.each([301, 302, 303, 307, 308])("HTTP %i to another origin: exit 1, the Location named, nothing sent there", async (status) => {
    front.requests.length = 0;
    elsewhere.requests.length = 0;
    front.answer = (_req, res) => res.writeHead(status, { location: `${elsewhere.url}/api/notifications/publish` }).end();
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`answered HTTP ${status} (Location: ${elsewhere.url}/api/notifications/publish). Not followed: the request carries NOTIFICATIONS_API_KEY`);
    expect(front.requests).toHaveLength(1);
    expect(front.requests[0]!.authorization).toBe(`Bearer ${KEY}`);
    expect(elsewhere.requests).toEqual([]);
  });

  it("a same-origin redirect is not followed either, nor one without a Location", async () => {
    front.requests.length = 0;
    front.answer = (_req, res) => res.writeHead(308, { location: "/somewhere-else" }).end();
    const same = await cli(["--audience", "all", "hello"], front.url);
    expect([same.code, same.stdout]).toEqual([1, ""]);
    expect(same.stderr).toMatch(/HTTP 308 \(Location: \/somewhere-else\)\. Not followed/);
    front.answer = (_req, res) => res.writeHead(302).end();
    const bare = await cli(["--audience", "all", "hello"], front.url);
    expect([bare.code, bare.stdout]).toEqual([1, ""]);
    expect(bare.stderr).toMatch(/HTTP 302 \(no Location\)\. Not followed/);
    expect(front.requests).toHaveLength(2);
  });

  it("a Location with control characters is printed cleaned", async () => {
    // Latin-1 is all a header can carry: U+009B is the 8-bit CSI.
    front.answer = (_req, res) => res.writeHead(307, { location: "http://evil.example/\u009b2J\u009b31mphish" }).end();
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Location: http:\/\/evil\.example\/phish\)/);
    expect(run.stderr.slice(0, -1)).not.toMatch(ACTIVE);
  });
});

describe("what the server says is printed without anything a terminal would act on", () => {
  const hostile =
    "\u001b[2K\r\u001b[32mSent message to everyone\u001b[0m\u001b]0;owned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\u009b1A\u202Egnp.exe\nsecond line\u0000";

  it("an error message: escapes and controls removed, the words kept, on one line", async () => {
    front.answer = (_req, res) => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "x", message: hostile }));
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("Error: The server refused it (HTTP 400):  Sent message to everyonegnp.exe second line\n");
  });

  it("a success answer: the group is cleaned, an id that is not a number is ignored", async () => {
    front.answer = (_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ sent: true, group: `all${hostile}`, id: "7\u001b[31m" }));
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe('Sent message "hello" (info) to all (group all Sent message to everyonegnp.exe second line).\n');
  });

  it("a No-op answer: the setting is cleaned", async () => {
    front.answer = (_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ sent: false, group: "all", setting: "ENABLE_ALL\u001b[8m" }));
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^No-op: ENABLE_ALL is off/);
    expect(run.stdout.slice(0, -1)).not.toMatch(ACTIVE);
  });

  it("a very long message is cut; an oversized or non-JSON body gives the status only", async () => {
    front.answer = (_req, res) => res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ message: "y".repeat(100_000) }));
    const long = await cli(["--audience", "all", "hello"], front.url);
    expect(long.code).toBe(1);
    expect(long.stderr).toBe("Error: The server answered HTTP 422.\n"); // over the 64 KB read limit
    front.answer = (_req, res) => res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ message: "z".repeat(5_000) }));
    const cut = await cli(["--audience", "all", "hello"], front.url);
    expect(cut.stderr).toBe(`Error: The server refused it (HTTP 422): ${"z".repeat(500)}…\n`);
    front.answer = (_req, res) => res.writeHead(500, { "content-type": "text/html" }).end("<h1>\u001b[31mboom</h1>");
    const html = await cli(["--audience", "all", "hello"], front.url);
    expect(html.stderr).toBe("Error: The server answered HTTP 500.\n");
  });

  it("the Retry-After of a 429 is cleaned", async () => {
    front.answer = (_req, res) => res.writeHead(429, { "retry-after": "5\u009b2J" }).end("{}");
    const run = await cli(["--audience", "all", "hello"], front.url);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("Error: Rate limited by the server; retry in 5 s.\n");
  });
});

describe("redirect URLs of the open-redirect family", () => {
  let gateway: TestGateway;
  let publish: FetchServer;
  let posted = 0;
  let watcher: TestClient;

  beforeAll(async () => {
    gateway = await startTestGateway({}, { authorizer: () => true });
    const handler = createPublishHandler({ apiKey: KEY, ratePerSecond: 1_000, runtime: () => gateway.runtime, resolveUser: async () => null });
    publish = await serveFetchHandler((request) => {
      posted += 1;
      return handler(request);
    }, "/api/notifications/publish");
    watcher = await TestClient.connect(gateway.url, { userId: "u-w", query: `extraChannels=${encodeURIComponent('["job-9"]')}` });
  });

  afterAll(async () => {
    await watcher?.close();
    await publish?.close();
    await gateway?.close();
  });

  // The four from the report and one of each other family keep this to a handful of processes;
  // the whole table runs in test/unit, test/integration and test/http.
  const reported = ["/.//evil.example/", "/%2e//evil.example/", "/..//evil.example/", "..//evil.example/"];
  const firstOfFamily = new Map<string, (typeof HOSTILE_URLS)[number]>();
  for (const entry of HOSTILE_URLS) if (entry.url !== "" && !entry.url.includes("\u0000") && !firstOfFamily.has(entry.family)) firstOfFamily.set(entry.family, entry);
  const onePerFamily = [...HOSTILE_URLS.filter(({ url }) => reported.includes(url)), ...[...firstOfFamily.values()].filter(({ url }) => !reported.includes(url))];

  it.concurrent.each(onePerFamily)("refuses $family $url before sending: exit 1, the reason on stderr", async ({ url }) => {
    const run = await cli(["--kind", "redirect", "--audience", "channel", "--channel", "job-9", url], publish.origin);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Error: Redirect URL ".*" is not allowed: .+\. Use a path on this site/);
    expect(run.stderr.slice(0, -1)).not.toMatch(ACTIVE);
  }, 60_000); // a dozen processes at once on a busy 2-core machine

  it("none of them reached the server or a socket; a safe one does", async () => {
    expect(posted).toBe(0);
    const run = await cli(["--kind", "redirect", "--audience", "channel", "--channel", "job-9", "/%2f/stays-here"], publish.origin);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(posted).toBe(1);
    await watcher.next((frame) => frame.type === "redirect" && frame.url === "/%2f/stays-here");
    await notifyWith(gateway.runtime, "all", { message: "marker" });
    await watcher.next((frame) => frame.type === "message" && frame.text === "marker");
    expect(watcher.frames.filter((frame) => frame.type === "redirect").map((frame) => (frame.type === "redirect" ? frame.url : ""))).toEqual(["/%2f/stays-here"]);
  });
});
