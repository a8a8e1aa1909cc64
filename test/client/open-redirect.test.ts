// @vitest-environment happy-dom
/**
 * The provider in a DOM (happy-dom) against a real `ws` server that sends what a hostile or
 * older server could: redirects and toast URLs from the open-redirect family. Nothing reaches the
 * router or `location.assign` but paths that stay on the site. (Chromium does the same end to end
 * in `e2e/open-redirect.spec.ts`.)
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { flushSync } from "react-dom";
import toast from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeRouter, pollUntil, providerElement, startServer, type ServerConnection, type TestServer } from "./helpers";
import { HOSTILE_RELATIVE_URLS, HOSTILE_URLS } from "../fixtures/hostile-urls";

let server: TestServer;
let container: HTMLElement;
let root: Root | null = null;
let pushes: string[];
let assigns: string[];
const router = fakeRouter({ push: (href) => pushes.push(href) });
const $$ = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/dashboard`);
  container = document.createElement("div");
  document.body.append(container);
  pushes = [];
  assigns = [];
  vi.spyOn(window.location, "assign").mockImplementation((url: string | URL) => void assigns.push(String(url)));
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
  vi.restoreAllMocks();
});

async function open(): Promise<ServerConnection> {
  root = createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, providerElement({}))));
  await pollUntil(() => document.querySelector('[data-testid="connection-state"]')?.getAttribute("data-state") === "open", "open state");
  return server.connections.at(-1)!;
}

describe("hostile frames from the server", () => {
  it("no redirect of the family moves the tab; a safe one after them still does", async () => {
    const connection = await open();
    for (const { url } of HOSTILE_URLS) connection.send({ type: "redirect", url });
    connection.send({ type: "redirect", url: "/after-the-hostile-ones" });
    await pollUntil(() => pushes.length > 0, "the safe redirect");
    expect(pushes).toEqual(["/after-the-hostile-ones"]);
    expect(assigns).toEqual([]);
    expect(console.warn).toHaveBeenCalledTimes(HOSTILE_URLS.length);
  });

  it("a redirect to another origin, absolute, is not followed either", async () => {
    const connection = await open();
    connection.send({ type: "redirect", url: "https://evil.example/" });
    connection.send({ type: "redirect", url: "/marker" });
    await pollUntil(() => pushes.length > 0, "the marker redirect");
    expect(pushes).toEqual(["/marker"]);
    expect(assigns).toEqual([]);
  });

  it.each(HOSTILE_RELATIVE_URLS)("a toast whose click and close URLs are $url is text, and its close button goes nowhere", async ({ url }) => {
    const connection = await open();
    connection.send({ type: "message", text: "hostile", cssClass: "info", clickURL: url, closeURL: url, hideCloseOption: false });
    await pollUntil(() => $$('[data-testid="notification-toast"]').length === 1, "the toast");
    const shown = $$('[data-testid="notification-toast"]')[0]!;
    expect(shown.querySelector("a")).toBeNull();
    shown.querySelector<HTMLElement>("span:not([aria-hidden])")!.click();
    shown.querySelector<HTMLElement>('[aria-label="Dismiss notification"]')!.click();
    expect(pushes).toEqual([]);
    expect(assigns).toEqual([]);
  });

  it("a toast link shows and pushes the rebuilt path", async () => {
    const connection = await open();
    connection.send({ type: "message", text: "ok", cssClass: "info", clickURL: "/a/./b/../c?x=1", closeURL: null, hideCloseOption: false });
    await pollUntil(() => $$('[data-testid="notification-toast-link"]').length === 1, "the link");
    const link = $$('[data-testid="notification-toast-link"]')[0]! as HTMLAnchorElement;
    expect(link.getAttribute("href")).toBe("/a/c?x=1");
    link.click();
    expect(pushes).toEqual(["/a/c?x=1"]);
  });
});
