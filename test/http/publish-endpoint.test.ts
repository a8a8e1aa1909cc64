/**
 * The HTTP publish endpoint over real HTTP (a Node server in front of the route handler), with a
 * real gateway and real websocket clients: authentication, validation, delivery of every
 * audience × kind to the right sockets, disabled audiences, rate limiting, layer failures.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublishHandler, type PublishHandlerOptions } from "../../packages/next-channels-broadcast/src/server/http";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import { notifyWith } from "../../packages/next-channels-broadcast/src/server/send";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { serveFetchHandler, type FetchServer } from "../helpers/fetch-server";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { createDrizzleStore } from "../../packages/next-channels-broadcast/src/server/store";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

const KEY = "test-api-key-0123456789abcdef";
const USERS: Record<string, string> = { alice: "u-alice", bob: "u-bob" };
const ARTICLES = new Set(["42"]);

const resolvers: Pick<PublishHandlerOptions, "resolveUser" | "resolveObject"> = {
  resolveUser: async (username) => USERS[username] ?? null,
  resolveObject: async (table, key) => {
    if (table !== "articles") return { error: "unknown-table" };
    return ARTICLES.has(key) ? { channel: `articles-${key}` } : null;
  },
};

let gateway: TestGateway;
const served: FetchServer[] = [];
let endpoint: string;
let alice: TestClient;
let bob: TestClient;
let anon: TestClient;

async function serve(options: PublishHandlerOptions): Promise<string> {
  const server = await serveFetchHandler(createPublishHandler(options));
  served.push(server);
  return `${server.origin}/publish`;
}

function post(url: string, body: unknown, init: { key?: string | null; contentType?: string; raw?: string; idempotencyKey?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": init.contentType ?? "application/json" };
  if (init.idempotencyKey !== undefined) headers["idempotency-key"] = init.idempotencyKey;
  const key = init.key === undefined ? KEY : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(url, { method: "POST", headers, body: init.raw ?? JSON.stringify(body) });
}

beforeAll(async () => {
  gateway = await startTestGateway({ enableAnonymous: true }, { authorizer: () => true });
  const channels = (names: string[]) => `extraChannels=${encodeURIComponent(JSON.stringify(names))}`;
  alice = await TestClient.connect(gateway.url, { userId: "u-alice", query: channels(["articles-42"]) });
  bob = await TestClient.connect(gateway.url, { userId: "u-bob" });
  anon = await TestClient.connect(gateway.url, { query: channels(["job-1"]) });
  // A generous rate: this suite sends far more than the default burst; the limit has its own tests.
  endpoint = await serve({ apiKey: KEY, ratePerSecond: 10_000, ...resolvers });
});

afterAll(async () => {
  await Promise.all([alice, bob, anon].map((client) => client?.close()));
  await Promise.all(served.map((server) => server.close()));
  await gateway?.close();
});

let markers = 0;
/** Sends a marker to everyone and waits until each client has it: all earlier frames have arrived. */
async function settle(): Promise<void> {
  const marker = `marker-${(markers += 1)}`;
  await notifyWith(gateway.runtime, "all", { message: marker });
  const isMarker = (frame: ServerFrame) => frame.type === "message" && frame.text === marker;
  await Promise.all([alice, bob, anon].map((client) => client.next(isMarker)));
}

