/**
 * Replay and recovery in a real browser, against the production build on PGlite:
 *
 * - a message sent to alice while she has no tab open appears when she opens the app, once —
 *   also across a reconnect; dismissed, a reload does not bring it back (the ack was recorded);
 * - the page's server-rendered watermark: a broadcast sent between rendering and subscribing
 *   is recovered by the first connect;
 * - a broadcast sent while the server restarts and alice's tab is disconnected is recovered by
 *   her reconnect, through `?lastId=`.
 *
 * How the tests control timing without sleeping: alice's notification sockets are routed
 * through Playwright (`routeWebSocket`). While the gate is open a socket is connected to the
 * real server at once and the server's frames are recorded on the way; while it is held a
 * new socket stays "connecting" and has not reached the server. Holding a socket is what a
 * slow network, or the backoff delay after a restart, does — except that here the test decides
 * when it ends, so "sent while she was disconnected" is a fact, not a hope about timing.
 * Everything else is real: the server's replay, the client's `lastId`, dedupe and acks.
 *
 * "Once" is checked as the user would see it: an init script counts every toast element ever
 * added to alice's page, so a second copy — stacked, or re-shown after the first was
 * dismissed or had timed out — would count twice, however long toasts stay on screen.
 */
import { expect, test, type Browser, type BrowserContext, type Page, type WebSocketRoute } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";

interface RoutedSocket {
  /** The URL the page opened, `?lastId=` included. */
  url: string;
  /** Text frames the server sent on it, in order (recorded only once it is connected). */
  frames: string[];
  route: WebSocketRoute;
}

/** Routes a context's notification sockets through the test: recorded, and held on demand. */
class SocketGate {
  readonly sockets: RoutedSocket[] = [];
  private held: { promise: Promise<void>; open: () => void } | null = null;
  private heldWaiters: (() => void)[] = [];
  private heldCount = 0;

  static async install(context: BrowserContext): Promise<SocketGate> {
    const gate = new SocketGate();
    await context.routeWebSocket(/\/ws\/notifications/, (route) => gate.handle(route));
    return gate;
  }

  private async handle(route: WebSocketRoute): Promise<void> {
    const socket: RoutedSocket = { url: route.url(), frames: [], route };
    this.sockets.push(socket);
    const held = this.held;
    if (held) {
      this.heldCount += 1;
      for (const resolve of this.heldWaiters.splice(0)) resolve();
      await held.promise;
    }
    const server = route.connectToServer();
    server.onMessage((message) => {
      socket.frames.push(typeof message === "string" ? message : message.toString("utf8"));
      route.send(message);
    });
  }

  /** From now on, new sockets wait (page state "connecting") until `release()`. */
  hold(): void {
    let open: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.held = { promise, open };
    this.heldCount = 0;
  }

  /** Resolves once a socket is being held; returns it. */
  async waitUntilHeld(): Promise<RoutedSocket> {
    if (this.heldCount === 0) await new Promise<void>((resolve) => this.heldWaiters.push(resolve));
    return this.sockets.at(-1)!;
  }

  /** Lets the held socket(s) through to the server, and every later one at once. */
  release(): void {
    this.held?.open();
    this.held = null;
  }

  /** Closes the current socket at both ends, as a dropped connection would. */
  async drop(): Promise<void> {
    await this.sockets.at(-1)!.route.close({ code: 4000, reason: "test: connection dropped" });
  }

  /** Resolves once the `index`th socket got its `hello` (its replay, if any, came before it). */
  async hello(index: number): Promise<RoutedSocket> {
    await expect.poll(() => this.sockets[index]?.frames.some((frame) => frame.includes('"type":"hello"')) ?? false).toBe(true);
    return this.sockets[index]!;
  }
}

/** Message frames on `socket` whose text is `text`, and where they stand relative to `hello`. */
function framesOf(socket: RoutedSocket, text: string): { count: number; beforeHello: boolean; id: number | undefined } {
  const parsed = socket.frames.map((frame) => JSON.parse(frame) as { type: string; text?: string; id?: number });
  const hello = parsed.findIndex((frame) => frame.type === "hello");
  const matches = parsed.flatMap((frame, index) => (frame.type === "message" && frame.text === text ? [{ index, id: frame.id }] : []));
  return { count: matches.length, beforeHello: matches.length > 0 && matches.every((match) => hello === -1 || match.index < hello), id: matches[0]?.id };
}

