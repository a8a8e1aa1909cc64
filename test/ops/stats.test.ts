/**
 * `getStats()` through the process runtime, as a server component calls it: the gateway's
 * holdings, the latest sends with their audience and receivers, and the inbox backlog from a real
 * PGlite store.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { getStats } from "../../packages/next-channels-broadcast/src/server/stats";
import { createDrizzleStore, type NotificationStore } from "../../packages/next-channels-broadcast/src/server/store";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

let database: TestDatabase;
let store: NotificationStore;
let gw: TestGateway;

beforeAll(async () => {
  database = await openPgliteDatabase();
  store = createDrizzleStore(database.db, { env: {} });
  gw = await startTestGateway({}, { store });
  gw.runtime.store = store;
  gw.runtime.gateway = gw.gateway;
});
afterAll(async () => {
  await gw?.close();
  await store?.close();
  await database?.close();
});

it("reports sockets, users, the busiest groups, the latest sends with their receivers, and inbox backlogs", async () => {
  expect(await getStats()).toMatchObject({ gateway: { sockets: { authenticated: 0, anonymous: 0 }, users: 0 }, recentSends: [], inboxBacklog: [], store: "ok", layer: { kind: "memory", up: true } });
  const clients = await Promise.all([TestClient.connect(gw.url, { userId: "alice" }), TestClient.connect(gw.url, { userId: "alice" }), TestClient.connect(gw.url, { userId: "bob" })]);
  await api.sendToUser("alice", "one");
  await api.sendToUser("alice", "two");
  await api.sendToUser("carol", "for later");
  await api.sendToAll("everyone");

  const stats = await getStats({ limit: 3 });
  expect(stats.gateway).toMatchObject({ sockets: { authenticated: 3, anonymous: 0 }, users: 2, channels: 0, layerUp: true, closing: false });
  expect(stats.gateway!.busiest).toEqual([
    { group: "all", sockets: 3 },
    { group: "authenticated", sockets: 3 },
    { group: "user:alice", sockets: 2 },
  ]);
  expect(stats.recentSends.map(({ kind, audience, group, receivers }) => ({ kind, audience, group, receivers }))).toEqual([
    { kind: "message", audience: "all", group: "all", receivers: 3 },
    { kind: "message", audience: "user", group: "user:carol", receivers: 0 },
    { kind: "message", audience: "user", group: "user:alice", receivers: 2 },
  ]);
  // Nobody acked: alice has two pending rows, carol one (she never connected).
  expect(stats.inboxBacklog).toEqual([
    { userId: "alice", pending: 2 },
    { userId: "carol", pending: 1 },
  ]);
  await Promise.all(clients.map((client) => client.close()));
  await expect.poll(async () => (await getStats()).gateway!.sockets.authenticated).toBe(0);
});
