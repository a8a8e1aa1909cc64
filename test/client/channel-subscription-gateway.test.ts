// @vitest-environment happy-dom
/**
 * `<ChannelSubscription>` in a DOM against the REAL gateway: a server page re-rendered by
 * `router.refresh()` hands it a freshly issued token for the same channel, and the tab must not
 * lose the channel, not even between the two frames the swap takes.
 *
 * The browser socket is the `ws` client behind a gate: while closed, frames the provider sends are
 * held, and the test lets them through one at a time, publishing before, between and after them.
 * The gateway handles a socket's frames in order and answers each after it took effect, so a
 * publish after an answer meets exactly the state that answer describes.
 */
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement, useEffect } from "react";
import type { ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import type { Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ChannelSubscription, NotificationsProvider, useNotificationClient } from "../../packages/next-channels-broadcast/src/client";
import type { WebSocketConstructor } from "../../packages/next-channels-broadcast/src/client";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { issueSubscriptionToken } from "../../packages/next-channels-broadcast/src/server/auth/tokens";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { startTestGateway, watchedMemoryLayer, type TestGateway } from "../helpers/gateway-server";
import { fakeRouter, pollUntil } from "./helpers";
import { sessionCookie, TEST_SECRET } from "../helpers/sessions";

const router = fakeRouter();

let server: TestGateway;
let left: string[];
let container: HTMLElement;
let root: Root | null = null;
/** Every frame the provider saw, in order. */
let frames: ServerFrame[];

/** Holds the frames the browser socket sends while `holding`, until `pass()` lets one through. */
const gate = {
  holding: false,
  held: [] as string[],
  /** Frames that reached the server, parsed. */
  passed: [] as unknown[],
  pass: (): void => {},
};

async function gatedBrowser(userId: string): Promise<WebSocketConstructor> {
  const cookie = await sessionCookie(userId);
  class GatedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { cookie } });
      gate.pass = () => {
        const text = gate.held.shift();
        if (text === undefined) throw new Error("no frame held");
        gate.passed.push(JSON.parse(text));
        super.send(text);
      };
    }

    override send(text: string): void {
      if (gate.holding) gate.held.push(text);
      else {
        gate.passed.push(JSON.parse(text));
        super.send(text);
      }
    }
  }
  return GatedWebSocket as unknown as WebSocketConstructor;
}

const until = (condition: () => boolean, what: string) => pollUntil(condition, what, 5_000, () => `frames: ${JSON.stringify(frames)}`);

function Record() {
  const client = useNotificationClient();
  useEffect(() => client.addFrameListener((frame) => frames.push(frame)), [client]);
  return null;
}

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

/** The root layout with a page holding `token`, or with a page that subscribes nothing. */
function page(WebSocketImpl: WebSocketConstructor, token: string | null) {
  return createElement(
    NotificationsProvider,
    { userId: "alice", WebSocket: WebSocketImpl, toaster: false, backoff: { initialMs: 10, jitter: 0 } },
    createElement(Record),
    token === null ? null : createElement(ChannelSubscription, { token }),
  );
}

const texts = () => frames.flatMap((frame) => (frame.type === "message" ? [frame.text] : []));
/** Waits for the `count`-th answer to `ref` (a release is answered with the ref it released). */
const answered = (ref: string, count: number) =>
  until(() => frames.filter((frame) => frame.type === "subscribed" && frame.ref === ref).length >= count, `answer #${count} to ${ref}`);

let markers = 0;
async function settle(): Promise<void> {
  const marker = `marker-${(markers += 1)}`;
  await api.sendToUser("alice", marker);
  await until(() => texts().includes(marker), marker);
}

beforeEach(async () => {
  const watched = watchedMemoryLayer();
  left = watched.left;
  server = await startTestGateway({}, { tokenSecret: TEST_SECRET, layer: watched.layer }); // deny-all: only tokens grant
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/articles/1`);
  container = document.createElement("div");
  document.body.append(container);
  frames = [];
  gate.holding = false;
  gate.held = [];
  gate.passed = [];
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  await server.close();
});

describe("<ChannelSubscription> re-rendered with a new token for the same channel", () => {
  it("sends subscribe(new) before unsubscribe(ref old), and no message sent during the swap is lost", async () => {
    const WebSocketImpl = await gatedBrowser("alice");
    const issue = (ttl: number) => issueSubscriptionToken({ user: "alice", channels: ["articles-1"], secret: TEST_SECRET, ttl });
    const first = issue(300);
    render(page(WebSocketImpl, first));
    await answered("s1", 1);
    expect(gate.passed).toEqual([{ type: "subscribe", ref: "s1", token: first }]);

    const sent: string[] = [];
    const publish = async (text: string) => {
      sent.push(text);
      await api.sendToChannel("articles-1", text);
    };
    await publish("before the refresh");

    // router.refresh() after posting a comment: the server page issues another token string.
    const second = issue(600);
    expect(second).not.toBe(first);
    gate.holding = true;
    render(page(WebSocketImpl, second));
    await until(() => gate.held.length === 2, "both swap frames");
    expect(gate.held.map((text) => JSON.parse(text))).toEqual([
      { type: "subscribe", ref: "s2", token: second },
      { type: "unsubscribe", ref: "s1" },
    ]);
    await publish("swap frames not sent yet");

    gate.pass();
    await answered("s2", 1);
    await publish("between subscribe(new) and the old release");
    gate.pass();
    await answered("s1", 2);
    await publish("after the old release");
    gate.holding = false;

    await settle();
    expect(texts().filter((text) => sent.includes(text))).toEqual(sent);
    // The socket never left the channel's group, so its layer subscription never flapped.
    expect(left).not.toContain("articles-1");
    expect(server.gateway.groupSize("articles-1")).toBe(1);
    const last = frames.filter((frame) => frame.type === "subscribed").at(-1);
    expect(last).toEqual({ type: "subscribed", ref: "s1", channels: ["articles-1"], granted: [] });

    // Leaving the page releases the new request, and with it the channel.
    render(page(WebSocketImpl, null));
    await answered("s2", 2);
    expect(gate.passed.at(-1)).toEqual({ type: "unsubscribe", ref: "s2" });
    expect(server.gateway.groupSize("articles-1")).toBe(0);
    expect(server.gateway.connectionCount()).toBe(1);
  });
});
