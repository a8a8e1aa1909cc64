/**
 * The send API refuses the open-redirect family end to end: a real gateway whose runtime stores
 * in a real PGlite database, and a user's real socket. A refused URL is an
 * `InvalidNotificationError` with code `UNSAFE_URL`, nothing is stored (so nothing can replay
 * from the inbox on the next connect) and nothing reaches any socket; the same user keeps
 * receiving, and a new socket of theirs gets only what was really sent.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as api from "../../src/notifications/server";
import { InvalidNotificationError } from "../../src/notifications/shared/errors";
import type { TestClient } from "../helpers/gateway-server";
import { HOSTILE_URLS, SAFE_URLS } from "../fixtures/hostile-urls";
import { startReplayServer, type ReplayServer } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

let database: TestDatabase;
let server: ReplayServer;
let alice: TestClient;

async function rowCount(): Promise<number> {
  const result = await database.db.execute(sql`select count(*)::int as n from notifications`);
  return Number((result as unknown as { rows: { n: number }[] }).rows[0]!.n);
}

beforeAll(async () => {
  database = await openPgliteDatabase();
  server = await startReplayServer({ database, settings: { enableAnonymous: true } });
  alice = await server.connect({ userId: "alice", extraChannels: [] });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
});

const unsafe = (url: string) =>
  expect.toSatisfy((error: unknown) => error instanceof InvalidNotificationError && error.code === "UNSAFE_URL" && /is not allowed: /.test(error.message), `UNSAFE_URL for ${JSON.stringify(url)}`);

describe("the send API and the open-redirect family", () => {
  it.each(HOSTILE_URLS.filter(({ reason }) => reason !== "empty"))("refuses $family $url in every URL slot, storing and sending nothing", async ({ url }) => {
    const before = await rowCount();
    await expect(api.redirectUser("alice", url)).rejects.toEqual(unsafe(url));
    await expect(api.redirectAll(url)).rejects.toEqual(unsafe(url));
    await expect(api.sendToUser("alice", "click me", { clickURL: url })).rejects.toEqual(unsafe(url));
    await expect(api.sendToUser("alice", "close me", { closeURL: url })).rejects.toEqual(unsafe(url));
    await expect(api.notify({ user: "alice" }, { redirect: url })).rejects.toEqual(unsafe(url));
    await expect(api.notify("all", { message: "x", clickURL: url })).rejects.toEqual(unsafe(url));
    expect(await rowCount()).toBe(before);
  });

  it("the refusal names the rule that was broken", async () => {
    await expect(api.redirectUser("alice", "/%2e//evil.example/")).rejects.toThrow(
      /Redirect URL "\/%2e\/\/evil.example\/" is not allowed: it resolves to a path starting with \/\/ .*dot segments/,
    );
    await expect(api.sendToUser("alice", "x", { clickURL: "/\\evil.example" })).rejects.toThrow(/clickURL .* backslash/);
    await expect(api.sendToUser("alice", "x", { clickURL: "https:evil.example" })).rejects.toThrow(/only relative paths and http\(s\):\/\/ URLs/);
  });

  it("after all of them, alice's socket had none, still receives, and a new socket of hers replays only what was sent", async () => {
    await api.sendToUser("alice", "marker after the hostile sends");
    await alice.next((frame) => frame.type === "message" && frame.text === "marker after the hostile sends");
    const hostile = new Set(HOSTILE_URLS.map(({ url }) => url));
    const leaked = alice.frames.filter(
      (frame) => (frame.type === "redirect" && hostile.has(frame.url)) || (frame.type === "message" && (hostile.has(frame.clickURL ?? "\u0001") || hostile.has(frame.closeURL ?? "\u0001"))),
    );
    expect(leaked).toEqual([]);

    const fresh = await server.connect({ userId: "alice" });
    await fresh.next((frame) => frame.type === "message" && frame.text === "marker after the hostile sends");
    expect(fresh.frames.filter((frame) => frame.type === "redirect" || frame.type === "message").map((frame) => (frame.type === "message" ? frame.text : frame.url))).toEqual([
      "marker after the hostile sends",
    ]);
  });

  it.each(SAFE_URLS)("sends $url as given (the browser resolves it again)", async ({ url }) => {
    await api.sendToUser("alice", `safe ${url}`, { clickURL: url, closeURL: url });
    await api.redirectUser("alice", url);
    const message = await alice.next((frame) => frame.type === "message" && frame.text === `safe ${url}`);
    expect(message).toMatchObject({ clickURL: url, closeURL: url });
    await alice.next((frame) => frame.type === "redirect" && frame.url === url);
  });
});