/** `lastId` of a socket URL, or null when it has none. */
function lastIdOf(socket: RoutedSocket): number | null {
  const raw = new URL(socket.url).searchParams.get("lastId");
  return raw === null ? null : Number(raw);
}

/** Counts every notification toast ever added to the DOM of each page of `context`. */
async function countToastsShown(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const shown: string[] = [];
    (window as unknown as { __toastsShown: string[] }).__toastsShown = shown;
    const record = (node: Node) => {
      if (!(node instanceof Element)) return;
      const selector = '[data-testid="notification-toast"]';
      for (const toast of node.matches(selector) ? [node] : [...node.querySelectorAll(selector)]) shown.push(toast.textContent ?? "");
    };
    new MutationObserver((mutations) => {
      for (const mutation of mutations) mutation.addedNodes.forEach(record);
    }).observe(document, { childList: true, subtree: true });
  });
}

/** How many toasts containing `text` were ever shown on `page` (since its last load). */
async function timesShown(page: Page, text: string): Promise<number> {
  return page.evaluate((wanted) => (window as unknown as { __toastsShown: string[] }).__toastsShown.filter((shown) => shown.includes(wanted)).length, text);
}

let app: AppServer;
const contexts: BrowserContext[] = [];
let run = 0;

/** Texts unique to one test, so rows left by an earlier test can never be mistaken for them. */
function unique(text: string): string {
  return `${text} #${run}`;
}

async function aliceWithGate(browser: Browser): Promise<{ context: BrowserContext; gate: SocketGate }> {
  const context = await browser.newContext();
  contexts.push(context);
  await countToastsShown(context);
  return { context, gate: await SocketGate.install(context) };
}

async function bobPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const bob = await signIn(context, app.url, "bob");
  await expectConnected(bob);
  return bob;
}

