// @vitest-environment happy-dom
/**
 * Issue 3's browser pieces in a DOM (happy-dom) against a real `ws` server: `<ChannelSubscription>`
 * across navigations on one socket, the provider's `initialLastId` watermark, and the chime that
 * never plays before a user gesture.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import type { ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { renderToString } from "react-dom/server";
import toast from "react-hot-toast";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ChannelSubscription,
  CHIME_NOTES,
  createChime,
  useSubscribedChannels,
} from "../../src/notifications/client";
import type { NotificationsProviderProps } from "../../src/notifications/client";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
const router = fakeRouter();

const until = pollUntil;

const stateOf = () => container.querySelector<HTMLElement>('[data-testid="connection-state"]')?.dataset.state;
const toasts = () => [...document.querySelectorAll<HTMLElement>('[data-testid="notification-toast"]')];

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

const provider = providerElement;

async function renderOpen(props: Partial<NotificationsProviderProps> = {}, ...children: ReactNode[]) {
  render(provider(props, ...children));
  await until(() => stateOf() === "open", "open state");
  return server.connections.at(-1)!;
}

/** Shows the channels the provider believes the socket holds. */
function Held() {
  return createElement("output", { "data-testid": "held" }, useSubscribedChannels().join(","));
}
const held = () => container.querySelector('[data-testid="held"]')?.textContent;