describe("authentication", () => {
  it("refuses a missing key with 401", async () => {
    const response = await post(endpoint, { audience: "all", text: "x" }, { key: null });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });

  it.each([
    ["a wrong key", `Bearer ${KEY.slice(0, -1)}x`],
    ["a key of another length", "Bearer short"],
    ["a prefix of the key", `Bearer ${KEY.slice(0, 10)}`],
    ["another scheme", `Basic ${KEY}`],
    ["an empty bearer", "Bearer "],
  ])("refuses %s with 401", async (_name, authorization) => {
    const response = await fetch(endpoint, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: '{"audience":"all","text":"x"}' });
    expect(response.status).toBe(401);
  });

  it("answers 404 when the endpoint is off (no key configured)", async () => {
    const off = await serve({ env: {}, ...resolvers });
    const response = await post(off, { audience: "all", text: "x" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
    const offExplicitly = await serve({ apiKey: null, env: { NOTIFICATIONS_API_KEY: KEY } });
    expect((await post(offExplicitly, { audience: "all", text: "x" })).status).toBe(404);
  });

  it("reads the key from NOTIFICATIONS_API_KEY", async () => {
    const fromEnv = await serve({ env: { NOTIFICATIONS_API_KEY: KEY } });
    expect((await post(fromEnv, { audience: "all", text: "from env" })).status).toBe(200);
    expect((await post(fromEnv, { audience: "all", text: "from env" }, { key: "another-key-0123456789" })).status).toBe(401);
  });

  it("refuses to start with a guessable key or a malformed rate setting", () => {
    expect(() => createPublishHandler({ env: { NOTIFICATIONS_API_KEY: "short" } })).toThrow(InvalidSettingError);
    expect(() => createPublishHandler({ env: { NOTIFICATIONS_API_KEY: KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "fast" } })).toThrow(/NOTIFICATIONS_API_RATE_PER_SECOND/);
    expect(() => createPublishHandler({ env: { NOTIFICATIONS_API_KEY: KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "0" } })).toThrow(/NOTIFICATIONS_API_RATE_PER_SECOND/);
    expect(() => createPublishHandler({ env: { NOTIFICATIONS_API_KEY: KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "2.5" } })).toThrow(/whole number/);
  });

  it("answers 405 to other methods", async () => {
    const response = await fetch(endpoint, { method: "GET", headers: { authorization: `Bearer ${KEY}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("malformed requests", () => {
  it.each<[string, unknown, string, RegExp]>([
    ["an array body", [], "invalid_request", /JSON object/],
    ["a string body", "hello", "invalid_request", /JSON object/],
    ["no audience", { text: "x" }, "invalid_request", /^audience: is required/],
    ["an unknown audience", { audience: "everyone", text: "x" }, "invalid_request", /^audience: expected one of all, authenticated/],
    ["an unknown kind", { kind: "shout", audience: "all", text: "x" }, "invalid_request", /^kind: expected one of "message"\|"redirect"\|"progress"/],
    ["an unknown field", { audience: "all", text: "x", colour: "red" }, "invalid_request", /Unknown field "colour"/],
    ["a message without text", { audience: "all" }, "invalid_request", /^text: is required for kind message/],
    ["a non-string text", { audience: "all", text: 5 }, "invalid_request", /^text: expected string, received number/],
    ["a redirect without url", { kind: "redirect", audience: "all" }, "invalid_request", /^url: is required for kind redirect/],
    ["a progress without percent", { kind: "progress", audience: "all" }, "invalid_request", /^percent: is required for kind progress/],
    ["a boolean percent", { kind: "progress", audience: "all", percent: true }, "invalid_request", /^percent: expected a number from 0 to 100/],
    ["text on a redirect", { kind: "redirect", audience: "all", url: "/a", text: "x" }, "invalid_request", /^text: only used with kind message, not redirect/],
    ["level on a progress", { kind: "progress", audience: "all", percent: 5, level: "info" }, "invalid_request", /^level: only used with kind message/],
    ["a user audience without user", { audience: "user", text: "x" }, "invalid_request", /needs exactly one of user \(an id\) or username/],
    ["both user and username", { audience: "user", user: "u-alice", username: "alice", text: "x" }, "invalid_request", /exactly one of/],
    ["a username for audience all", { audience: "all", username: "alice", text: "x" }, "invalid_request", /^username: only used with audience user, not all/],
    ["an object audience without object", { audience: "object", text: "x" }, "invalid_request", /^object: is required for audience object/],
    ["a channel audience without channel", { audience: "channel", text: "x" }, "invalid_request", /^channel: is required for audience channel/],
    ["a malformed object reference", { audience: "object", object: "articles:", text: "x" }, "invalid_request", /^object: expected "<table>:<primary key>"/],
    ["an unknown table", { audience: "object", object: "nope:1", text: "x" }, "unknown_table", /Unknown table "nope"/],
    ["a missing row", { audience: "object", object: "articles:999", text: "x" }, "missing_row", /No such row: articles "999"/],
    ["an unknown user", { audience: "user", username: "nobody", text: "x" }, "unknown_user", /Unknown user "nobody"/],
    ["an invalid channel name", { audience: "channel", channel: "bad name!", text: "x" }, "invalid_notification", /Invalid channel name/],
    ["a reserved channel name", { audience: "channel", channel: "all", text: "x" }, "invalid_notification", /reserved/],
    ["an unknown level", { audience: "all", text: "x", level: "loud" }, "invalid_notification", /Unknown level "loud"/],
    ["a blank text", { audience: "all", text: "   " }, "invalid_notification", /must not be empty/],
    ["a percent over 100", { kind: "progress", audience: "all", percent: 150 }, "invalid_notification", /Invalid percent 150/],
    ["a javascript: redirect", { kind: "redirect", audience: "all", url: "javascript:alert(1)" }, "invalid_notification", /is not allowed/],
    ["a javascript: clickURL", { audience: "all", text: "x", clickURL: "javascript:alert(1)" }, "invalid_notification", /clickURL .* is not allowed/],
  ])("refuses %s with 400 and the reason", async (_name, body, error, message) => {
    const response = await post(endpoint, body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe(error);
    expect(answer.message).toMatch(message);
  });

  it("refuses a body that is not JSON with 400", async () => {
    const response = await post(endpoint, undefined, { raw: "{audience: all" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_json", message: expect.stringMatching(/not valid JSON/) });
  });

  it("refuses another content type with 415", async () => {
    const response = await post(endpoint, { audience: "all", text: "x" }, { contentType: "text/plain" });
    expect(response.status).toBe(415);
    expect((await post(endpoint, undefined, { contentType: "application/x-www-form-urlencoded", raw: "audience=all&text=x" })).status).toBe(415);
  });

  it("refuses a body over 16 KB with 413", async () => {
    const response = await post(endpoint, { audience: "all", text: "x".repeat(17_000) });
    expect(response.status).toBe(413);
    // A chunked body (no Content-Length) is cut off too.
    const chunked = await fetch(endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    expect(chunked.status).toBe(413);
  });

  it("nothing malformed reached a socket", async () => {
    await settle();
    for (const client of [alice, bob, anon]) {
      expect(client.frames.filter((frame) => frame.type === "message" && frame.text === "x")).toEqual([]);
      expect(client.frames.some((frame) => frame.type === "redirect" || frame.type === "progress")).toBe(false);
    }
  });
});

describe("delivery", () => {
  type Who = "alice" | "bob" | "anon";
  const audiences: [string, Record<string, unknown>, Who[]][] = [
    ["all", { audience: "all" }, ["alice", "bob", "anon"]],
    ["authenticated", { audience: "authenticated" }, ["alice", "bob"]],
    ["anonymous", { audience: "anonymous" }, ["anon"]],
    ["user (by username)", { audience: "user", username: "alice" }, ["alice"]],
    ["user (by id)", { audience: "user", user: "u-bob" }, ["bob"]],
    ["object (table:pk)", { audience: "object", object: "articles:42" }, ["alice"]],
    ["object (channel name)", { audience: "object", object: "articles-42" }, ["alice"]],
    ["channel", { audience: "channel", channel: "job-1" }, ["anon"]],
  ];
  const kinds = ["message", "redirect", "progress"] as const;
  let n = 0;
  const cases = audiences.flatMap(([name, target, who]) => kinds.map((kind) => [kind, name, target, who, (n += 1)] as const));

  it.each(cases)("%s to %s reaches exactly the right sockets", async (kind, _name, target, who, i) => {
    const payload =
      kind === "message" ? { text: `m-${i}`, level: "success", clickURL: "/inbox" } : kind === "redirect" ? { url: `/r/${i}` } : { percent: i };
    const response = await post(endpoint, { kind, ...target, ...payload });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { sent: boolean; group: string };
    expect(result.sent).toBe(true);
    await settle();
    const matches = (frame: ServerFrame) =>
      kind === "message"
        ? frame.type === "message" && frame.text === `m-${i}` && frame.cssClass === "success" && frame.clickURL === "/inbox"
        : kind === "redirect"
          ? frame.type === "redirect" && frame.url === `/r/${i}`
          : frame.type === "progress" && frame.percent === `${i}%` && frame.channel === result.group;
    const clients: Record<Who, TestClient> = { alice, bob, anon };
    const received = (Object.keys(clients) as Who[]).filter((name) => clients[name].frames.some(matches));
    expect(received).toEqual(who);
    for (const name of who) expect(clients[name].frames.filter(matches)).toHaveLength(1);
  });

  it("a refresh to an object reaches that object's sockets once, and takes no payload fields", async () => {
    const response = await post(endpoint, { kind: "refresh", audience: "object", object: "articles:42" });
    expect(await response.json()).toEqual({ sent: true, group: "articles-42" });
    await settle();
    const refreshes = (client: TestClient) => client.frames.filter((frame) => frame.type === "refresh" && frame.channel === "articles-42").length;
    expect([refreshes(alice), refreshes(bob), refreshes(anon)]).toEqual([1, 0, 0]);
    const refused = await post(endpoint, { kind: "refresh", audience: "all", text: "x" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^text: only used with kind message, not refresh/);
  });

  it("answers the group it published to", async () => {
    const response = await post(endpoint, { audience: "user", username: "alice", text: "group?" });
    expect(await response.json()).toEqual({ sent: true, group: "user:u-alice" });
  });
});

describe("disabled audiences", () => {
  it("is a 200 no-op that names the setting, and nothing is delivered", async () => {
    const settings = readSettings({}, { enableAnonymous: false, enablePageChannels: false });
    const off = await serve({ apiKey: KEY, ...resolvers, runtime: () => ({ ...gateway.runtime, settings }) });
    const anonymous = await post(off, { audience: "anonymous", text: "gated-anon" });
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ sent: false, group: "anonymous", reason: "audience-disabled", setting: "ENABLE_ANONYMOUS" });
    const channel = await post(off, { kind: "progress", audience: "channel", channel: "job-1", percent: 50 });
    expect(await channel.json()).toMatchObject({ sent: false, setting: "ENABLE_PAGE_CHANNELS" });
    await settle();
    expect(anon.texts()).not.toContain("gated-anon");
    expect(anon.frames.some((frame) => frame.type === "progress" && frame.percent === "50%")).toBe(false);
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After after the burst, and recovers as tokens refill", async () => {
    let now = 0;
    const limited = await serve({ apiKey: KEY, ratePerSecond: 2, now: () => now });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(limited, { audience: "all", text: `burst-${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const refused = await post(limited, { audience: "all", text: "burst-x" });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: "rate_limited" });
    now += 500; // one token at 2/s
    expect((await post(limited, { audience: "all", text: "after-wait" })).status).toBe(200);
    expect((await post(limited, { audience: "all", text: "after-wait-2" })).status).toBe(429);
  });

  it("reads the rate from NOTIFICATIONS_API_RATE_PER_SECOND (burst = 2x)", async () => {
    const limited = await serve({ env: { NOTIFICATIONS_API_KEY: KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "1" }, now: () => 0 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(limited, { audience: "all", text: `env-burst-${i}` })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("does not spend tokens on unauthenticated requests", async () => {
    const limited = await serve({ apiKey: KEY, ratePerSecond: 1, now: () => 0 });
    for (let i = 0; i < 5; i++) expect((await post(limited, { audience: "all", text: "x" }, { key: "wrong-key-0123456789" })).status).toBe(401);
    expect((await post(limited, { audience: "all", text: "still-allowed" })).status).toBe(200);
  });
});

describe("Idempotency-Key", () => {
  let database: TestDatabase;
  let stored: string;
  const rowCount = async () => Number(((await database.db.execute(sql`select count(*)::int as n from ncb_notifications`)) as unknown as { rows: { n: number }[] }).rows[0]!.n);

  beforeAll(async () => {
    database = await openPgliteDatabase();
    const store = createDrizzleStore(database.db, { env: {} });
    stored = await serve({ apiKey: KEY, ratePerSecond: 10_000, ...resolvers, runtime: () => ({ ...gateway.runtime, store }) });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("the same key twice answers the same id and stores one row; the frame carries that id both times", async () => {
    const body = { audience: "user", username: "alice", text: "idempotent-http", level: "success" };
    const first = await post(stored, body, { idempotencyKey: "import-7-finished" });
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { sent: true; group: string; id: number };
    expect(answer).toEqual({ sent: true, group: "user:u-alice", id: expect.any(Number) });
    const again = await post(stored, body, { idempotencyKey: "import-7-finished" });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(answer);
    await settle();
    expect(await rowCount()).toBe(1);
    const frames = alice.frames.filter((frame) => frame.type === "message" && frame.text === "idempotent-http");
    expect(frames.map((frame) => (frame.type === "message" ? frame.id : null))).toEqual([answer.id, answer.id]);
  });

  it("another key, or none, is another notification", async () => {
    const before = await rowCount();
    const ids = [];
    for (const idempotencyKey of ["k-1", "k-2", undefined, undefined]) {
      const response = await post(stored, { audience: "all", text: "several" }, { idempotencyKey });
      ids.push(((await response.json()) as { id: number }).id);
    }
    expect(new Set(ids).size).toBe(4);
    expect(await rowCount()).toBe(before + 4);
  });

  it.each([
    ["an empty key", "", /is empty/],
    ["a key over 200 characters", "k".repeat(201), /is 201 characters long/],
  ])("refuses %s with 400 and sends nothing", async (_name, idempotencyKey, reason) => {
    const before = await rowCount();
    const response = await post(stored, { audience: "all", text: "bad-idempotency-key" }, { idempotencyKey });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; message: string; field: string };
    expect(answer).toMatchObject({ error: "invalid_idempotency_key", field: "Idempotency-Key" });
    expect(answer.message).toMatch(reason);
    expect(answer.message).toMatch(/1 to 200 characters/);
    await settle();
    expect(anon.texts()).not.toContain("bad-idempotency-key");
    expect(await rowCount()).toBe(before);
  });

  it("accepts a key of exactly 200 characters", async () => {
    const response = await post(stored, { audience: "all", text: "longest-key" }, { idempotencyKey: "k".repeat(200) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sent: true, id: expect.any(Number) });
  });
});

describe("layer failures", () => {
  it("answers 502 with the reason when the layer cannot publish", async () => {
    const layer = createMemoryLayer();
    await layer.close();
    const broken = await serve({ apiKey: KEY, runtime: () => ({ settings: gateway.runtime.settings, layer }) });
    const response = await post(broken, { audience: "all", text: "lost" });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "publish_failed", message: expect.stringMatching(/memory layer/) });
  });
});
