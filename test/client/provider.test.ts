// @vitest-environment happy-dom
/**
 * The provider in a DOM (happy-dom) against a real `ws` server: StrictMode, sign-in/out,
 * toasts, redirects, progress and per-page subscriptions.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement, StrictMode, useState } from "react";
import type { ReactNode } from "react";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { flushSync } from "react-dom";
import { renderToString } from "react-dom/server";
import toast from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_TOAST_PREFERENCES,
  ProgressBar,
  useChannelSubscription,
  useNotifications,
  writeStoredToastPreferences,
} from "../../packages/next-channels-broadcast/src/client";
import type { NotificationFrame, NotificationsProviderProps } from "../../packages/next-channels-broadcast/src/client";
import { createBrowserLocks } from "../helpers/tab-locks";
import { fakeRouter, NodeWebSocket, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
let pushes: string[];
/** `router.refresh()` calls, and what the test makes a refresh do (re-render the layout). */
let refreshes: number;
let onRefresh: () => void;
const router = fakeRouter({
  push: (href) => pushes.push(href),
  refresh: () => {
    refreshes += 1;
    onRefresh();
  },
});

const until = pollUntil;

const $ = (selector: string) => container.querySelector<HTMLElement>(selector);
const $$ = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const stateOf = () => $('[data-testid="connection-state"]')?.dataset.state;

function render(element: ReactNode, strict = false) {
  root ??= createRoot(container);
  const tree = createElement(AppRouterContext, { value: router }, element);
  flushSync(() => root!.render(strict ? createElement(StrictMode, null, tree) : tree));
}

const provider = providerElement;

async function renderOpen(props: Partial<NotificationsProviderProps> = {}, ...children: ReactNode[]) {
  render(provider(props, ...children));
  await until(() => stateOf() === "open", "open state");
  return server.connections.at(-1)!;
}

