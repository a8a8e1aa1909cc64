/**
 * Scaling out, in a real browser: two server processes (the real `server.ts`, production build)
 * sharing one throwaway Redis (`REDIS_URL`, the channel layer) and one throwaway PostgreSQL
 * (`DATABASE_URL`; two processes cannot share a PGlite directory). Alice's tab is connected to
 * server A, the send is made with the demo form on server B, and the toast appears on A.
 *
 * Needs `redis-server` and PostgreSQL (Debian's packages). Without them the suite is skipped
 * with the reason in its name and a console warning, except under CI (`CI` set), where it fails:
 * a green CI run must have run it.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { POSTGRES_INSTALL, startPostgresServer, type PostgresServer } from "../test/helpers/postgres-server";
import { REDIS_SERVER_VERSION, RedisTestServer } from "../test/helpers/redis-server";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";
import { RenderLog, type PageRecord } from "./support/render-log";

const SUITE = "two server processes on one Redis and one PostgreSQL";

const missing = [
  REDIS_SERVER_VERSION ? null : "redis-server is not installed (apt-get install -y redis-server)",
  POSTGRES_INSTALL ? null : "PostgreSQL is not installed or not usable (apt-get install -y postgresql; as root, a 'postgres' user and runuser)",
].filter((reason): reason is string => reason !== null);

let redis: RedisTestServer | undefined;
let pg: PostgresServer | undefined;
let serverA: AppServer | undefined;
let serverB: AppServer | undefined;
let contexts: BrowserContext[] = [];

/** Notification websocket URLs opened by each page, recorded from the page's creation on. */
const socketURLs = new WeakMap<Page, string[]>();

/** What each context's pages rendered: every toast shown, also after it timed out. */
const renderLogs = new WeakMap<BrowserContext, RenderLog>();

/**
 * A context whose pages record their notification websockets (so `signIn`'s page does too) and
 * every toast they render: counting on the record, not on the screen, a toast that timed out
 * while a loaded machine got to the fourth tab still counts as seen.
 */
async function newRecordingContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  renderLogs.set(context, await RenderLog.attach(context));
  context.on("page", (page) => {
    const urls: string[] = [];
    socketURLs.set(page, urls);
    page.on("websocket", (socket) => {
      if (socket.url().includes("/ws/notifications")) urls.push(socket.url());
    });
  });
  return context;
}

