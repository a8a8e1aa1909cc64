// @vitest-environment happy-dom
/**
 * The per-subscription state as a page sees it (happy-dom, a real `ws` server scripted by the
 * test): `<ChannelSubscription since getToken>`, `useChannelSubscription`'s returned state and
 * `useSubscription(channel)`, read from the registry outside React with `useSyncExternalStore`.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import type { ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { renderToString } from "react-dom/server";
import toast from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChannelSubscription, useChannelSubscription, useSubscription } from "../../src/notifications/client";
import type { NotificationsProviderProps, SubscriptionRequest } from "../../src/notifications/client";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
const router = fakeRouter();

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

const stateOf = () => container.querySelector<HTMLElement>('[data-testid="connection-state"]')?.dataset.state;
const text = (testId: string) => container.querySelector(`[data-testid="${testId}"]`)?.textContent;

async function renderOpen(props: Partial<NotificationsProviderProps>, ...children: ReactNode[]) {
  render(providerElement(props, ...children));
  await pollUntil(() => stateOf() === "open", "open state");
  return server.connections.at(-1)!;
}

/** Shows `useSubscription(channel)` as text: "status" or "status:reason". */
function ChannelStatus({ channel }: { channel: string }) {
  const state = useSubscription(channel);
  return createElement("output", { "data-testid": `channel-${channel}` }, "reason" in state ? `${state.status}:${state.reason}` : state.status);
}

/** Subscribes like a page and shows the request's own state. */
function Page(request: SubscriptionRequest) {
  const state = useChannelSubscription(request);
  return createElement("output", { "data-testid": "request" }, "reason" in state ? `${state.status}:${state.reason}` : state.status);
}

function token(channels: string[], tag: string): string {
  const payload = { v: 1, u: "u1", c: channels, exp: Math.floor(Date.now() / 1000) + 300 };
  return `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${tag}`;
}

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/jobs/1`);
  container = document.createElement("div");
  document.body.append(container);
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
});

describe("<ChannelSubscription getToken since>", () => {
  it("subscribes from the page's watermark; an expired token is refreshed through getToken without a gap; useSubscription follows", async () => {
    const old = token(["jobs-1"], "old");
    const fresh = token(["jobs-1"], "fresh");
    const calls: string[] = [];
    // A new function on every render, as a server action prop is: only the latest is called.
    const page = (version: string) =>
      createElement(ChannelSubscription, {
        token: old,
        since: 120,
        getToken: async () => {
          calls.push(version);
          return fresh;
        },
      });
    const connection = await renderOpen({ initialLastId: 100 }, createElement(ChannelStatus, { channel: "jobs-1" }), page("first render"));
    await connection.receivedCount(1);
    expect(connection.received[0]).toEqual({ type: "subscribe", ref: "s1", token: old, lastId: 120 });
    // The token's payload names the channel, so its state is known before any answer.
    expect(text("channel-jobs-1")).toBe("subscribing");

    render(providerElement({ initialLastId: 100 }, createElement(ChannelStatus, { channel: "jobs-1" }), page("second render")));
    connection.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "expired" }] });
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", token: fresh, lastId: 120 },
      { type: "unsubscribe", ref: "s1" },
    ]);
    expect(calls).toEqual(["second render"]);
    connection.send({ type: "subscribed", ref: "s2", channels: ["jobs-1"], granted: ["jobs-1"] });
    await pollUntil(() => text("channel-jobs-1") === "subscribed", "subscribed", 5_000, () => String(text("channel-jobs-1")));
    expect(server.upgrades).toBe(1);
  });

  it("a new since or getToken on re-render does not re-subscribe; a new token does", async () => {
    const connection = await renderOpen({}, createElement(ChannelSubscription, { channels: ["articles-1"], since: 5, getToken: async () => "x.y" }));
    await connection.receivedCount(1);
    render(providerElement({}, createElement(ChannelSubscription, { channels: ["articles-1"], since: 9, getToken: async () => "x.z" })));
    render(providerElement({}, createElement(ChannelSubscription, { channels: ["articles-1"], since: 9, token: token(["jobs-1"], "t") })));
    await connection.receivedCount(3);
    expect(connection.received).toEqual([
      { type: "subscribe", ref: "s1", channels: ["articles-1"], lastId: 5 },
      { type: "subscribe", ref: "s2", channels: ["articles-1"], token: token(["jobs-1"], "t"), lastId: 9 },
      { type: "unsubscribe", ref: "s1" },
    ]);
  });
});

describe("useChannelSubscription and useSubscription", () => {
  it("return each request's and channel's state, with the server's reasons", async () => {
    const connection = await renderOpen(
      {},
      createElement(Page, { channels: ["articles-1", "articles-2"] }),
      createElement(ChannelStatus, { channel: "articles-1" }),
      createElement(ChannelStatus, { channel: "articles-2" }),
      createElement(ChannelStatus, { channel: "articles-3" }),
    );
    await connection.receivedCount(1);
    expect(text("request")).toBe("subscribing");
    expect(text("channel-articles-1")).toBe("subscribing");
    expect(text("channel-articles-3")).toBe("idle"); // nothing on this tab asks for it

    connection.send({ type: "subscribed", ref: "s1", channels: ["articles-2"], granted: ["articles-2"], refused: [{ reason: "denied", channel: "articles-1" }] });
    await pollUntil(() => text("request") === "subscribed", "answered");
    expect(text("channel-articles-1")).toBe("refused:denied");
    expect(text("channel-articles-2")).toBe("subscribed");

    // The socket drops: every request waits for the next one.
    connection.ws.close(1012);
    await pollUntil(() => text("channel-articles-2") === "subscribing", "back to subscribing");
    const second = await server.connection(1);
    await second.receivedCount(1);
    second.send({ type: "subscribed", ref: "s1", channels: [], granted: [], refused: [{ reason: "unavailable" }] });
    await pollUntil(() => text("request") === "error:unavailable", "error while the layer is down");
    expect(text("channel-articles-2")).toBe("error:unavailable");
    await second.receivedCount(2); // retried after the provider's backoff (10 ms in these tests)
    second.send({ type: "subscribed", ref: "s1", channels: ["articles-1", "articles-2"], granted: ["articles-1", "articles-2"] });
    await pollUntil(() => text("channel-articles-1") === "subscribed", "granted after the retry");
    expect(text("request")).toBe("subscribed");

    render(providerElement({}, createElement(ChannelStatus, { channel: "articles-1" })));
    await second.receivedCount(3);
    expect(second.received[2]).toEqual({ type: "unsubscribe", ref: "s1" });
    await pollUntil(() => text("channel-articles-1") !== "subscribing", "released");
    // The socket still lists the channel until the server answers the release.
    second.send({ type: "subscribed", ref: "s1", channels: [], granted: [] });
    await pollUntil(() => text("channel-articles-1") === "idle", "idle after the release");
  });

  it("server-renders an idle state without touching the network", () => {
    const html = renderToString(
      createElement(AppRouterContext, { value: router }, providerElement({}, createElement(Page, { channels: ["articles-1"] }), createElement(ChannelStatus, { channel: "articles-1" }))),
    );
    expect(html).toContain('data-testid="request">idle<');
    expect(html).toContain('data-testid="channel-articles-1">idle<');
    expect(server.upgrades).toBe(0);
  });
});
