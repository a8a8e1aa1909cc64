// @vitest-environment happy-dom
/**
 * The provider's `session` prop (what `init` writes: `session={connection().then(() => auth())}`,
 * a promise the root layout does not await) and its development-time warnings, in a DOM (happy-dom) against a real
 * `ws` server: the children render before the session arrives, the socket opens for
 * `session.user.id` once it does, a refresh's new promise does not reconnect the same user, and a
 * session without an id or a refused socket each say once, in development, what to do.
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
import { resetDevWarnings } from "../../packages/next-channels-broadcast/src/client/dev-warnings";
import type { NotificationsSession } from "../../packages/next-channels-broadcast/src/client/session";
import { fakeRouter, pollUntil, providerElement, startServer } from "./helpers";
import type { TestServer } from "./helpers";

let server: TestServer;
let container: HTMLElement;
let root: Root | null;
const router = fakeRouter();

const $ = (selector: string) => container.querySelector<HTMLElement>(selector);
const stateOf = () => $('[data-testid="connection-state"]')?.dataset.state;

function render(element: ReactNode) {
  root ??= createRoot(container);
  flushSync(() => root!.render(createElement(AppRouterContext, { value: router }, element)));
}

/** A session promise the test settles when it wants, as `auth()` would be on the wire. */
function deferredSession() {
  let resolve!: (value: NotificationsSession | null) => void;
  const promise = new Promise<NotificationsSession | null>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** The provider as the root layout renders it with `session`, with a child that marks "rendered". */
const withSession = (session: unknown, extra: Record<string, unknown> = {}) =>
  providerElement({ userId: undefined, session: session as NotificationsSession, ...extra }, createElement("p", { id: "child" }, "page"));

/** Lets React commit and the provider's connect timer (next macrotask) fire. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

beforeEach(async () => {
  server = await startServer();
  const port = new URL(server.url).port;
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`http://127.0.0.1:${port}/dashboard`);
  container = document.createElement("div");
  document.body.append(container);
  resetDevWarnings();
});

afterEach(async () => {
  flushSync(() => root?.unmount());
  root = null;
  container.remove();
  toast.remove();
  await server.close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("session prop", () => {
  it("renders the children before the session promise settles, and connects as session.user.id once it does", async () => {
    const session = deferredSession();
    render(withSession(session.promise));
    expect($("#child")?.textContent).toBe("page");
    await settle();
    expect(server.upgrades).toBe(0);
    expect(stateOf()).toBe("idle");

    const ada = { id: "u7", name: "Ada" }; // Auth.js' session.user carries more than the id
    session.resolve({ user: ada });
    await pollUntil(() => stateOf() === "open", "open state");
    expect(server.connections).toHaveLength(1);
    expect($("#child")?.textContent).toBe("page");
  });

  it("server-renders the children while the session is pending (the shell does not wait for auth())", () => {
    const html = renderToString(createElement(AppRouterContext, { value: router }, withSession(deferredSession().promise)));
    expect(html).toContain('<p id="child">page</p>');
    expect(html).toContain('data-state="idle"');
  });

  it("keeps the socket across a refresh's new promise for the same user, and closes it when the session ends", async () => {
    render(withSession(Promise.resolve({ user: { id: "u7" } })));
    await pollUntil(() => stateOf() === "open", "open state");

    // router.refresh() renders the layout again: a new auth() promise, the same user.
    const refreshed = deferredSession();
    render(withSession(refreshed.promise));
    refreshed.resolve({ user: { id: "u7" } });
    await settle();
    expect(server.upgrades).toBe(1);
    expect(server.openCount()).toBe(1);

    render(withSession(Promise.resolve(null)));
    await server.until(() => server.openCount() === 0, "the socket closed after sign-out");
    await pollUntil(() => stateOf() === "idle", "idle state");
  });

  it("takes a plain session object too", async () => {
    render(withSession({ user: { id: "u8" } }));
    await pollUntil(() => stateOf() === "open", "open state");
    expect(server.connections).toHaveLength(1);
  });

  it("connects anonymously for a null session only when anonymous is enabled, and not before the session is known", async () => {
    const session = deferredSession();
    render(withSession(session.promise, { anonymousEnabled: true }));
    await settle();
    expect(server.upgrades).toBe(0);
    session.resolve(null);
    await pollUntil(() => stateOf() === "open", "open state");
    expect(server.upgrades).toBe(1);
  });
});

describe("development warnings", () => {
  it("a session with a user but no user.id: no socket, and one warning naming the session callback", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    render(withSession(Promise.resolve({ user: { name: "Ada", email: "ada@example.com" } })));
    await pollUntil(() => warn.mock.calls.length > 0, "the warning");
    const text = String(warn.mock.calls[0]![0]);
    expect(text).toContain("no user.id");
    expect(text).toContain("if (session.user && token.sub) session.user.id = token.sub;");

    render(withSession(Promise.resolve({ user: { name: "Ada" } })));
    await settle();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(server.upgrades).toBe(0);
  });

  it("a signed-out session (null) is not a mistake: no warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    render(withSession(Promise.resolve(null)));
    await settle();
    expect(warn).not.toHaveBeenCalled();
  });

  it("a refused socket: one warning with the reasons and this page's facts, however often it retries", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    server.refuse = true;
    render(providerElement({ userId: null, anonymousEnabled: true }));
    await server.until(() => server.upgrades >= 3, "three refused handshakes");
    expect(warn).toHaveBeenCalledTimes(1);
    const text = String(warn.mock.calls[0]![0]);
    expect(text).toContain(`ws://${window.location.host}/ws/notifications was refused`);
    expect(text).toContain(`this page is ${window.location.origin}`);
    expect(text).toContain("anonymous connections are off");
    expect(text).not.toContain("revoked");
  });

  it("a refused socket of a signed-in user names revocation, not anonymity", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    server.refuse = true;
    render(providerElement({ userId: "u1" }));
    await pollUntil(() => warn.mock.calls.length > 0, "the warning");
    const text = String(warn.mock.calls[0]![0]);
    expect(text).toContain('revoked (signed out elsewhere) or could not be read: this socket is user "u1"');
    expect(text).not.toContain("anonymous connections are off");
  });

  it("a socket that opened once and later drops (a restart) is not reported as refused", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    render(providerElement({ userId: "u1" }));
    await pollUntil(() => stateOf() === "open", "open state");
    server.refuse = true;
    server.connections[0]!.ws.terminate();
    await server.until(() => server.upgrades >= 3, "refused reconnects");
    expect(warn).not.toHaveBeenCalled();
  });

  it("says nothing in production", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    server.refuse = true;
    render(withSession(Promise.resolve({ user: { name: "Ada" } })));
    await settle();
    render(providerElement({ userId: "u1" }));
    await server.until(() => server.upgrades >= 2, "refused handshakes");
    expect(warn).not.toHaveBeenCalled();
  });
});
