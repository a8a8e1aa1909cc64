// @vitest-environment happy-dom
/**
 * `useInbox` with the bell and the panel, in a DOM (happy-dom) against a real `ws` server playing
 * the gateway: seeded from the server's first page with no request, a new user message counted
 * live, another tab's change (`ncb:center`) applied at once, the actions called with what the
 * user clicked, and a resync from the server after the socket came back.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import type { ReactNode } from "react";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { flushSync } from "react-dom";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CENTER_EVENT, NotificationBell, NotificationPanel, useInbox } from "../../packages/next-channels-broadcast/src/client";
import type { CenterItem, CenterPage, InboxActions } from "../../packages/next-channels-broadcast/src/client";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
const router = fakeRouter();

function item(id: number, text: string, read = false): CenterItem {
  return { id, text, level: "info", clickURL: null, createdAt: "2026-12-01T10:00:00.000Z", seenAt: null, readAt: read ? "2026-12-01T10:05:00.000Z" : null, archivedAt: null };
}

/** Actions that record their calls; `list` answers what the test set as the server's state. */
function recordingActions(serverState: { page: CenterPage }) {
  const calls: string[] = [];
  const actions: InboxActions = {
    async list(cursor) {
      calls.push(`list ${cursor}`);
      return serverState.page;
    },
    async markRead(ids) {
      calls.push(`markRead ${JSON.stringify(ids)}`);
      return { changed: ids === "all" ? 2 : ids.length, unread: ids === "all" ? 0 : 1 };
    },
    async archive(ids) {
      calls.push(`archive ${JSON.stringify(ids)}`);
      return { changed: ids.length, unread: 1 };
    },
  };
  return { actions, calls };
}

function Center({ initial, actions }: { initial: CenterPage; actions: InboxActions }) {
  const inbox = useInbox({ initial, actions });
  return createElement("div", null, createElement(NotificationBell, { unread: inbox.unread }), createElement(NotificationPanel, { inbox }));
}

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

const bellLabel = () => container.querySelector('[data-testid="notification-bell"]')?.getAttribute("aria-label");
const itemTexts = () => [...container.querySelectorAll('[data-testid="notification-item"]')].map((li) => `${li.querySelector("p")?.textContent}:${li.getAttribute("data-read")}`);
const click = (text: string, index = 0) => [...container.querySelectorAll("button")].filter((button) => button.textContent === text)[index]!.click();

beforeEach(async () => {
  server = await startServer();
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${new URL(server.url).port}/`);
  container = document.createElement("div");
  document.body.append(container);
});
afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  await server.close();
});

describe("useInbox, NotificationBell, NotificationPanel", () => {
  it("shows the server's first page and count at once, counts a new message live, and applies another tab's change", async () => {
    const state: { page: CenterPage } = { page: { items: [item(2, "second"), item(1, "first", true)], nextCursor: null, unread: 1 } };
    const { actions, calls } = recordingActions(state);
    render(providerElement({}, createElement(Center, { initial: state.page, actions })));
    // Seeded: right away, with no request.
    expect(bellLabel()).toBe("Notifications, 1 unread");
    expect(itemTexts()).toEqual(["second:false", "first:true"]);

    const connection = await server.connection(0);
    connection.send({ type: "message", id: 3, ack: true, text: "third", cssClass: "success", clickURL: null, closeURL: null, hideCloseOption: false });
    // A broadcast (no ack: not a user row) is not an inbox item.
    connection.send({ type: "message", id: 4, text: "to all", cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
    await pollUntil(() => bellLabel() === "Notifications, 2 unread", "the new message counted");
    expect(itemTexts()).toEqual(["third:false", "second:false", "first:true"]);

    // Another tab read "second": the server tells every tab.
    connection.send({ type: "event", event: CENTER_EVENT, channel: "user:u1", data: { change: "read", ids: [2], unread: 1 } });
    await pollUntil(() => bellLabel() === "Notifications, 1 unread", "the other tab's change");
    expect(itemTexts()).toEqual(["third:false", "second:true", "first:true"]);
    connection.send({ type: "event", event: CENTER_EVENT, channel: "user:u1", data: { change: "archived", ids: [1], unread: 1 } });
    await pollUntil(() => itemTexts().length === 2, "the archived item gone");
    expect(calls).toEqual([]);
  });

  it("calls the app's actions for what the user clicks, and resyncs from the server after a reconnect", async () => {
    const state: { page: CenterPage } = { page: { items: [item(2, "second"), item(1, "first")], nextCursor: "next", unread: 2 } };
    const { actions, calls } = recordingActions(state);
    render(providerElement({}, createElement(Center, { initial: state.page, actions })));
    const connection = await server.connection(0);

    click("Mark as read", 1);
    await pollUntil(() => bellLabel() === "Notifications, 1 unread", "marked read");
    expect(itemTexts()).toEqual(["second:false", "first:true"]);
    click("Archive", 0);
    await pollUntil(() => itemTexts().length === 1, "archived");
    click("Mark all as read");
    await pollUntil(() => bellLabel() === "Notifications, none unread", "all read");
    state.page = { items: [item(1, "first", true), item(0, "zeroth")], nextCursor: null, unread: 1 };
    click("Load more");
    await pollUntil(() => itemTexts().includes("zeroth:false"), "the next page");
    expect(calls).toEqual(["markRead [1]", "archive [2]", 'markRead "all"', "list next"]);

    // The socket drops and comes back: what changed meanwhile is read from the server.
    state.page = { items: [item(5, "while away")], nextCursor: null, unread: 1 };
    connection.ws.terminate();
    await server.connection(1);
    await pollUntil(() => itemTexts().join() === "while away:false", "the resync");
    expect(bellLabel()).toBe("Notifications, 1 unread");
    expect(calls.at(-1)).toBe("list null");
  });
});