const message = (fields: Record<string, unknown>) => ({
  type: "message",
  text: "hi",
  cssClass: "info",
  clickURL: null,
  closeURL: null,
  hideCloseOption: false,
  ...fields,
});

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/dashboard`);
  container = document.createElement("div");
  document.body.append(container);
  pushes = [];
  refreshes = 0;
  onRefresh = () => {};
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
  vi.restoreAllMocks();
});

describe("socket lifetime", () => {
  it("StrictMode mount → unmount → mount opens exactly one socket, never one that is closed at once", async () => {
    // Count constructions, not server connections: a browser starts the handshake as soon as
    // the socket is constructed, while `ws` would quietly abort one closed in the same tick.
    const constructed: string[] = [];
    class CountingWebSocket extends (NodeWebSocket as unknown as typeof import("ws").WebSocket) {
      constructor(url: string) {
        super(url);
        constructed.push(url);
      }
    }
    render(provider({ WebSocket: CountingWebSocket }), true);
    await until(() => stateOf() === "open", "open state");
    expect(constructed).toEqual([`ws://${window.location.host}/ws/notifications`]);
    expect(server.upgrades).toBe(1);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.url).toBe("/ws/notifications");
    expect(server.openCount()).toBe(1);
  });

  it("opens no socket for an anonymous visitor unless anonymous is enabled", async () => {
    render(provider({ userId: null }));
    // The connect would be scheduled on the next macrotask; give it several.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.upgrades).toBe(0);
    expect(stateOf()).toBe("idle");

    render(provider({ userId: null, anonymousEnabled: true }));
    await until(() => stateOf() === "open", "open state");
    expect(server.upgrades).toBe(1);
  });

  it("reconnects when the user changes and closes when they sign out", async () => {
    const first = await renderOpen({ userId: "u1" });
    render(provider({ userId: "u2" }));
    expect(await first.closed()).toBe(1000);
    await server.connection(1);
    await until(() => stateOf() === "open", "open state");
    expect(server.openCount()).toBe(1);

    render(provider({ userId: null }));
    expect(await server.connections[1]!.closed()).toBe(1000);
    expect(stateOf()).toBe("idle");
  });

  it("a 4001 close (session ended in another tab) refreshes the router; the re-rendered layout signed out opens no socket", async () => {
    const first = await renderOpen({ userId: "u1" });
    // A restart is not a session change: reconnect, no refresh.
    first.ws.close(1012);
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected after a restart");
    expect(refreshes).toBe(0);

    // The refreshed layout knows the real session: signed out, anonymous off.
    onRefresh = () => render(provider({ userId: null }));
    server.connections[1]!.ws.close(4001, "session changed");
    await until(() => refreshes === 1, "router.refresh()");
    expect(stateOf()).toBe("idle");
    // The old socket's reconnect was never scheduled: the refresh disposed it first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.upgrades).toBe(2);
    expect(stateOf()).toBe("idle");
  });

  it("a 4001 close with anonymous on: after the refresh the tab reconnects as anonymous", async () => {
    const first = await renderOpen({ userId: "u1", anonymousEnabled: true });
    onRefresh = () => render(provider({ userId: null, anonymousEnabled: true }));
    first.ws.close(4001, "session changed");
    await until(() => refreshes === 1, "router.refresh()");
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected as anonymous");
    expect(server.upgrades).toBe(2);
  });

  it("a 4001 close whose refresh keeps the user (another device signed out) just reconnects", async () => {
    const first = await renderOpen({ userId: "u1" });
    first.ws.close(4001, "session changed"); // the refresh re-renders nothing new
    await until(() => refreshes === 1, "router.refresh()");
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected");
  });

  it("a hello for another user than the layout's (the session changed elsewhere) refreshes the router once", async () => {
    const connection = await renderOpen({ userId: "alice" });
    connection.send({ type: "hello", protocol: 1, userId: "alice", channels: [], heartbeatMs: 30_000 });
    connection.send(message({ id: 30, text: "marker" }));
    await until(() => $$('[data-notification-id="30"]').length === 1, "marker");
    expect(refreshes).toBe(0);
    connection.send({ type: "hello", protocol: 1, userId: null, channels: [], heartbeatMs: 30_000 });
    await until(() => refreshes === 1, "router.refresh()");
    connection.send({ type: "hello", protocol: 1, userId: null, channels: [], heartbeatMs: 30_000 });
    connection.send(message({ id: 31, text: "marker 2" }));
    await until(() => $$('[data-notification-id="31"]').length === 1, "marker 2");
    expect(refreshes).toBe(1);
  });

  it("does not reconnect because of an inline backoff object on re-render", async () => {
    await renderOpen({ backoff: { initialMs: 10, jitter: 0 } });
    render(provider({ backoff: { initialMs: 10, jitter: 0 } }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.upgrades).toBe(1);
  });

  it("closes the socket on unmount", async () => {
    const connection = await renderOpen();
    flushSync(() => root!.unmount());
    root = null;
    expect(await connection.closed()).toBe(1000);
  });

  it("closes on pagehide and reconnects on a bfcache pageshow", async () => {
    const connection = await renderOpen();
    window.dispatchEvent(new Event("pagehide"));
    expect(await connection.closed()).toBe(1000);
    await until(() => stateOf() === "closed", "closed state");
    window.dispatchEvent(Object.assign(new Event("pageshow"), { persisted: true }));
    await until(() => stateOf() === "open" && server.connections.length === 2, "reopened");
  });
});

