// @vitest-environment happy-dom
/**
 * Replay bursts must render: the provider paces message toasts (react-hot-toast keeps at most 20
 * and a backlog of 80 used to render 21). In happy-dom with the real react-hot-toast `<Toaster>`
 * and a real `ws` server: every message of a backlog is drawn exactly once, never more than
 * `maxVisible` at a time, with a "+N more" indicator while some wait, and every message reaches
 * `useNotifications` listeners at once.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import type { ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import toast, { Toaster } from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToastQueue, useNotifications } from "../../src/notifications/client";
import type { NotificationFrame, NotificationsProviderProps } from "../../src/notifications/client";
import { NotificationError } from "../../src/notifications/shared/errors";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
let observer: MutationObserver | null;
const router = fakeRouter();

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

const message = (id: number) => ({ type: "message", id, ack: true, text: `backlog ${id}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
const visibleToasts = () => document.querySelectorAll('[data-testid="notification-toast"][data-visible="true"]').length;
const backlog = () => document.querySelector<HTMLElement>('[data-testid="notification-backlog"]');

/**
 * Watches the whole document: how often each notification's toast element was added, the most
 * toasts visible at once, and every "+N more" count shown.
 */
function watchToasts() {
  const added = new Map<string, number>();
  const record = { added, maxVisible: 0, backlogCounts: [] as number[] };
  const seen = new WeakSet<Element>();
  const scan = () => {
    for (const element of document.querySelectorAll<HTMLElement>('[data-testid="notification-toast"]')) {
      if (seen.has(element)) continue;
      seen.add(element);
      const id = element.dataset.notificationId!;
      added.set(id, (added.get(id) ?? 0) + 1);
    }
    record.maxVisible = Math.max(record.maxVisible, visibleToasts());
    const count = backlog()?.dataset.count;
    if (count !== undefined && record.backlogCounts.at(-1) !== Number(count)) record.backlogCounts.push(Number(count));
  };
  observer = new MutationObserver(scan);
  observer.observe(document.body, { childList: true, subtree: true, attributes: true });
  return { record, scan };
}

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/`);
  container = document.createElement("div");
  document.body.append(container);
});

afterEach(async () => {
  observer?.disconnect();
  observer = null;
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
});

describe("a replayed backlog of 80", () => {
  it("reaches listeners at once, is drawn exactly once each, never more than maxVisible at a time, with +N more", async () => {
    const heard: NotificationFrame[] = [];
    let drawnWhenAllHeard = -1;
    function Listener() {
      useNotifications((frame) => {
        heard.push(frame);
        if (heard.length === 80) {
          scan();
          drawnWhenAllHeard = record.added.size;
        }
      });
      return null;
    }
    // Rounds of 300 ms: long enough that the 80 frames arrive well within the first rounds even on
    // a busy machine, short enough to drain in about 5 s.
    const props: Partial<NotificationsProviderProps> = { toastQueue: { maxVisible: 5, backlogDurationMs: 300 } };
    const { record, scan } = watchToasts();
    render(providerElement(props, createElement(Listener)));
    await pollUntil(() => server.connections.length === 1, "connected");
    const connection = server.connections[0]!;

    for (let id = 1; id <= 80; id += 1) connection.send(message(id));
    await pollUntil(() => heard.length === 80, "all 80 heard");
    // Listeners got all 80 while most toasts still waited their turn (80 drawn takes 16 rounds of 300 ms).
    expect(drawnWhenAllHeard).toBeGreaterThan(0);
    expect(drawnWhenAllHeard).toBeLessThanOrEqual(10);
    expect(heard.map((frame) => (frame.type === "message" ? frame.id : -1))).toEqual(Array.from({ length: 80 }, (_, index) => index + 1));

    await pollUntil(() => record.added.size === 80 && backlog() === null, "all 80 drawn and the indicator gone", 30_000, () => `${record.added.size} drawn`);
    expect([...record.added.keys()].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, index) => index + 1));
    expect([...record.added.values()].every((count) => count === 1)).toBe(true);
    expect(record.maxVisible).toBeLessThanOrEqual(5);
    expect(record.maxVisible).toBe(5);
    // The indicator counted up as the burst arrived (to at most 75 waiting), then down as toasts left.
    const peak = record.backlogCounts.indexOf(Math.max(...record.backlogCounts));
    expect(record.backlogCounts[peak]).toBeGreaterThanOrEqual(60);
    expect(record.backlogCounts[peak]).toBeLessThanOrEqual(75);
    expect(record.backlogCounts.slice(peak).every((count, index, all) => index === 0 || count < all[index - 1]!)).toBe(true);
    expect(record.backlogCounts.at(-1)).toBeLessThanOrEqual(5);
    // All 80 acked, in batches (a few frames, not 80; how many depends on how the frames arrived).
    await pollUntil(() => connection.received.flatMap((frame) => (frame as { ids?: number[] }).ids ?? []).length === 80, "80 acks");
    expect(connection.received.length).toBeLessThanOrEqual(10);
  }, 45_000);

  it("without pacing (toastQueue={false}) all arrive at once and react-hot-toast keeps only 20", async () => {
    render(providerElement({ toastQueue: false }));
    await pollUntil(() => server.connections.length === 1, "connected");
    const connection = server.connections[0]!;
    for (let id = 1; id <= 80; id += 1) connection.send(message(id));
    await pollUntil(() => document.querySelector('[data-notification-id="80"]') !== null, "the last one drawn");
    expect(document.querySelectorAll('[data-testid="notification-toast"]').length).toBeLessThanOrEqual(20);
    expect(backlog()).toBeNull();
  });
});

describe("createToastQueue", () => {
  function mountToaster() {
    render(createElement(Toaster));
  }

  const item = (id: string, durationMs = 60_000) => ({
    id,
    durationMs,
    render: () => createElement("div", { "data-testid": "queued", "data-id": id }, id),
  });
  const drawn = () => [...document.querySelectorAll<HTMLElement>('[data-testid="queued"]')].map((element) => element.dataset.id);

  it("a message waiting in the queue is not queued twice when its duplicate arrives, nor one on screen", async () => {
    mountToaster();
    const queue = createToastQueue({ maxVisible: 1, backlogDurationMs: 60_000 });
    queue.show(item("a"));
    queue.show(item("b"));
    queue.show(item("b"));
    queue.show(item("a"));
    expect([queue.visible, queue.waiting]).toEqual([1, 1]);
    await pollUntil(() => drawn().includes("a"), "a drawn");
    expect(backlog()?.textContent).toBe("+1 more");
    toast.dismiss("a");
    await pollUntil(() => drawn().includes("b") && backlog() === null, "b drawn, nothing waits");
    expect([queue.visible, queue.waiting]).toEqual([1, 0]);
    toast.remove("b"); // removed without a fade counts as gone too
    await pollUntil(() => queue.visible === 0, "b left");
    queue.dispose();
  });

  it("toasts on screen when a backlog forms are shortened to backlogDurationMs; the last of a backlog keeps its own time", async () => {
    mountToaster();
    const queue = createToastQueue({ maxVisible: 1, backlogDurationMs: 50 });
    queue.show(item("long", 60_000));
    await pollUntil(() => drawn().includes("long"), "long drawn");
    queue.show(item("next", 60_000));
    queue.show(item("last", 60_000));
    // Without the shortening "long" would stay a minute; with it, both it and "next" leave soon.
    await pollUntil(() => drawn().includes("last") && queue.waiting === 0, "last drawn", 5_000);
    // Nothing waits behind "last": it keeps its minute.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(queue.visible).toBe(1);
    expect(document.querySelector('[data-id="last"]')).not.toBeNull();
    queue.dispose();
  });

  it("without a mounted <Toaster> nothing is drawn, and the queue does not wait for it forever", async () => {
    const queue = createToastQueue({ maxVisible: 1 });
    queue.show(item("x", 20));
    queue.show(item("y", 20));
    expect(queue.waiting).toBe(1);
    await pollUntil(() => queue.waiting === 0 && queue.visible === 0, "both given up", 5_000);
    queue.dispose();
  });

  it.each([{ maxVisible: 0 }, { maxVisible: 2.5 }, { maxVisible: 16 }, { backlogDurationMs: 0 }, { backlogDurationMs: Number.NaN }])("refuses %j with a typed error", (options) => {
    let error: unknown;
    try {
      createToastQueue(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).code).toBe("INVALID_ARGUMENT");
    expect((error as Error).message).toMatch(/toastQueue\.(maxVisible|backlogDurationMs)/);
  });
});
