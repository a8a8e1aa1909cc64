/**
 * One socket per browser, in Node: three tab endpoints (`createSharedNotificationSocket`, on the
 * `ws` package with a real Auth.js cookie, Node's real BroadcastChannel between them) against the
 * REAL gateway with a real store on PGlite. Web Locks are the in-memory manager of
 * `test/helpers/tab-locks.ts` (Node has none), with per-tab views so a tab can crash.
 *
 * Browser behaviour (a real tab closing, Chromium's locks) is in `e2e/shared-socket.spec.ts`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { createSharedNotificationSocket, type SharedNotificationSocket } from "../../packages/next-channels-broadcast/src/client/shared-socket/tab";
import type { WebSocketConstructor } from "../../packages/next-channels-broadcast/src/client/socket";
import type { SubscriptionHandle } from "../../packages/next-channels-broadcast/src/client/subscriptions";
import { sessionCookie } from "../helpers/sessions";
import { createBrowserLocks, type TabLocks } from "../helpers/tab-locks";
import { startReplayServer, type ReplayServer } from "../replay/harness";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";
import { Recorder } from "./helpers";

let database: TestDatabase;
let server: ReplayServer | undefined;
const tabs: Tab[] = [];
/** Every socket the "browser" opened. */
let opened = 0;

interface Tab {
  socket: SharedNotificationSocket;
  recorder: Recorder;
  locks: TabLocks;
  /** Close codes `onClose` reported. */
  closes: number[];
  /** Message texts passed on to the page, in order. */
  messages(): string[];
}

beforeAll(async () => {
  database = await openPgliteDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await database.reset();
  opened = 0;
});
afterEach(async () => {
  for (const tab of tabs.splice(0)) tab.socket.dispose();
  await server?.close();
  server = undefined;
});

async function browserAs(userId: string): Promise<WebSocketConstructor> {
  const cookie = await sessionCookie(userId);
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
      opened += 1;
    }
  } as unknown as WebSocketConstructor;
}

/** A browser of `userId`: `openTab()` starts one more tab sharing its socket. */
async function browserOf(userId: string, shareKey = `test-${Math.random()}`) {
  const Browser = await browserAs(userId);
  const locks = createBrowserLocks();
  return {
    locks,
    openTab(): Tab {
      const recorder = new Recorder();
      const tabLocks = locks.tab();
      const closes: number[] = [];
      const socket = createSharedNotificationSocket({
        url: server!.url,
        WebSocket: Browser,
        shareKey,
        locks: tabLocks,
        lifecycle: false,
        backoff: { initialMs: 10, jitter: 0 },
        onFrame: recorder.onFrame,
        onStateChange: recorder.onStateChange,
        onClose: ({ code }) => closes.push(code),
      });
      socket.connect();
      const tab: Tab = {
        socket,
        recorder,
        locks: tabLocks,
        closes,
        messages: () => recorder.frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : [])),
      };
      tabs.push(tab);
      return tab;
    },
  };
}

/** Resolves once the request is subscribed (its handle reports the state). */
const subscribed = (handle: SubscriptionHandle) =>
  new Promise<void>((resolve) => {
    if (handle.getState().status === "subscribed") return resolve();
    const stop = handle.onStateChange((state) => {
      if (state.status !== "subscribed") return;
      stop();
      resolve();
    });
  });
const open = (tab: Tab) => tab.recorder.state((state) => state.status === "open");
const shown = (tab: Tab, text: string) => tab.recorder.until(() => tab.messages().includes(text), `"${text}" shown`);
const sockets = () => {
  const { authenticated, anonymous } = server!.gateway.stats().sockets;
  return authenticated + anonymous;
};