describe("messages", () => {
  it("shows a toast per level, text as text only, and acks an inbox row", async () => {
    const connection = await renderOpen();
    const evil = '<img src=x onerror="window.__pwned=1">';
    connection.send(message({ id: 0, ack: true, text: evil, cssClass: "error" }));
    await until(() => $$('[data-testid="notification-toast"]').length === 1, "toast");
    const toastEl = $$('[data-testid="notification-toast"]')[0]!;
    expect(toastEl.dataset.level).toBe("error");
    expect(toastEl.textContent).toContain(evil);
    expect(toastEl.querySelector("img")).toBeNull();
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "ack", ids: [0] }]);
  });

  it("a same-origin clickURL pushes through the router; closeURL navigates when dismissed", async () => {
    const connection = await renderOpen();
    connection.send(message({ id: 1, text: "open report", clickURL: "/reports/1", closeURL: "/inbox" }));
    await until(() => $$('[data-testid="notification-toast-link"]').length === 1, "toast link");
    const link = $$('[data-testid="notification-toast-link"]')[0]! as HTMLAnchorElement;
    expect(link.getAttribute("href")).toBe("/reports/1");
    link.click();
    expect(pushes).toEqual(["/reports/1"]);

    connection.send(message({ id: 2, text: "second", closeURL: "/inbox" }));
    await until(() => $$('[aria-label="Dismiss notification"]').length >= 1 && $$('[data-notification-id="2"]').length === 1, "second toast");
    $$('[data-notification-id="2"] [aria-label="Dismiss notification"]')[0]!.click();
    expect(pushes).toEqual(["/reports/1", "/inbox"]);
  });

  it("an unsafe clickURL is not a link and hideCloseOption hides the close button", async () => {
    const connection = await renderOpen();
    connection.send(message({ id: 3, text: "x", clickURL: "javascript:alert(1)", hideCloseOption: true }));
    await until(() => $$('[data-notification-id="3"]').length === 1, "toast");
    const toastEl = $$('[data-notification-id="3"]')[0]!;
    expect(toastEl.querySelector("a")).toBeNull();
    expect(toastEl.querySelector('[aria-label="Dismiss notification"]')).toBeNull();
  });

  it("custom renderers replace the default, and useNotifications sees frames once despite re-renders", async () => {
    const rendered: string[] = [];
    const seen: NotificationFrame[] = [];
    let rerender: () => void = () => {};
    function Listener() {
      const [count, setCount] = useState(0);
      rerender = () => setCount((n) => n + 1);
      useNotifications((frame) => seen.push(frame)); // inline on purpose
      return createElement("span", { "data-renders": count });
    }
    const connection = await renderOpen({ renderers: { message: (frame) => rendered.push(frame.text) } }, createElement(Listener));
    for (let i = 0; i < 3; i += 1) flushSync(() => rerender());
    connection.send(message({ id: 4, text: "custom" }));
    connection.send(message({ id: 4, text: "custom" }));
    await until(() => seen.length === 1 && rendered.length === 1, "frame delivered");
    connection.send({ type: "progress", progress: true, percent: "5%", channel: "c" });
    await until(() => seen.length === 2, "progress delivered");
    expect(rendered).toEqual(["custom"]);
    expect(seen.map((f) => f.type)).toEqual(["message", "progress"]);
    expect($$('[data-testid="notification-toast"]')).toHaveLength(0);
  });
});

describe("sharing one socket between tabs", () => {
  /** Two providers ("tabs") in one document, in a browser with Web Locks (happy-dom has none: a test manager stands in). */
  async function twoTabs(props: Partial<NotificationsProviderProps>) {
    Object.defineProperty(navigator, "locks", { value: createBrowserLocks().tab(), configurable: true });
    render(createElement("div", null, provider(props), provider(props)));
    await until(() => $$('[data-testid="connection-state"]').every((el) => el.dataset.state === "open") && $$('[data-testid="connection-state"]').length === 2, "both tabs open");
  }
  afterEach(() => {
    Object.defineProperty(navigator, "locks", { value: null, configurable: true });
  });

  it("by default the tabs hold one socket; shareSocket={false} gives each its own", async () => {
    await twoTabs({});
    expect(server.connections).toHaveLength(1);
    flushSync(() => root?.unmount());
    root = null;
    await until(() => server.connections.every((connection) => connection.closeCode !== null), "the shared socket closed");

    await twoTabs({ shareSocket: false });
    expect(server.connections).toHaveLength(3);
  });
});

describe("toast preferences", () => {
  afterEach(() => localStorage.clear());

  it("a muted level or channel shows no toast, yet listeners (the notification center) still get the message", async () => {
    const seen: string[] = [];
    function Listener() {
      useNotifications((frame) => {
        if (frame.type === "message") seen.push(frame.text);
      });
      return null;
    }
    const connection = await renderOpen({ toastPreferences: { mutedLevels: ["info"], mutedChannels: ["articles-*"] } }, createElement(Listener));
    connection.send(message({ id: 10, ack: true, text: "muted by level", cssClass: "info", channel: "user:alice" }));
    connection.send(message({ id: 11, text: "muted by channel", cssClass: "success", channel: "articles-4" }));
    connection.send(message({ id: 12, text: "shown", cssClass: "success", channel: "user:alice" }));
    await until(() => $$('[data-testid="notification-toast"]').length === 1 && seen.length === 3, "the unmuted toast");
    expect($$('[data-testid="notification-toast"]')[0]!.textContent).toContain("shown");
    expect(seen).toEqual(["muted by level", "muted by channel", "shown"]);
    // Muted is not unacked: the inbox row is acked like any other.
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "ack", ids: [10] }]);
  });

  it("without the prop, the browser's stored preferences apply, read when each message arrives", async () => {
    const connection = await renderOpen();
    writeStoredToastPreferences({ mutedLevels: [], mutedChannels: ["all"] });
    connection.send(message({ id: 20, text: "announcement", channel: "all" }));
    connection.send(message({ id: 21, text: "personal", channel: "user:alice" }));
    await until(() => $$('[data-notification-id="21"]').length === 1, "the personal toast");
    expect($$('[data-notification-id="20"]')).toHaveLength(0);
    writeStoredToastPreferences(DEFAULT_TOAST_PREFERENCES);
    connection.send(message({ id: 22, text: "announcement again", channel: "all" }));
    await until(() => $$('[data-notification-id="22"]').length === 1, "unmuted again");
  });
});

