// @vitest-environment happy-dom
/**
 * `usePresence` and `<PresenceBadge>` in a DOM against the REAL gateway with presence on: the
 * badge appears once the channel's presence arrives, follows other readers joining and leaving,
 * counts a second tab of the same user once, and goes away when the page releases the channel
 * (the store forgets a channel the socket no longer holds) or the socket is gone.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import type { ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ChannelSubscription, NotificationsProvider, PresenceBadge, usePresence } from "../../packages/next-channels-broadcast/src/client";
import type { WebSocketConstructor } from "../../packages/next-channels-broadcast/src/client";
import { issueSubscriptionToken } from "../../packages/next-channels-broadcast/src/server/auth/tokens";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";
import { fakeRouter, pollUntil } from "./helpers";

const router = fakeRouter();
const NAMES: Record<string, string> = { alice: "Alice Liddell", bob: "Bob Marley" };

let server: TestGateway;
let container: HTMLElement;
let root: Root | null = null;
const others: TestClient[] = [];
let hookStates: { count: number; connected: boolean }[] = [];

async function browserSocket(userId: string): Promise<WebSocketConstructor> {
  const cookie = await sessionCookie(userId);
  class CookieWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
    }
  }
  return CookieWebSocket as unknown as WebSocketConstructor;
}

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

function HookProbe() {
  const { count, connected } = usePresence("articles-1");
  hookStates.push({ count, connected });
  return null;
}

function page(WebSocketImpl: WebSocketConstructor, onArticle: boolean) {
  const token = issueSubscriptionToken({ user: "alice", channels: ["articles-1"], secret: TEST_SECRET });
  return createElement(
    NotificationsProvider,
    { userId: "alice", WebSocket: WebSocketImpl, toaster: false, backoff: { initialMs: 10, jitter: 0 } },
    createElement(HookProbe),
    onArticle ? createElement(ChannelSubscription, { token }) : null,
    createElement(PresenceBadge, { channel: "articles-1", label: "reading" }),
  );
}

const badge = () => container.querySelector('[data-testid="presence"]');
const countText = () => container.querySelector('[data-testid="presence-count"]')?.textContent ?? null;
const initials = () => [...container.querySelectorAll('[data-testid="presence-member"]')].map((item) => item.textContent).sort();
const until = (condition: () => boolean, what: string) => pollUntil(condition, what, 5_000, () => container.innerHTML);

beforeEach(async () => {
  server = await startTestGateway(
    { presenceFlushMs: 20 },
    {
      tokenSecret: TEST_SECRET,
      authorizer: (_user, channel) => channel === "articles-1",
      presence: { channels: (channel) => channel.startsWith("articles-"), identify: (user) => ({ name: NAMES[user.id] ?? user.id }) },
    },
  );
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/articles/1`);
  container = document.createElement("div");
  document.body.append(container);
  hookStates = [];
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  await Promise.all(others.splice(0).map((client) => client.close()));
  await server.close();
});

const joinAs = async (userId: string) => {
  const client = await TestClient.connect(server.url, { userId, query: `extraChannels=${encodeURIComponent('["articles-1"]')}` });
  others.push(client);
  return client;
};

describe("usePresence / <PresenceBadge> against the gateway", () => {
  it("shows the readers live, each user once, and nothing once the page lets the channel go", async () => {
    render(page(await browserSocket("alice"), true));
    await until(() => countText() === "1 reading", "alone on the page");
    expect(initials()).toEqual(["AL"]);
    expect(badge()?.getAttribute("aria-label")).toBe("1 reading");
    // Before the presence arrived, the hook said so.
    expect(hookStates[0]).toEqual({ count: 0, connected: false });

    const bob = await joinAs("bob");
    await until(() => countText() === "2 reading", "bob arrives");
    expect(initials()).toEqual(["AL", "BM"]);
    // Alice's second tab (another socket of the same user) does not count twice; bob leaving does.
    const aliceTab2 = await joinAs("alice");
    await bob.close();
    others.splice(others.indexOf(bob), 1);
    await until(() => countText() === "1 reading" && initials().length === 1, "bob leaves");
    expect(initials()).toEqual(["AL"]);
    await aliceTab2.close();
    others.splice(others.indexOf(aliceTab2), 1);

    // The page releases the channel (navigation elsewhere): the badge goes away.
    render(page(await browserSocket("alice"), false));
    await until(() => badge() === null, "badge gone");
    expect(hookStates.at(-1)).toEqual({ count: 0, connected: false });
  });

  it("hides the badge while the socket is not open", async () => {
    render(page(await browserSocket("alice"), true));
    await joinAs("bob");
    await until(() => countText() === "2 reading", "two readers");
    // The gateway closes every socket (1012) and does not come back: stale readers must not stay on screen.
    await server.gateway.close();
    await until(() => badge() === null, "badge gone while disconnected");
  });
});
