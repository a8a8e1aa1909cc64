/**
 * Explicit instances (`createNotifications`), through the package's public entries: two instances
 * in one process, each with its own real gateway on a free port and real websocket clients, do not
 * see each other's sends — not through the send functions, the publish handler, tokens or the
 * default instance — and bad arguments throw typed errors naming the option.
 *
 * Absence is proven without sleeping: each gateway delivers a socket's frames in order, and a
 * memory-layer publish reaches its listeners before it resolves. So once a later marker sent
 * through B's own instance has arrived at B's client, anything A's send could have put on that
 * socket would already be there.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { attachGateway, authjsAuthenticate, createGateway, createMemoryLayer, startNotificationsServer, type Gateway } from "next-channels-broadcast/node";
import { createNotifications, defaultNotifications, InvalidSettingError, sendToAll, type Notifications } from "next-channels-broadcast/server";
import { serveFetchHandler, type FetchServer } from "../helpers/fetch-server";
import { HandshakeRefused, TestClient } from "../helpers/gateway-server";
import { TEST_SECRET } from "../helpers/sessions";
import { createDrizzleStore, type CleanupOptions, type NotificationStore } from "next-channels-broadcast/drizzle";
import { openPgliteDatabase } from "../store/databases";

interface Served {
  notifications: Notifications;
  gateway: Gateway;
  server: Server;
  url: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An instance with its own gateway on its own HTTP server on a free loopback port. */
async function serveInstance(settings: Parameters<typeof createNotifications>[0] = {}): Promise<Served> {
  const notifications = createNotifications({ env: {}, authenticate: authjsAuthenticate({ secret: TEST_SECRET }), ...settings });
  const server = createServer((_req, res) => res.writeHead(404).end());
  const gateway = attachGateway(server, notifications);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}${notifications.runtime.settings.path}`;
  cleanups.push(async () => {
    await gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await notifications.close();
  });
  return { notifications, gateway, server, url };
}

async function connect(url: string, options: Parameters<typeof TestClient.connect>[1] = {}): Promise<TestClient> {
  const client = await TestClient.connect(url, options);
  cleanups.push(async () => void (await client.close()));
  return client;
}

/** Sends a marker through `instance` to `client`'s user and waits for it: everything sent before is in `client.frames` by then. */
async function drain(instance: Notifications, client: TestClient, userId: string): Promise<void> {
  const marker = `marker-${Math.random()}`;
  await instance.sendToUser(userId, marker);
  await client.next((frame) => frame.type === "message" && frame.text === marker);
}

describe("two instances in one process", () => {
  it("each instance's sends reach its own gateway's sockets only", async () => {
    const a = await serveInstance();
    const b = await serveInstance();
    const aliceOnA = await connect(a.url, { userId: "alice" });
    const aliceOnB = await connect(b.url, { userId: "alice" });

    expect(await a.notifications.sendToUser("alice", "from A")).toBe(true);
    expect(await a.notifications.sendToAll("all of A")).toBe(true);
    await a.notifications.progressUser("alice", 40);
    await aliceOnA.next((frame) => frame.type === "message" && frame.text === "all of A");
    await aliceOnA.next((frame) => frame.type === "progress");

    await b.notifications.notify({ user: "alice" }, { message: "from B" });
    await aliceOnB.next((frame) => frame.type === "message" && frame.text === "from B");

    await drain(b.notifications, aliceOnB, "alice");
    await drain(a.notifications, aliceOnA, "alice");
    expect(aliceOnA.texts()).toContain("from A");
    expect(aliceOnA.texts()).not.toContain("from B");
    expect(aliceOnB.texts()).not.toContain("from A");
    expect(aliceOnB.texts()).not.toContain("all of A");
    expect(aliceOnB.frames.some((frame) => frame.type === "progress")).toBe(false);
  });

  it("the default instance (top-level sendToAll) reaches neither explicit instance", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const a = await serveInstance();
      const client = await connect(a.url, { userId: "carol" });
      expect(await sendToAll("from the default instance")).toBe(true);
      expect(await defaultNotifications.sendToUser("carol", "also default")).toBe(true);
      await drain(a.notifications, client, "carol");
      expect(client.texts().filter((text) => !text.startsWith("marker-"))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it("settings are per instance: anonymous sockets are let into A only", async () => {
    const a = await serveInstance({ settings: { enableAnonymous: true } });
    const b = await serveInstance({ settings: { enableAnonymous: false } });
    expect(a.notifications.getClientSettings()).toEqual({ path: "/ws/notifications", anonymousEnabled: true });
    expect(b.notifications.getClientSettings()).toEqual({ path: "/ws/notifications", anonymousEnabled: false });

    const visitor = await connect(a.url);
    expect(await a.notifications.sendToAnonymous("hello visitor")).toBe(true);
    await visitor.next((frame) => frame.type === "message" && frame.text === "hello visitor");
    expect(await b.notifications.sendToAnonymous("nobody")).toBe(false);
    await expect(TestClient.connect(b.url)).rejects.toBeInstanceOf(HandshakeRefused);
  });

  it("the publish handler of an instance sends through that instance", async () => {
    const a = await serveInstance();
    const b = await serveInstance();
    const onA = await connect(a.url, { userId: "dave" });
    const onB = await connect(b.url, { userId: "dave" });
    const key = "instance-api-key-0123456789";
    const served: FetchServer = await serveFetchHandler(a.notifications.createPublishHandler({ apiKey: key }));
    cleanups.push(() => served.close());

    const response = await fetch(`${served.origin}/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ audience: "user", user: "dave", text: "over HTTP to A" }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await onA.next((frame) => frame.type === "message" && frame.text === "over HTTP to A");
    await drain(b.notifications, onB, "dave");
    expect(onB.texts()).not.toContain("over HTTP to A");
  });

  it("subscription tokens are signed with the instance's key", async () => {
    const a = await serveInstance({ tokenSecret: "secret-of-a-0123456789abcdef", settings: { enablePageChannels: true } });
    const b = createNotifications({ env: {}, tokenSecret: "secret-of-b-0123456789abcdef" });
    cleanups.push(() => b.close());
    const token = a.notifications.issueSubscriptionToken({ user: "erin", channels: ["jobs-7"] });
    expect(a.notifications.checkSubscriptionToken(token, "erin")).toEqual({ ok: true, channels: ["jobs-7"] });
    expect(b.checkSubscriptionToken(token, "erin")).toEqual({ ok: false, reason: "invalid" });

    // A's gateway honours A's token: the socket joins the channel and gets what is sent there.
    const client = await connect(a.url, { userId: "erin" });
    client.send(JSON.stringify({ type: "subscribe", ref: "s1", token }));
    const answer = await client.next((frame) => frame.type === "subscribed");
    expect(answer).toMatchObject({ granted: ["jobs-7"] });
    await a.notifications.sendToChannel("jobs-7", "job news");
    await client.next((frame) => frame.type === "message" && frame.text === "job news");
  });
});

