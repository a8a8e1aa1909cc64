// @vitest-environment happy-dom
/**
 * Typed events and live refresh in a DOM (happy-dom), the provider connected to a real `ws`
 * server: `useEvent` gets parsed, typed data and drops what does not parse (warning, no throw);
 * `<LiveRefresh>` refreshes once per burst, skips its own origin, waits while hidden. The
 * scheduler's timing is unit-tested with fake timers and a fake visibility source.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement, useState } from "react";
import type { ReactNode } from "react";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { flushSync } from "react-dom";
import { renderToString } from "react-dom/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createEventHooks, createRefreshScheduler, defineEvents, getTabId, LiveRefresh, RefreshOriginField, REFRESH_ORIGIN_FIELD } from "../../packages/next-channels-broadcast/src/client";
import type { VisibilitySource } from "../../packages/next-channels-broadcast/src/client";
import { refreshOriginOf } from "../../packages/next-channels-broadcast/src/server/send";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

const events = defineEvents({
  "job.status": z.object({ status: z.enum(["queued", "running", "done"]), percent: z.number().default(0) }),
});
const { useEvent } = createEventHooks(events);

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
let refreshes: number;
const router = fakeRouter({ refresh: () => (refreshes += 1) });

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/jobs/1`);
  container = document.createElement("div");
  document.body.append(container);
  refreshes = 0;
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  await server.close();
  vi.restoreAllMocks();
});

function JobStatus() {
  const [seen, setSeen] = useState<string[]>([]);
  useEvent("job.status", (data, meta) => setSeen((previous) => [...previous, `${data.status}:${data.percent}@${meta.channel}`]), { channel: "jobs-1" });
  return createElement("p", { "data-testid": "statuses" }, seen.join(","));
}

const text = (testId: string) => container.querySelector(`[data-testid="${testId}"]`)?.textContent ?? "";

describe("useEvent", () => {
  it("hands the handler data parsed by the schema (defaults applied), only for its event and channel; drops invalid data with a warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    render(providerElement({}, createElement(JobStatus)));
    const connection = await server.connection(0);
    connection.send({ type: "event", event: "job.status", channel: "jobs-1", data: { status: "running" } });
    connection.send({ type: "event", event: "job.status", channel: "jobs-2", data: { status: "done" } });
    connection.send({ type: "event", event: "other.event", channel: "jobs-1", data: {} });
    connection.send({ type: "event", event: "job.status", channel: "jobs-1", data: { status: "exploded" } });
    connection.send({ type: "event", event: "job.status", channel: "jobs-1", id: 5, data: { status: "done", percent: 100 } });
    await pollUntil(() => text("statuses").includes("done"), "the last event");
    expect(text("statuses")).toBe("running:0@jobs-1,done:100@jobs-1");
    expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringContaining('Dropped event "job.status": its data does not match the schema (status:')]);
  });

  it("a durable event seen twice (replay, then live) reaches the handler once", async () => {
    render(providerElement({}, createElement(JobStatus)));
    const connection = await server.connection(0);
    const frame = { type: "event", event: "job.status", channel: "jobs-1", id: 9, data: { status: "queued" } };
    connection.send(frame);
    connection.send(frame);
    connection.send({ ...frame, id: 10, data: { status: "done" } });
    await pollUntil(() => text("statuses").includes("done"), "the marker event");
    expect(text("statuses")).toBe("queued:0@jobs-1,done:0@jobs-1");
  });
});

describe("<LiveRefresh>", () => {
  it("refreshes for its channel, not for others, and not for the refresh its own tab caused", async () => {
    render(providerElement({}, createElement(LiveRefresh, { channel: "articles-1", coalesceMs: 20 }), createElement(JobStatus)));
    const connection = await server.connection(0);
    connection.send({ type: "refresh", channel: "articles-2" });
    connection.send({ type: "refresh", channel: "articles-1", origin: getTabId() });
    connection.send({ type: "refresh", channel: "articles-1", origin: "another-tab" });
    // A marker on the same socket: everything before it was handled.
    connection.send({ type: "event", event: "job.status", channel: "jobs-1", data: { status: "done" } });
    await pollUntil(() => text("statuses").includes("done"), "the marker");
    expect(refreshes).toBe(1);
  });

  it("a burst of ten refreshes re-renders at most twice", async () => {
    render(providerElement({}, createElement(LiveRefresh, { channel: "articles-1", coalesceMs: 300 })));
    const connection = await server.connection(0);
    for (let i = 0; i < 10; i++) connection.send({ type: "refresh", channel: "articles-1" });
    await pollUntil(() => refreshes === 2, "the trailing refresh", 3_000);
    expect(refreshes).toBe(2);
  });
});

describe("RefreshOriginField and refreshOriginOf", () => {
  it("renders empty on the server, carries this tab's id once hydrated, and the server reads it back", async () => {
    expect(renderToString(createElement(RefreshOriginField))).toBe(`<input type="hidden" name="${REFRESH_ORIGIN_FIELD}" value=""/>`);
    render(createElement("form", { "data-testid": "form" }, createElement(RefreshOriginField)));
    const form = container.querySelector("form")!;
    const data = new FormData(form);
    expect(getTabId()).toMatch(/^[A-Za-z0-9-]+$/);
    expect(data.get(REFRESH_ORIGIN_FIELD)).toBe(getTabId());
    expect(refreshOriginOf(data)).toBe(getTabId());
    expect(refreshOriginOf(new FormData())).toBeNull();
  });
});

describe("createRefreshScheduler", () => {
  function fakeVisibility(hidden: boolean) {
    const listeners = new Set<() => void>();
    const source: VisibilitySource & { hidden: boolean; show(): void } = {
      hidden,
      isHidden: () => source.hidden,
      onVisible(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      show() {
        source.hidden = false;
        for (const listener of listeners) listener();
      },
    };
    return source;
  }

  it("refreshes at once, then once at the end of the window however many came in it, then at once again", () => {
    vi.useFakeTimers();
    try {
      let count = 0;
      const scheduler = createRefreshScheduler({ refresh: () => (count += 1), coalesceMs: 1_000, visibility: fakeVisibility(false) });
      scheduler.request();
      expect(count).toBe(1);
      for (let i = 0; i < 9; i++) scheduler.request();
      expect(count).toBe(1);
      vi.advanceTimersByTime(1_000);
      expect(count).toBe(2);
      vi.advanceTimersByTime(1_000);
      expect(count).toBe(2);
      scheduler.request();
      expect(count).toBe(3);
      scheduler.dispose();
      scheduler.request();
      vi.advanceTimersByTime(5_000);
      expect(count).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("while hidden it only remembers; shown, it refreshes once", () => {
    vi.useFakeTimers();
    try {
      let count = 0;
      const visibility = fakeVisibility(true);
      const scheduler = createRefreshScheduler({ refresh: () => (count += 1), coalesceMs: 1_000, visibility });
      for (let i = 0; i < 5; i++) scheduler.request();
      vi.advanceTimersByTime(10_000);
      expect(count).toBe(0);
      visibility.show();
      expect(count).toBe(1);
      vi.advanceTimersByTime(10_000);
      expect(count).toBe(1);
      scheduler.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