describe("tabs sharing one socket", () => {
  it("three tabs hold one socket; the user's messages reach all three, a channel's only the tabs holding it", async () => {
    server = await startReplayServer({ database, authorizer: () => true });
    const browser = await browserOf("alice");
    const [a, b, c] = [browser.openTab(), browser.openTab(), browser.openTab()];
    await Promise.all([open(a), open(b), open(c)]);
    expect(opened).toBe(1);
    expect(sockets()).toBe(1);

    const onA = a.socket.subscribe({ channels: ["articles-1"] });
    const onB = b.socket.subscribe({ channels: ["articles-2"] });
    const alsoOnC = c.socket.subscribe({ channels: ["articles-1"] });
    await Promise.all([onA, onB, alsoOnC].map(subscribed));

    await api.sendToChannel("articles-2", "comment on two");
    await api.sendToChannel("articles-1", "comment on one");
    await api.sendToUser("alice", "for alice");
    for (const tab of [a, b, c]) await shown(tab, "for alice");
    expect(a.messages()).toEqual(["comment on one", "for alice"]);
    expect(b.messages()).toEqual(["comment on two", "for alice"]);
    expect(c.messages()).toEqual(["comment on one", "for alice"]);

    // Tab a releases articles-1: c still holds it (the server counts each tab's request).
    onA();
    await api.sendToChannel("articles-1", "second on one");
    await api.sendToUser("alice", "marker");
    for (const tab of [a, b, c]) await shown(tab, "marker");
    expect(a.messages()).not.toContain("second on one");
    expect(c.messages()).toContain("second on one");
    expect(b.messages()).not.toContain("second on one");
    expect(opened).toBe(1);
  });

  it("an inbox row acked through the shared socket counts for every tab: not replayed to a new socket", async () => {
    server = await startReplayServer({ database });
    const browser = await browserOf("alice");
    const [a, b] = [browser.openTab(), browser.openTab()];
    await Promise.all([open(a), open(b)]);
    const result = await api.notify({ user: "alice" }, { message: "ack me once" });
    await Promise.all([shown(a, "ack me once"), shown(b, "ack me once")]);
    expect(result.sent && result.id !== undefined).toBe(true);
    await server.nextAck((ack) => result.sent && ack.id === result.id);
    const later = await browserOf("alice");
    const fresh = later.openTab();
    await open(fresh);
    await api.sendToUser("alice", "after the ack");
    await shown(fresh, "after the ack");
    expect(fresh.messages()).toEqual(["after the ack"]);
  });

  it("when the leading tab closes, another takes over and a message sent meanwhile is shown once in each remaining tab", async () => {
    server = await startReplayServer({ database });
    const browser = await browserOf("alice");
    const [a, b, c] = [browser.openTab(), browser.openTab(), browser.openTab()];
    await Promise.all([open(a), open(b), open(c)]);
    await api.sendToUser("alice", "before");
    for (const tab of [a, b, c]) await shown(tab, "before");

    // The first tab won the election (its lifetime lock, then the leader lock, came first).
    const bFrom = b.recorder.states.length;
    const cFrom = c.recorder.states.length;
    a.socket.dispose();
    await b.recorder.state((state) => state.status === "connecting", bFrom);
    await c.recorder.state((state) => state.status === "connecting", cFrom);
    // Sent while no tab holds a socket: the old one is closed, the new one not yet replayed.
    await api.sendToUser("alice", "during");
    await b.recorder.state((state) => state.status === "open", bFrom);
    await c.recorder.state((state) => state.status === "open", cFrom);
    await api.sendToUser("alice", "after");
    for (const tab of [b, c]) {
      await shown(tab, "after");
      expect(tab.messages()).toEqual(["before", "during", "after"]);
    }
    expect(opened).toBe(2);
    expect(sockets()).toBe(1);
  });

  it("a tab whose user changed tells the others: they hear 4001, as if the server had ended their session", async () => {
    server = await startReplayServer({ database });
    const browser = await browserOf("alice");
    const [a, b, c] = [browser.openTab(), browser.openTab(), browser.openTab()];
    await Promise.all([open(a), open(b), open(c)]);
    a.socket.announceSessionEnded();
    a.socket.dispose();
    await vi.waitFor(() => expect([b.closes, c.closes]).toEqual([[4001], [4001]]));
    expect(a.closes).toEqual([]);
  });

  it("a tab that crashes releases its channels: the others' stay", async () => {
    server = await startReplayServer({ database, authorizer: () => true });
    const browser = await browserOf("alice");
    const [a, b] = [browser.openTab(), browser.openTab()];
    await Promise.all([open(a), open(b)]);
    const onB = b.socket.subscribe({ channels: ["articles-9"] });
    const onA = a.socket.subscribe({ channels: ["articles-8"] });
    await Promise.all([onA, onB].map(subscribed));
    expect(server.gateway.stats().channels).toBe(2);
    // b is a follower: its crash frees its lifetime lock, and the leader releases its request.
    b.locks.crash();
    // Nothing reaches a's page when b's request is released: watch the server hold one channel.
    await vi.waitFor(() => expect(server!.gateway.stats().channels).toBe(1));
    await api.sendToChannel("articles-8", "still here");
    await shown(a, "still here");
  });
});