describe("bad arguments throw typed errors naming the option", () => {
  const layer = createMemoryLayer();
  const cases: [string, unknown, string][] = [
    ["not an object", "redis://x", "createNotifications(options)"],
    ["an unknown option", { leyer: layer }, "leyer"],
    ["settings that are not an object", { settings: "anonymous" }, "settings"],
    ["an unknown setting", { settings: { enableEverything: true } }, "enableEverything"],
    ["a setting of the wrong type", { settings: { enableAnonymous: "yes" } }, "enableAnonymous"],
    ["an out-of-bounds setting", { settings: { heartbeatMs: -5 } }, "heartbeatMs"],
    ["a bad setting in env", { env: { NOTIFICATIONS_WS_PATH: "no-slash" } }, "NOTIFICATIONS_WS_PATH"],
    ["a layer that is not one", { layer: { publish: () => undefined } }, "layer"],
    ["a store that is not one", { store: { save: () => undefined } }, "store"],
    ["an authenticate that is not a function", { authenticate: "authjs" }, "authenticate"],
    ["an authorizer that is not a function", { authorizer: true }, "authorizer"],
    ["an empty token secret", { tokenSecret: "" }, "tokenSecret"],
  ];
  it.each(cases)("%s", (_label, options, setting) => {
    let thrown: unknown;
    try {
      createNotifications(options as Parameters<typeof createNotifications>[0]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidSettingError);
    expect(thrown).toMatchObject({ code: "INVALID_SETTING", setting });
  });

  it("a gateway or server given an instance refuses a second layer or settings", async () => {
    const notifications = createNotifications({ env: {} });
    cleanups.push(() => notifications.close());
    expect(() => createGateway({ notifications, layer: createMemoryLayer() })).toThrow(expect.objectContaining({ code: "INVALID_SETTING", setting: "layer" }));
    await expect(startNotificationsServer({ notifications, settings: { enableAnonymous: true }, loadEnv: false })).rejects.toMatchObject({
      code: "INVALID_SETTING",
      setting: "settings",
    });
  });
});

describe("attachGateway runs the instance store's cleanup", () => {
  /** A PGlite store whose clock the test moves, recording its cleanup starts and stops. */
  async function cleanupStore() {
    const database = await openPgliteDatabase();
    let now = Date.UTC(2030, 0, 1);
    const real = createDrizzleStore(database.db, { env: {}, clock: () => new Date(now) });
    const starts: (CleanupOptions | undefined)[] = [];
    let stops = 0;
    const store: NotificationStore = {
      ...real,
      startCleanup(options) {
        starts.push(options);
        const stop = real.startCleanup(options);
        return () => {
          stops += 1;
          stop();
        };
      },
    };
    cleanups.push(async () => {
      await real.close();
      await database.close();
    });
    return { store, starts, stops: () => stops, advance: (ms: number) => (now += ms) };
  }

  async function attach(store: NotificationStore, options: Parameters<typeof attachGateway>[2]): Promise<{ close(): Promise<void> }> {
    const notifications = createNotifications({ env: {}, store, authenticate: async () => null });
    const server = createServer((_req, res) => res.writeHead(404).end());
    const gateway = attachGateway(server, notifications, options);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await gateway.close();
    };
    cleanups.push(close);
    return { close };
  }

  it("deletes expired rows while attached, and stops when the gateway closes", async () => {
    const { store, starts, stops, advance } = await cleanupStore();
    await store.save("all", { type: "message", text: "old news", cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false }, { inbox: false });
    advance(24 * 60 * 60 * 1000);
    let resolveDeleted!: (count: number) => void;
    const deleted = new Promise<number>((resolve) => (resolveDeleted = resolve));
    const attached = await attach(store, { cleanup: { intervalMs: 20, onRun: (count) => count > 0 && resolveDeleted(count) } });
    expect(await deleted).toBe(1);
    expect(starts).toHaveLength(1);
    expect(stops()).toBe(0);
    await attached.close();
    expect(stops()).toBe(1);
  });

  it("starts it with the store's own settings by default, and not at all with cleanup: false", async () => {
    const first = await cleanupStore();
    await attach(first.store, {});
    expect(first.starts).toEqual([undefined]);
    const second = await cleanupStore();
    await attach(second.store, { cleanup: false });
    expect(second.starts).toEqual([]);
  });
});