/** Waits until `page`'s socket is open and asserts every notification socket it opened went to `server`. */
async function expectConnectedTo(page: Page, server: AppServer): Promise<void> {
  await expectConnected(page);
  const port = new URL(server.url).port;
  const urls = socketURLs.get(page) ?? [];
  expect(urls.length, "the page opened a notification websocket").toBeGreaterThan(0);
  for (const url of urls) {
    expect(new URL(url).port, `websocket ${url} goes to this page's own server`).toBe(port);
    expect(url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/ws/notifications`));
  }
}

function rendered(page: Page): PageRecord {
  const log = renderLogs.get(page.context());
  if (!log) throw new Error("the page's context records nothing");
  return log.of(page);
}

/** Waits until `page` has shown a toast containing `text` (it may have gone since). */
async function shown(page: Page, text: string): Promise<void> {
  await rendered(page).until(`"${text}" was shown`, () => rendered(page).timesShown(text) > 0, 15_000);
}

function a(): AppServer {
  if (!serverA) throw new Error("server A is not running");
  return serverA;
}

function b(): AppServer {
  if (!serverB) throw new Error("server B is not running");
  return serverB;
}

/** The cast: alice on A (and a second tab of hers on B), carol on A, bob on B. */
interface Cast {
  aliceOnA: Page;
  aliceOnB: Page;
  carolOnA: Page;
  bobOnB: Page;
}

async function cast(browser: Browser): Promise<Cast> {
  const aliceContext = await newRecordingContext(browser);
  const carolContext = await newRecordingContext(browser);
  const bobContext = await newRecordingContext(browser);
  const aliceOnA = await signIn(aliceContext, a().url, "alice");
  // Same browser, same session cookie (cookies are per host, not per port; one AUTH_SECRET):
  // a second tab of alice's served by the other process, as behind a load balancer.
  const aliceOnB = await aliceContext.newPage();
  await aliceOnB.goto(b().url);
  await expect(aliceOnB.getByTestId("current-user")).toContainText("alice");
  const carolOnA = await signIn(carolContext, a().url, "carol");
  const bobOnB = await signIn(bobContext, b().url, "bob");
  await expectConnectedTo(aliceOnA, a());
  await expectConnectedTo(aliceOnB, b());
  await expectConnectedTo(carolOnA, a());
  await expectConnectedTo(bobOnB, b());
  return { aliceOnA, aliceOnB, carolOnA, bobOnB };
}

function body(): void {
  let tabs: Cast;

  test.beforeAll(async () => {
    // Two services and two production servers (with three users made by the CLI) to start.
    test.setTimeout(180_000);
    const [redisStarted, pgStarted] = await Promise.allSettled([RedisTestServer.start(), startPostgresServer("scale_e2e")]);
    if (redisStarted.status === "fulfilled") redis = redisStarted.value;
    if (pgStarted.status === "fulfilled") pg = pgStarted.value;
    if (!redis || !pg) {
      const reasons = [redisStarted, pgStarted].flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
      throw new Error(`could not start the services: ${reasons.join("; ")}`);
    }
    // Everything two processes of one deployment share: database, channel layer, secret, and
    // the demo's admins (bob and carol send to every audience). (startAppServer gives both the
    // same AUTH_SECRET.)
    const shared = { DATABASE_URL: pg.url, REDIS_URL: redis.url, DEMO_ADMIN_USERNAMES: "bob,carol" };
    // A first: its users are created (and the migrations applied) before B starts.
    serverA = await startAppServer({ users: ["alice", "bob", "carol"], env: shared });
    serverB = await startAppServer({ env: shared });
    expect(serverA.env.AUTH_SECRET).toBe(serverB.env.AUTH_SECRET);
    expect(serverA.url).not.toBe(serverB.url);
  });

  test.afterAll(async () => {
    test.setTimeout(90_000);
    await Promise.allSettled(contexts.map((context) => context.close()));
    contexts = [];
    // Servers before the services they use; every stop attempted even if another fails.
    const servers = await Promise.allSettled([serverA?.stop(), serverB?.stop()]);
    serverA = serverB = undefined;
    const services = await Promise.allSettled([redis?.dispose(), pg?.stop()]);
    redis = pg = undefined;
    const failures = [...servers, ...services].flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    if (failures.length > 0) throw new Error(`clean-up failed: ${failures.join("; ")}`);
  });

  test.beforeEach(async ({ browser }) => {
    tabs = await cast(browser);
  });

  test.afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
  });

  test.afterEach(async ({}, testInfo) => {
    // On failure, what the servers said is the first thing to read.
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach("server A output", { body: serverA?.output() ?? "(not started)", contentType: "text/plain" });
      await testInfo.attach("server B output", { body: serverB?.output() ?? "(not started)", contentType: "text/plain" });
    }
  });

  test("a message to alice sent through B shows in her tab on A (and her tab on B), and nowhere else", async () => {
    const { aliceOnA, aliceOnB, carolOnA, bobOnB } = tabs;
    const result = await sendFromDemo(bobOnB, { audience: "user", target: "alice", text: "Sent through process B", level: "success" });
    expect(result).toContain("Sent");
    await shown(aliceOnA, "Sent through process B");
    await expect(toasts(aliceOnA, "Sent through process B")).toHaveAttribute("data-level", "success");
    await shown(aliceOnB, "Sent through process B");

    // A later broadcast from B reaches everyone; by then carol and bob would have had alice's toast too.
    await sendFromDemo(bobOnB, { audience: "all", text: "Marker after alice's message" });
    for (const page of [carolOnA, bobOnB, aliceOnA]) await shown(page, "Marker after alice's message");
    for (const page of [carolOnA, bobOnB]) expect(rendered(page).timesShown("Sent through process B"), `"Sent through process B" shown on that tab`).toBe(0);
    // Once per tab, not once per process.
    expect(rendered(aliceOnA).timesShown("Sent through process B"), `"Sent through process B" shown on that tab`).toBe(1);
    expect(rendered(aliceOnB).timesShown("Sent through process B"), `"Sent through process B" shown on that tab`).toBe(1);
  });

  test("a broadcast to all sent through B reaches the tabs on A and on B, once each", async () => {
    const { aliceOnA, aliceOnB, carolOnA, bobOnB } = tabs;
    const result = await sendFromDemo(bobOnB, { audience: "all", text: "Everyone, from process B" });
    expect(result).toContain("Sent");
    for (const page of [aliceOnA, carolOnA, aliceOnB, bobOnB]) await shown(page, "Everyone, from process B");

    // A second broadcast arrives after the first on each socket: any duplicate of the first would be shown by now.
    await sendFromDemo(bobOnB, { audience: "all", text: "Second broadcast from B" });
    for (const page of [aliceOnA, carolOnA, aliceOnB, bobOnB]) {
      await shown(page, "Second broadcast from B");
      expect(rendered(page).timesShown("Everyone, from process B"), `"Everyone, from process B" shown on that tab`).toBe(1);
    }
  });

  test("the other way round: a message to bob sent through A shows in his tab on B only", async () => {
    const { aliceOnA, aliceOnB, carolOnA, bobOnB } = tabs;
    const result = await sendFromDemo(carolOnA, { audience: "user", target: "bob", text: "Carol on A says hi", level: "warning" });
    expect(result).toContain("Sent");
    await shown(bobOnB, "Carol on A says hi");
    await expect(toasts(bobOnB, "Carol on A says hi")).toHaveAttribute("data-level", "warning");

    await sendFromDemo(carolOnA, { audience: "authenticated", text: "Marker for members" });
    for (const page of [aliceOnA, aliceOnB, carolOnA, bobOnB]) await shown(page, "Marker for members");
    for (const page of [aliceOnA, aliceOnB, carolOnA]) expect(rendered(page).timesShown("Carol on A says hi"), `"Carol on A says hi" shown on that tab`).toBe(0);
  });

  test("a redirect sent through B moves alice's tabs on A and B, and not carol's or bob's", async () => {
    const { aliceOnA, aliceOnB, carolOnA, bobOnB } = tabs;
    await sendFromDemo(bobOnB, { audience: "user", target: "alice", kind: "redirect", url: "/tasks/redirected-across-processes" });
    await expect(aliceOnA).toHaveURL(`${a().url}/tasks/redirected-across-processes`);
    await expect(aliceOnB).toHaveURL(`${b().url}/tasks/redirected-across-processes`);

    await sendFromDemo(bobOnB, { audience: "all", text: "Marker after the redirect" });
    for (const page of [carolOnA, bobOnB]) await shown(page, "Marker after the redirect");
    await expect(carolOnA).toHaveURL(`${a().url}/`);
    await expect(bobOnB).toHaveURL(`${b().url}/`);
  });
}

if (missing.length === 0) {
  test.describe(SUITE, body);
} else if (process.env.CI) {
  test.describe(SUITE, () => {
    test(`needs its services: ${missing.join("; ")}`, () => {
      throw new Error(`${missing.join("; ")}; CI must run the scaling browser tests.`);
    });
  });
} else {
  console.warn(`\n!!! SKIPPING "${SUITE}": ${missing.join("; ")}. These tests run in CI. !!!\n`);
  test.describe(`${SUITE} [SKIPPED: ${missing.join("; ")}]`, () => {
    test.skip(true, missing.join("; "));
    body();
  });
}
