/**
 * The HTTP publish endpoint refuses the open-redirect family over real HTTP, in front of a real
 * gateway with real websocket clients: 400 `invalid_notification` with code `UNSAFE_URL` and the
 * reason, in every URL field, for every audience; nothing reaches a socket, and the endpoint and
 * the sockets keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublishHandler } from "../../src/notifications/server/http";
import { notifyWith } from "../../src/notifications/server/send";
import type { ServerFrame } from "../../src/notifications/shared/protocol";
import { HOSTILE_URLS, SAFE_URLS } from "../fixtures/hostile-urls";
import { serveFetchHandler, type FetchServer } from "../helpers/fetch-server";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";

const KEY = "test-api-key-0123456789abcdef";

let gateway: TestGateway;
let served: FetchServer;
let endpoint: string;
let alice: TestClient;
let bystander: TestClient;

beforeAll(async () => {
  gateway = await startTestGateway({}, { authorizer: () => true });
  served = await serveFetchHandler(
    createPublishHandler({
      apiKey: KEY,
      ratePerSecond: 10_000,
      runtime: () => gateway.runtime,
      resolveUser: async (username) => (username === "alice" ? "u-alice" : null),
    }),
  );
  endpoint = `${served.origin}/publish`;
  alice = await TestClient.connect(gateway.url, { userId: "u-alice", query: `extraChannels=${encodeURIComponent('["job-1"]')}` });
  bystander = await TestClient.connect(gateway.url, { userId: "u-bob" });
});

afterAll(async () => {
  await Promise.all([alice, bystander].map((client) => client?.close()));
  await served?.close();
  await gateway?.close();
});

function post(body: unknown): Promise<Response> {
  return fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function expectRefused(body: Record<string, unknown>, field: string): Promise<void> {
  const response = await post(body);
  expect(response.status).toBe(400);
  const answer = (await response.json()) as { error: string; code: string; message: string };
  expect(answer).toMatchObject({ error: "invalid_notification", code: "UNSAFE_URL" });
  expect(answer.message).toMatch(new RegExp(`^${field} .* is not allowed: `));
}

describe("POST /publish with a URL of the open-redirect family", () => {
  it.each(HOSTILE_URLS.filter(({ reason }) => reason !== "empty"))("refuses $family $url in url, clickURL and closeURL with 400", async ({ url }) => {
    await expectRefused({ kind: "redirect", audience: "user", username: "alice", url }, "Redirect URL");
    await expectRefused({ kind: "redirect", audience: "channel", channel: "job-1", url }, "Redirect URL");
    await expectRefused({ audience: "all", text: "click", clickURL: url }, "clickURL");
    await expectRefused({ audience: "user", user: "u-alice", text: "close", closeURL: url }, "closeURL");
  });

  it("names the reason for a dot-segment redirect", async () => {
    const response = await post({ kind: "redirect", audience: "user", username: "alice", url: "/.//evil.example/" });
    expect(((await response.json()) as { message: string }).message).toMatch(/resolves to a path starting with \/\//);
  });

  it("after them, no socket had any of them, and a send still reaches everyone", async () => {
    const marker = "marker after the hostile posts";
    expect((await post({ audience: "all", text: marker })).status).toBe(200);
    const isMarker = (frame: ServerFrame) => frame.type === "message" && frame.text === marker;
    await Promise.all([alice.next(isMarker), bystander.next(isMarker)]);
    for (const client of [alice, bystander]) {
      expect(client.frames.filter((frame) => frame.type === "redirect" || (frame.type === "message" && frame.text !== marker))).toEqual([]);
    }
    // A new socket connects and is served as usual.
    const late = await TestClient.connect(gateway.url, { userId: "u-alice" });
    try {
      await notifyWith(gateway.runtime, { user: "u-alice" }, { message: "for the new socket" });
      await late.next((frame) => frame.type === "message" && frame.text === "for the new socket");
    } finally {
      await late.close();
    }
  });

  it.each(SAFE_URLS)("accepts $url and delivers it as given", async ({ url }) => {
    const response = await post({ kind: "redirect", audience: "user", username: "alice", url });
    expect(response.status).toBe(200);
    await alice.next((frame) => frame.type === "redirect" && frame.url === url);
  });
});