describe("redirects and progress", () => {
  it("follows same-origin redirects only", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const connection = await renderOpen();
    const origin = window.location.origin;
    connection.send({ type: "redirect", id: 10, url: "https://evil.example/phish" });
    connection.send({ type: "redirect", id: 11, url: "javascript:alert(1)" });
    connection.send({ type: "redirect", id: 12, url: `${origin}/reports/12?tab=1` });
    connection.send({ type: "redirect", id: 13, url: "/reports/13" });
    await until(() => pushes.length === 2, "two pushes");
    expect(pushes).toEqual(["/reports/12?tab=1", "/reports/13"]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("feeds progress bars per channel and the latest one", async () => {
    const connection = await renderOpen(
      {},
      createElement(ProgressBar, { channel: "jobs-1", label: "Job 1" }),
      createElement(ProgressBar, { label: "Any" }),
    );
    const bar = (label: string) => $(`[aria-label="${label}"]`)!;
    expect(bar("Job 1").getAttribute("aria-valuenow")).toBe("0");
    connection.send({ type: "progress", progress: true, percent: "42%", channel: "jobs-1" });
    await until(() => bar("Job 1").getAttribute("aria-valuenow") === "42", "42%");
    expect(bar("Job 1").textContent).toBe("42%");
    expect(bar("Job 1").getAttribute("role")).toBe("progressbar");
    connection.send({ type: "progress", progress: true, percent: "7%", channel: "jobs-2" });
    await until(() => bar("Any").textContent === "7%", "latest");
    expect(bar("Job 1").textContent).toBe("42%");
  });
});

describe("per-page subscriptions", () => {
  it("subscribes while mounted, unsubscribes on unmount, and survives a user change", async () => {
    function Page({ id }: { id: number }) {
      useChannelSubscription({ channels: [`articles-${id}`] }); // inline array on purpose
      return null;
    }
    const connection = await renderOpen({}, createElement(Page, { id: 1 }));
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "subscribe", ref: "s1", channels: ["articles-1"] }]);

    render(provider({}, createElement(Page, { id: 1 }))); // re-render: no new frame
    render(provider({}, createElement(Page, { id: 2 })));
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", channels: ["articles-2"] },
      { type: "unsubscribe", ref: "s1" },
    ]);

    // The page's request outlives the socket: the new user's socket re-sends it under its own ref.
    render(provider({ userId: "u2" }, createElement(Page, { id: 2 })));
    const second = await server.connection(1);
    await second.receivedCount(1);
    expect(second.received).toEqual([{ type: "subscribe", ref: "s2", channels: ["articles-2"] }]);

    render(provider({ userId: "u2" }));
    await second.receivedCount(2);
    expect(second.received[1]).toEqual({ type: "unsubscribe", ref: "s2" });
  });

  it("hooks outside the provider fail with a clear message", () => {
    expect(() => renderToString(createElement(ProgressBar))).toThrow(/ProgressBar|useProgress.*inside <NotificationsProvider>/);
  });

  it("server-renders children and an idle state without touching the network", () => {
    const html = renderToString(createElement(AppRouterContext, { value: router }, provider({}, createElement("p", null, "child"))));
    expect(html).toContain("<p>child</p>");
    expect(html).toContain('data-state="idle"');
    expect(server.upgrades).toBe(0);
  });
});