test.describe("replay and recovery (PGlite)", () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    // bob sends to alice and to everyone, which only admins may do.
    app = await startAppServer({ users: ["alice", "bob"], env: { DEMO_ADMIN_USERNAMES: "bob" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });
  test.beforeEach(() => {
    run += 1;
  });
  test.afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  test("sent while alice has no tab open: shown once when she opens the app, also across a reconnect; dismissed, a reload does not bring it back", async ({ browser }) => {
    const OFFLINE = unique("Your export is ready");
    const { context, gate } = await aliceWithGate(browser);

    // Alice signs in, but her socket never reaches the server, and she closes the tab: the
    // server has never had a socket of hers open when the message is sent.
    gate.hold();
    const signingIn = await signIn(context, app.url, "alice");
    await gate.waitUntilHeld();
    await signingIn.close();
    gate.release();

    const bob = await bobPage(browser);
    expect(await sendFromDemo(bob, { audience: "user", target: "alice", text: OFFLINE, level: "error" })).toContain("Sent to user:");

    // (a) She opens the app: the stored message is replayed to her new socket, before hello.
    const alice = await context.newPage();
    await alice.goto(app.url);
    await expectConnected(alice);
    const first = gate.sockets.length - 1;
    await gate.hello(first);
    await expect(toasts(alice, OFFLINE)).toHaveCount(1);
    expect(framesOf(gate.sockets[first]!, OFFLINE)).toMatchObject({ count: 1, beforeHello: true });
    const id = framesOf(gate.sockets[first]!, OFFLINE).id!;
    await expect(toasts(alice, OFFLINE)).toHaveAttribute("data-notification-id", String(id));

    // The connection drops once; the client reconnects on its own, saying the last id it saw.
    await gate.drop();
    await expect.poll(() => gate.sockets.length).toBe(first + 2);
    const second = await gate.hello(first + 1);
    await expectConnected(alice);
    expect(lastIdOf(second)).toBeGreaterThanOrEqual(id);
    // A marker sent after the reconnect: once it is shown, any second copy would have been too.
    const afterReconnect = unique("Marker after the reconnect");
    await sendFromDemo(bob, { audience: "user", target: "alice", text: afterReconnect });
    await expect(toasts(alice, afterReconnect)).toHaveCount(1);
    expect(await timesShown(alice, OFFLINE)).toBe(1);

    // (b) She dismisses it. The client acknowledged it when it arrived; a reload — a fresh
    // page with no memory of ids it saw — proves the server recorded that.
    if ((await toasts(alice, OFFLINE).count()) > 0) {
      await toasts(alice, OFFLINE).getByRole("button", { name: "Dismiss notification" }).click();
    }
    await expect(toasts(alice, OFFLINE)).toHaveCount(0);
    await alice.reload();
    await expectConnected(alice);
    const reloaded = await gate.hello(gate.sockets.length - 1);
    const afterReload = unique("Marker after the reload");
    await sendFromDemo(bob, { audience: "user", target: "alice", text: afterReload });
    await expect(toasts(alice, afterReload)).toHaveCount(1);
    expect(await timesShown(alice, OFFLINE)).toBe(0);
    expect(framesOf(reloaded, OFFLINE).count).toBe(0);
  });

  test("the server-rendered watermark: a broadcast sent between rendering the page and subscribing is recovered", async ({ browser }) => {
    const BETWEEN = unique("Sent between render and subscribe");
    const { context, gate } = await aliceWithGate(browser);
    const alice = await signIn(context, app.url, "alice");
    await expectConnected(alice);
    const bob = await bobPage(browser);

    // The page is rendered (with the newest id as its watermark); its socket is held before
    // it reaches the server; a broadcast goes out; then the socket subscribes.
    gate.hold();
    await alice.reload();
    const held = await gate.waitUntilHeld();
    const watermark = lastIdOf(held);
    expect(watermark, `the first socket of a fresh page carries the watermark: ${held.url}`).not.toBeNull();
    await sendFromDemo(bob, { audience: "authenticated", text: BETWEEN });
    await expect(toasts(bob, BETWEEN)).toHaveCount(1); // it really went out, live
    gate.release();

    await expectConnected(alice);
    const socket = await gate.hello(gate.sockets.length - 1);
    await expect(toasts(alice, BETWEEN)).toHaveCount(1);
    const recovered = framesOf(socket, BETWEEN);
    expect(recovered).toMatchObject({ count: 1, beforeHello: true });
    expect(recovered.id!).toBeGreaterThan(watermark!);
  });

  test("the server restarts (SIGTERM → 1012) and a broadcast goes out before alice's tab is back: her reconnect recovers it", async ({ browser }) => {
    const BEFORE = unique("Before the restart");
    const DURING = unique("Sent while alice was disconnected");
    const { context, gate } = await aliceWithGate(browser);
    const alice = await signIn(context, app.url, "alice");
    await expectConnected(alice);
    const bob = await bobPage(browser);
    await sendFromDemo(bob, { audience: "all", text: BEFORE });
    await expect(toasts(alice, BEFORE)).toHaveCount(1);
    const seen = Number(await toasts(alice, BEFORE).getAttribute("data-notification-id"));

    // Stop the server (its gateway closes every socket with 1012) and start it again on the
    // same port and PGlite directory. Alice's tab reconnects after its backoff delay; that
    // reconnect is held, as a slower network or a longer delay would keep it away.
    gate.hold();
    await app.restart();
    const held = await gate.waitUntilHeld();
    await expect(alice.getByTestId("connection-state")).not.toHaveAttribute("data-state", "open");

    // The broadcast is sent by the restarted server while alice has no socket on it: only
    // recovery can bring it to her (it is not an inbox row: broadcasts are replayed only to a
    // socket that reports, with ?lastId=, the last id it saw).
    const bobAgain = await bob.context().newPage();
    await bobAgain.goto(app.url);
    expect(await sendFromDemo(bobAgain, { audience: "all", text: DURING })).toContain("Sent to all");
    // The reconnect reports the tab's settled position: an id counts only once it was held 2.5 s
    // on an open socket (another process may still have owed a lower one), so BEFORE, seen just
    // before the restart, may not be counted yet — then the server sends it again.
    const reported = lastIdOf(held);
    expect(reported).not.toBeNull();
    gate.release();

    await expectConnected(alice);
    const socket = await gate.hello(gate.sockets.length - 1);
    await expect(toasts(alice, DURING)).toHaveCount(1);
    expect(framesOf(socket, DURING)).toMatchObject({ count: 1, beforeHello: true });
    // What she had already seen is sent again only when her position did not cover it yet, and
    // either way it is shown once (dedupe by id).
    expect(framesOf(socket, BEFORE).count).toBe(reported! >= seen ? 0 : 1);
    expect(await timesShown(alice, BEFORE)).toBe(1);
  });
});