const message = (id: number, text = `m${id}`) => ({ type: "message", id, text, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/articles/1`);
  container = document.createElement("div");
  document.body.append(container);
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("<ChannelSubscription>", () => {
  it("article 1 → article 2 on the same socket: subscribes 2, then releases 1; leaving releases 2", async () => {
    const connection = await renderOpen({}, createElement(ChannelSubscription, { channels: ["articles-1"] }));
    await connection.receivedCount(1);
    expect(connection.received).toEqual([{ type: "subscribe", ref: "s1", channels: ["articles-1"] }]);
    expect(container.innerHTML).not.toContain("articles-1"); // renders nothing

    render(provider({}, createElement(ChannelSubscription, { channels: ["articles-1"] }))); // same page re-rendered: no frame
    render(provider({}, createElement(ChannelSubscription, { channels: ["articles-2"] })));
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", channels: ["articles-2"] },
      { type: "unsubscribe", ref: "s1" },
    ]);

    render(provider({})); // navigated to a page without channels
    await connection.receivedCount(4);
    expect(connection.received[3]).toEqual({ type: "unsubscribe", ref: "s2" });
    expect(server.upgrades).toBe(1);
  });

  it("a new token (new page) subscribes the new one, then releases the old one by its ref", async () => {
    const connection = await renderOpen({}, createElement(Held), createElement(ChannelSubscription, { token: "token-for-job-1" }));
    await connection.receivedCount(1);
    expect(connection.received[0]).toEqual({ type: "subscribe", ref: "s1", token: "token-for-job-1" });
    connection.send({ type: "subscribed", ref: "s1", channels: ["jobs-1"], granted: ["jobs-1"] });
    await until(() => held() === "jobs-1", "the answer reached the provider");

    render(provider({}, createElement(Held), createElement(ChannelSubscription, { token: "token-for-job-2" })));
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", token: "token-for-job-2" },
      { type: "unsubscribe", ref: "s1" },
    ]);
    expect(server.upgrades).toBe(1);
  });

  it("a token page left before the server answered is released by its ref at once; the late answer asks for nothing", async () => {
    const connection = await renderOpen({}, createElement(ChannelSubscription, { token: "token-for-job-1" }));
    await connection.receivedCount(1);
    render(provider({}, createElement(ChannelSubscription, { channels: ["articles-2"] })));
    await connection.receivedCount(3);
    expect(connection.received.slice(1)).toEqual([
      { type: "subscribe", ref: "s2", channels: ["articles-2"] },
      { type: "unsubscribe", ref: "s1" },
    ]);
    connection.send({ type: "subscribed", ref: "s1", channels: ["jobs-1", "articles-2"], granted: ["jobs-1"] });
    connection.send({ type: "subscribed", ref: "s2", channels: ["jobs-1", "articles-2"], granted: ["articles-2"] });
    connection.send({ type: "subscribed", ref: "s1", channels: ["articles-2"], granted: [] });
    await until(() => stateOf() === "open" && connection.received.length === 3, "answers handled");
    // A round trip on the same socket: had the answers prompted a frame, it would have come before this ack.
    connection.send({ ...message(1), ack: true });
    await connection.receivedCount(4);
    expect(connection.received[3]).toEqual({ type: "ack", ids: [1] });
  });

  it("server-renders to nothing and touches no network", () => {
    const html = renderToString(createElement(AppRouterContext, { value: router }, provider({}, createElement(ChannelSubscription, { channels: ["articles-1"], token: "t" }))));
    expect(html).not.toContain("articles-1");
    expect(server.upgrades).toBe(0);
  });
});

describe("initialLastId", () => {
  it("the first connect carries the server-rendered watermark; reconnects carry the highest id settled", async () => {
    const first = await renderOpen({ initialLastId: 42, settleMs: 0 });
    expect(first.url).toBe("/ws/notifications?lastId=42");
    first.send(message(40)); // an unacked inbox row below the watermark is still shown
    first.send(message(57));
    await until(() => toasts().length === 2, "two toasts");
    first.ws.close(1012);
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected");
    expect(server.connections[1]!.url).toBe("/ws/notifications?lastId=57");
  });

  it("without a watermark or ids the URL has no lastId; a later, higher watermark prop raises it", async () => {
    const first = await renderOpen();
    expect(first.url).toBe("/ws/notifications");
    render(provider({ initialLastId: 9 }));
    first.ws.close(1012);
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected");
    expect(server.connections[1]!.url).toBe("/ws/notifications?lastId=9");
  });

  it("a newer watermark rendered while disconnected does not make the reconnect skip what was missed", async () => {
    const slow = { initialMs: 60_000, jitter: 0 };
    const first = await renderOpen({ backoff: slow, initialLastId: 5 });
    first.ws.close(1012);
    await until(() => stateOf() === "reconnecting", "reconnecting");
    render(provider({ backoff: slow, initialLastId: 9 }));
    window.dispatchEvent(new Event("online")); // retry now instead of in a minute
    await until(() => server.connections.length === 2 && stateOf() === "open", "reconnected");
    expect(server.connections[1]!.url).toBe("/ws/notifications?lastId=5");
  });
});

/** A stand-in for the browser's AudioContext that records what the chime does. */
function fakeAudio() {
  const log = { created: 0, resumed: 0, closed: 0, notes: [] as number[] };
  class FakeAudioContext {
    state = "suspended";
    currentTime = 0;
    destination = {};
    constructor() {
      log.created += 1;
    }
    resume() {
      log.resumed += 1;
      this.state = "running";
      return Promise.resolve();
    }
    close() {
      log.closed += 1;
      this.state = "closed";
      return Promise.resolve();
    }
    createOscillator() {
      return {
        type: "",
        frequency: { setValueAtTime: (value: number) => log.notes.push(value) },
        connect: () => {},
        start: () => {},
        stop: () => {},
      };
    }
    createGain() {
      const noop = () => {};
      return { gain: { setValueAtTime: noop, linearRampToValueAtTime: noop, exponentialRampToValueAtTime: noop }, connect: noop };
    }
  }
  return { log, FakeAudioContext };
}

describe("chime", () => {
  it("createChime: silent and without an AudioContext before a gesture; a four-note arpeggio after", async () => {
    const { log, FakeAudioContext } = fakeAudio();
    const target = new EventTarget();
    let now = 0;
    const chime = createChime({ target, AudioContext: FakeAudioContext, now: () => now });
    chime.play();
    expect(log).toEqual({ created: 0, resumed: 0, closed: 0, notes: [] });

    target.dispatchEvent(new Event("keydown"));
    await Promise.resolve();
    expect(log.created).toBe(1);
    expect(log.resumed).toBe(1);
    chime.play();
    expect(log.notes).toEqual([...CHIME_NOTES]);
    expect(CHIME_NOTES).toHaveLength(4);
    expect([...CHIME_NOTES].sort((a, b) => a - b)).toEqual([...CHIME_NOTES]); // rising

    chime.play(); // a burst chimes once
    expect(log.notes).toHaveLength(4);
    now += 1_000;
    chime.play();
    expect(log.notes).toHaveLength(8);

    target.dispatchEvent(new Event("pointerdown")); // one context per chime
    expect(log.created).toBe(1);
    chime.dispose();
    expect(log.closed).toBe(1);
    target.dispatchEvent(new Event("pointerdown"));
    chime.play();
    expect(log.created).toBe(1);
    expect(log.notes).toHaveLength(8);
  });

  it("the provider with chime: no AudioContext before a gesture even as toasts arrive; chimes after one", async () => {
    const { log, FakeAudioContext } = fakeAudio();
    vi.stubGlobal("AudioContext", FakeAudioContext);
    const connection = await renderOpen({ chime: true });
    connection.send(message(1, "before any gesture"));
    await until(() => toasts().length === 1, "first toast");
    expect(log.created).toBe(0);
    expect(log.notes).toEqual([]);

    window.dispatchEvent(new Event("pointerdown"));
    await until(() => log.resumed === 1, "context resumed");
    expect(log.created).toBe(1);
    connection.send(message(2, "after a click"));
    await until(() => toasts().length === 2, "second toast");
    expect(log.notes).toEqual([...CHIME_NOTES]);

    flushSync(() => root!.unmount());
    root = null;
    expect(log.closed).toBe(1);
  });

  it("the provider without chime (the default) never creates an AudioContext", async () => {
    const { log, FakeAudioContext } = fakeAudio();
    vi.stubGlobal("AudioContext", FakeAudioContext);
    const connection = await renderOpen();
    window.dispatchEvent(new Event("pointerdown"));
    window.dispatchEvent(new Event("keydown"));
    connection.send(message(3));
    await until(() => toasts().length === 1, "toast");
    expect(log.created).toBe(0);
  });

  it("works where there is no WebAudio at all", async () => {
    vi.stubGlobal("AudioContext", undefined);
    const connection = await renderOpen({ chime: true });
    window.dispatchEvent(new Event("pointerdown"));
    connection.send(message(4));
    await until(() => toasts().length === 1, "toast");
  });
});
