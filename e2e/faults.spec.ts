/**
 * Fault injection, counted on the screen: "nothing lost, nothing shown twice" on every path a
 * socket can take (issue #13). Each scenario breaks one thing while messages keep coming, and
 * then counts what the page RENDERED — every toast ever added to the DOM (`support/render-log.ts`),
 * also after it timed out, a second showing counted twice — against what was sent.
 *
 * The setup is a deployment in miniature: two server processes of the demo (`server.ts`,
 * production build) on ONE Redis (the channel layer) and ONE PostgreSQL (the store). The
 * browser talks to process A; every message is published THROUGH PROCESS B's HTTP publish
 * endpoint at a steady rate (5 a second, see RATE_PER_SECOND), each a unique numbered text. The
 * publisher retries a 502/503 with the same Idempotency-Key, as a well-behaved publisher does
 * (`support/steady-publisher.ts`). Faults are timed by the stream itself ("after 10 messages",
 * "until 10 attempts were refused"), and every wait is for an event: a toast, a socket opening,
 * a server being ready. Draining a paced backlog waits as long as toasts keep appearing (see
 * `waitForDelivery`).
 *
 * Scenarios: gateway restart (SIGTERM), gateway `kill -9`, Redis restart with the tab
 * connected, a network drop (a TCP proxy that resets every connection and refuses new ones),
 * client-side navigation between two article channels, an 80-message inbox backlog opened at
 * once, and a broadcast during a restart. In the first four the tab is on `/articles/1` and the
 * messages cycle through three audiences it belongs to — its user's inbox, the article's page
 * channel, and `authenticated` — so one fault exercises every recovery path at once; the
 * failure message breaks losses down per audience.
 *
 * Needs `redis-server` and PostgreSQL (Debian's packages). Without them the suite is skipped
 * with the reason in its name and a console warning, except under CI, where it fails.
 */
import { expect, test, type Browser, type BrowserContext, type Page, type TestInfo } from "@playwright/test";
import { POSTGRES_INSTALL, startPostgresServer, type PostgresServer } from "../test/helpers/postgres-server";
import { REDIS_SERVER_VERSION, RedisTestServer } from "../test/helpers/redis-server";
import { startAppServer, type AppServer } from "./support/app-server";
import { describePage, expectExactlyOnce, judgeDelivery, waitForDelivery, type Verdict } from "./support/delivery-verdict";
import { expectConnected, signIn } from "./support/pages";
import { RenderLog, type PageRecord } from "./support/render-log";
import { SteadyPublisher, type Publication, type PublishTarget } from "./support/steady-publisher";
import { startTcpProxy, type TcpProxy } from "../test/helpers/tcp-proxy";

const SUITE = "faults: every message rendered exactly once (two processes, Redis, PostgreSQL)";

const missing = [
  REDIS_SERVER_VERSION ? null : "redis-server is not installed (apt-get install -y redis-server)",
  POSTGRES_INSTALL ? null : "PostgreSQL is not installed or not usable (apt-get install -y postgresql; as root, a 'postgres' user and runuser)",
].filter((reason): reason is string => reason !== null);

const API_KEY = "fault-suite-publish-key-0123456789abcdef";
/** One user per scenario, so no scenario's unacknowledged inbox rows show up in another's tab. */
const USERS = {
  restart: "rita",
  kill: "kim",
  redis: "reda",
  drop: "dora",
  navigation: "nora",
  backlog: "bella",
  broadcastA1: "alice",
  broadcastA2: "bob",
  broadcastB: "carol",
} as const;
/** Unique per run; with the scenario's name it starts every text. */
const RUN = Date.now().toString(36);

/**
 * Messages a second in every stream. The probes used 10; the suite uses 5 because the
 * client shows at most 2.5 toasts a second (5 on screen, 2 s each while others wait), so a tab
 * back from a 20-30 s outage spends longer draining than the fault lasted, and the drain is
 * most of the suite's time. At 5 a second every fault window still gets dozens of messages.
 */
const RATE_PER_SECOND = 5;
/**
 * Drain time allowed per message sent, on top of 30 s. The client paces toasts (at most 5 on
 * screen, 2 s each while others wait: 2.5 a second), so a tab that was away for a while shows
 * its backlog for a while; the test waits for it rather than for a fixed time.
 */
const DRAIN_MS_PER_MESSAGE = 600;

/** Time to let `count` messages drain on one tab; extends the test's timeout by as much. */
function drainAllowance(testInfo: TestInfo, count: number): number {
  const capMs = 30_000 + count * DRAIN_MS_PER_MESSAGE;
  testInfo.setTimeout(testInfo.timeout + capMs);
  return capMs;
}

/** Messages sent before a fault starts. */
const BEFORE_FAULT = 10;
/** Messages sent after the tab is back (the last of them arrives live, which is what we await first). */
const AFTER_RECOVERY = 10;

let redis: RedisTestServer | undefined;
/** Process A reaches Redis through this proxy, so its connection can stay down longer than Redis does. */
let redisPathOfA: TcpProxy | undefined;
let pg: PostgresServer | undefined;
let serverA: AppServer | undefined;
let serverB: AppServer | undefined;
let contexts: BrowserContext[] = [];

function a(): AppServer {
  if (!serverA) throw new Error("server A is not running");
  return serverA;
}
function b(): AppServer {
  if (!serverB) throw new Error("server B is not running");
  return serverB;
}
function redisPath(): TcpProxy {
  if (!redisPathOfA) throw new Error("the proxy between A and Redis is not running");
  return redisPathOfA;
}
function redisServer(): RedisTestServer {
  if (!redis) throw new Error("Redis is not running");
  return redis;
}

interface Tab {
  page: Page;
  record: PageRecord;
}

/** Signs `username` in on `server` in a fresh context that records what its pages render; opens `path`. */
async function openTab(browser: Browser, username: string, { server = a(), path = "/" }: { server?: AppServer; path?: string } = {}): Promise<Tab> {
  const context = await browser.newContext();
  contexts.push(context);
  const log = await RenderLog.attach(context);
  const page = await signIn(context, server.url, username);
  if (path !== "/") await page.goto(`${server.url}${path}`);
  await expectConnected(page);
  return { page, record: log.of(page) };
}

/** `expectLive` with room for a loaded machine: the subscription may wait on a replay. */
async function untilLive(page: Page, channel: string): Promise<void> {
  const badge = page.getByTestId("channel-live");
  await expect(badge).toHaveAttribute("data-channel", channel, { timeout: 30_000 });
  await expect(badge).toHaveAttribute("data-live", "true", { timeout: 30_000 });
}

/** Waits until the page opened a new notification socket after `since` and shows it open. */
async function untilReconnected(tab: Tab, since: number): Promise<void> {
  await tab.record.until("the tab opened a new socket", () => tab.record.socketsOpenedSince(since).length > 0, 45_000);
  await expectConnected(tab.page);
}

/** The audiences a tab on `/articles/1` signed in as `username` belongs to, in turn. */
function mixedAudiences(username: string): (n: number) => PublishTarget {
  const targets: PublishTarget[] = [
    { audience: `user ${username}`, fields: { audience: "user", username } },
    { audience: "articles-1", fields: { audience: "object", object: "articles:1" } },
    { audience: "authenticated", fields: { audience: "authenticated" } },
  ];
  return (n) => targets[n % targets.length]!;
}

function publisher(scenario: string, target: (n: number) => PublishTarget): SteadyPublisher {
  return new SteadyPublisher({ baseUrl: b().url, apiKey: API_KEY, tag: `${scenario}-${RUN}`, ratePerSecond: RATE_PER_SECOND, target });
}

/** Stops the stream and checks the publisher itself got every message through (else the test setup is broken, not delivery). */
async function finish(stream: SteadyPublisher): Promise<Publication[]> {
  await stream.stop();
  expect(
    stream.failed().map((publication) => `${publication.text}: ${publication.failure}`),
    "the publisher got every message accepted by process B (with retries)",
  ).toEqual([]);
  return stream.confirmed();
}

/** Records the scenario's outcome where the report (and the lead) can read it. */
function note(testInfo: TestInfo, who: string, verdict: Verdict): void {
  const line = `${testInfo.title} — ${who}: ${verdict.summary}`;
  testInfo.annotations.push({ type: "delivery", description: line });
  console.log(`[faults] ${line}`);
}

/** Waits for `tab` to render `sent`, then asserts exactly once each. */
async function expectEveryMessageOnce(testInfo: TestInfo, who: string, tab: Tab, sent: Publication[]): Promise<void> {
  await waitForDelivery(tab.record, sent, { capMs: drainAllowance(testInfo, sent.length) });
  const verdict = judgeDelivery(tab.record, sent, [], await describePage(tab.page));
  note(testInfo, who, verdict);
  expectExactlyOnce(verdict, who);
}

function body(): void {
  test.beforeAll(async () => {
    // Two services, nine users made by the CLI, two production servers.
    test.setTimeout(240_000);
    const [redisStarted, pgStarted] = await Promise.allSettled([RedisTestServer.start(), startPostgresServer("faults_e2e")]);
    if (redisStarted.status === "fulfilled") redis = redisStarted.value;
    if (pgStarted.status === "fulfilled") pg = pgStarted.value;
    if (!redis || !pg) {
      const reasons = [redisStarted, pgStarted].flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
      throw new Error(`could not start the services: ${reasons.join("; ")}`);
    }
    const shared = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      // Recovery limits, stated. The window is the default (2 minutes; no scenario lasts that
      // long). The counts are raised from 100: a restart on a loaded 2-core machine plus the
      // client's reconnect backoff (1, 2, 4, 8, 16 s) can keep a tab away for 30 s and more,
      // i.e. well over 100 messages, a third of them to the user's inbox, and the suite tests
      // delivery, not those caps (past them the oldest inbox rows and the newest missed rows
      // are what one connect sends, by design).
      NOTIFICATIONS_RECOVERY_WINDOW_MS: "120000",
      NOTIFICATIONS_RECOVERY_MAX_MESSAGES: "1000",
      NOTIFICATIONS_INBOX_REPLAY_MAX: "1000",
    };
    redisPathOfA = await startTcpProxy({ host: "127.0.0.1", port: redis.port });
    serverA = await startAppServer({ users: Object.values(USERS), env: { ...shared, REDIS_URL: `redis://127.0.0.1:${redisPathOfA.port}` } });
    // B only publishes: the API key turns its endpoint on, the rate is above what the suite sends.
    serverB = await startAppServer({ env: { ...shared, NOTIFICATIONS_API_KEY: API_KEY, NOTIFICATIONS_API_RATE_PER_SECOND: "1000" } });
  });

  test.afterAll(async () => {
    test.setTimeout(90_000);
    await Promise.allSettled(contexts.map((context) => context.close()));
    contexts = [];
    const servers = await Promise.allSettled([serverA?.stop(), serverB?.stop()]);
    serverA = serverB = undefined;
    const services = await Promise.allSettled([redisPathOfA?.close(), redis?.dispose(), pg?.stop()]);
    redisPathOfA = undefined;
    redis = pg = undefined;
    const failures = [...servers, ...services].flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
    if (failures.length > 0) throw new Error(`clean-up failed: ${failures.join("; ")}`);
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach("server A output", { body: serverA?.output() ?? "(not started)", contentType: "text/plain" });
      await testInfo.attach("server B output", { body: serverB?.output() ?? "(not started)", contentType: "text/plain" });
    }
    await Promise.allSettled(contexts.map((context) => context.close()));
    contexts = [];
    // A scenario that failed half-way may have left a part down: the next one starts whole.
    if (redis && !(await redis.ping())) await redis.restart();
    await redisPathOfA?.restore();
    if (serverA && !serverA.isRunning()) await serverA.start();
  });

  // The counter itself, first: it must be able to see a duplicate, or every green scenario
  // below would prove nothing.
  test("the counter counts what a person sees: a message once, the same text sent as two messages twice, an idempotent retry once", async ({ browser }) => {
    const username = USERS.broadcastB;
    const tab = await openTab(browser, username);
    const tag = `counter-${RUN}`;
    const post = async (text: string, key: string) => {
      const response = await fetch(`${b().url}/api/notifications/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ audience: "user", username, text, level: "info" }),
      });
      expect(response.status, `publishing ${text}`).toBe(200);
      return ((await response.json()) as { id?: number }).id;
    };
    await post(`${tag} once`, `${tag}-1`);
    const first = await post(`${tag} twice`, `${tag}-2`);
    const second = await post(`${tag} twice`, `${tag}-3`);
    expect(second, "two keys, two stored messages").not.toBe(first);
    const original = await post(`${tag} retried`, `${tag}-4`);
    expect(await post(`${tag} retried`, `${tag}-4`), "a retry with the same key answers the original id").toBe(original);
    await post(`${tag} marker`, `${tag}-5`);
    await tab.record.until("the marker is shown", () => tab.record.timesShown(`${tag} marker`) > 0, 30_000);
    // Everything sent before the marker has arrived on the same socket by now.
    expect(tab.record.timesShown(`${tag} once`)).toBe(1);
    expect(tab.record.timesShown(`${tag} twice`)).toBe(2);
    expect(tab.record.timesShown(`${tag} retried`)).toBe(1);
  });

  test("gateway restart (SIGTERM of process A) while sends continue through B", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const tab = await openTab(browser, USERS.restart, { path: "/articles/1" });
    await untilLive(tab.page, "articles-1");
    const stream = publisher("restart", mixedAudiences(USERS.restart));
    stream.start();
    await stream.untilStarted(BEFORE_FAULT);
    const faultAt = Date.now();
    await a().restart();
    await untilReconnected(tab, faultAt);
    await untilLive(tab.page, "articles-1");
    await stream.untilStarted(stream.publications.length + AFTER_RECOVERY);
    const sent = await finish(stream);
    await expectEveryMessageOnce(testInfo, "the tab on A", tab, sent);
  });

  test("gateway kill -9 of process A, then started again, while sends continue through B", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const tab = await openTab(browser, USERS.kill, { path: "/articles/1" });
    await untilLive(tab.page, "articles-1");
    const stream = publisher("kill9", mixedAudiences(USERS.kill));
    stream.start();
    await stream.untilStarted(BEFORE_FAULT);
    const faultAt = Date.now();
    await a().kill("SIGKILL");
    await a().start();
    await untilReconnected(tab, faultAt);
    await untilLive(tab.page, "articles-1");
    await stream.untilStarted(stream.publications.length + AFTER_RECOVERY);
    const sent = await finish(stream);
    await expectEveryMessageOnce(testInfo, "the tab on A", tab, sent);
  });

  /*
   * After a Redis restart, processes reconnect each on their own schedule. Here process A's
   * connection comes back after B's, for certain: A reaches Redis through a proxy that is cut
   * with the outage and restored only once B has published 10 messages on the restarted Redis.
   * Those 10 went out while A's subscriber was away; the tab on A, which stays connected, must
   * still show them (the layer's catch-up when it is restored), and everything else once.
   */
  test("Redis restart while the tab stays connected; A's Redis connection comes back after B's (the publisher retries its 502s)", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const tab = await openTab(browser, USERS.redis, { path: "/articles/1" });
    await untilLive(tab.page, "articles-1");
    const stream = publisher("redis", mixedAudiences(USERS.redis));
    stream.start();
    await stream.untilStarted(BEFORE_FAULT);
    await Promise.all([redisServer().stop(), redisPath().cut()]);
    // Down until the publisher has seen it (10 refused attempts), then for 5 more messages.
    await stream.untilRefused(10);
    await stream.untilStarted(stream.publications.length + 5);
    await redisServer().restart();
    const backAt = Date.now();
    // B publishes on the restarted Redis while A's subscriber is still cut off.
    await stream.untilConfirmedAfter(backAt, 10);
    await redisPath().restore();
    await stream.untilStarted(stream.publications.length + AFTER_RECOVERY);
    const sent = await finish(stream);
    await expectEveryMessageOnce(testInfo, "the tab on A", tab, sent);
  });

  test("network drop between the browser and process A (a TCP proxy resets everything and refuses connections)", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(a().url).port) });
    try {
      // Signed in on A directly (the cookie is per host, not per port), then the app is used through the proxy only.
      const tab = await openTab(browser, USERS.drop);
      await tab.page.goto(`${proxy.url}/articles/1`);
      await expectConnected(tab.page);
      await untilLive(tab.page, "articles-1");
      expect(tab.record.sockets.at(-1)?.url, "the page's socket goes through the proxy").toContain(`127.0.0.1:${proxy.port}/ws/notifications`);
      const stream = publisher("drop", mixedAudiences(USERS.drop));
      stream.start();
      await stream.untilStarted(BEFORE_FAULT);
      const faultAt = Date.now();
      await proxy.cut();
      await tab.record.until("the tab saw its socket drop", () => tab.record.sockets.some((socket) => socket.closedAt !== null && socket.closedAt >= faultAt), 15_000);
      // The network stays down for 15 messages' worth (3 s); the tab's reconnect attempts are refused.
      await stream.untilStarted(stream.publications.length + 15);
      await proxy.restore();
      await untilReconnected(tab, faultAt);
      await untilLive(tab.page, "articles-1");
      await stream.untilStarted(stream.publications.length + AFTER_RECOVERY);
      const sent = await finish(stream);
      await expectEveryMessageOnce(testInfo, "the tab behind the proxy", tab, sent);
    } finally {
      await proxy.close();
    }
  });

  /*
   * What a tab navigating between two articles must show. A navigation to article C starts with
   * the click (`leftAt` of the article being left). The server renders page C — and may read a
   * watermark there: what is at or below it counts as already on the page — and has finished
   * when its whole RSC response is out, `renderedAt`. Only then can the browser show page C and
   * subscribe to C's channel (live at `liveAt`). For a message to `articles-C`, its send taken
   * from request start to answer:
   *
   * - sent within [renderedAt, leftAt) — after page C was rendered, before the tab left it —
   *   it must be shown EXACTLY ONCE. That includes the navigation itself, [renderedAt, liveAt):
   *   the page is rendered but its channel not live yet, so the message can reach the tab only
   *   by the recovery that runs when the channel is joined.
   * - any other message (to C while the tab was on the other article, between the click and the
   *   render, or straddling the click away) is not required; if shown — recovered from the tab's
   *   position, or a frame in flight as the tab left — then AT MOST ONCE.
   *
   * The navigation window is made certain, not hoped for: the test holds each navigation's RSC
   * response (already complete from the server) and, before handing it to the page, sends one
   * message to C and waits for B's answer. The first visit counts from its channel being live.
   */
  test("client-side navigation between two articles while both articles' channels get messages", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const tab = await openTab(browser, USERS.navigation, { path: "/articles/1" });
    await untilLive(tab.page, "articles-1");
    const toArticle = (id: number): PublishTarget => ({ audience: `articles-${id}`, fields: { audience: "object", object: `articles:${id}` } });
    const stream = publisher("navigation", (n) => toArticle(n % 2 === 0 ? 2 : 1));

    interface Visit {
      article: number;
      renderedAt: number;
      liveAt: number;
      leftAt: number;
    }
    const visits: Visit[] = [];
    let visit: Visit = { article: 1, renderedAt: Date.now(), liveAt: Date.now(), leftAt: Number.POSITIVE_INFINITY };
    /** Set while a navigation to that article is under way: its RSC response is held once. */
    let navigatingTo: { article: number; renderedAt: number | null } | null = null;
    await tab.page.route(
      (url) => /^\/articles\/\d+$/.test(url.pathname),
      async (route) => {
        const headers = route.request().headers();
        const article = Number(new URL(route.request().url()).pathname.split("/").pop());
        const navigation = navigatingTo;
        // Only the navigation's own RSC request (not a prefetch, not a document load) is held.
        if (headers["rsc"] !== "1" || headers["next-router-prefetch"] !== undefined || navigation?.article !== article || navigation.renderedAt !== null) {
          return route.continue();
        }
        const response = await route.fetch();
        const body = await response.body();
        navigation.renderedAt = Date.now();
        // Page C is rendered; its channel cannot be live before the page has this response.
        await stream.publish(toArticle(article));
        await route.fulfill({ response, body });
      },
    );

    stream.start();
    for (let navigation = 0; navigation < 4; navigation += 1) {
      await stream.untilStarted(stream.publications.length + 8);
      const next = visit.article === 1 ? 2 : 1;
      const going = { article: next, renderedAt: null as number | null };
      navigatingTo = going;
      visit.leftAt = Date.now();
      visits.push(visit);
      await tab.page.getByTestId(`article-link-${next}`).click();
      await untilLive(tab.page, `articles-${next}`);
      navigatingTo = null;
      expect(going.renderedAt, `the navigation to article ${next} fetched its page (RSC) and the test held it`).not.toBeNull();
      visit = { article: next, renderedAt: going.renderedAt!, liveAt: Date.now(), leftAt: Number.POSITIVE_INFINITY };
    }
    await stream.untilStarted(stream.publications.length + 8);
    const sent = await finish(stream);
    visits.push(visit);

    const visitOf = (publication: Publication) =>
      visits.find(
        (candidate) =>
          publication.audience === `articles-${candidate.article}` &&
          publication.startedAt >= candidate.renderedAt &&
          (publication.confirmedAt ?? Number.POSITIVE_INFINITY) < candidate.leftAt,
      );
    const required = sent.filter((publication) => visitOf(publication) !== undefined);
    const tolerated = sent.filter((publication) => visitOf(publication) === undefined);
    const duringNavigation = required.filter((publication) => {
      const of = visitOf(publication)!;
      return visits.indexOf(of) > 0 && publication.startedAt <= of.liveAt;
    });

    await waitForDelivery(tab.record, required, { capMs: drainAllowance(testInfo, required.length + tolerated.length) });
    const clock = (at: number) => (Number.isFinite(at) ? new Date(at).toISOString().slice(11, 23) : "end");
    const timeline = visits.map((of) => `article ${of.article}: rendered ${clock(of.renderedAt)} live ${clock(of.liveAt)} left ${clock(of.leftAt)}`).join("; ");
    const verdict = judgeDelivery(tab.record, required, tolerated, `${await describePage(tab.page)}\nvisits: ${timeline}`);
    note(testInfo, `the navigating tab (${duringNavigation.length} required messages sent mid-navigation)`, verdict);
    expectExactlyOnce(verdict, "the navigating tab");
  });

  test("an 80-message inbox backlog opened at once: all render once each, and the socket is not cut", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const stream = publisher("backlog", () => ({ audience: `user ${USERS.backlog}`, fields: { audience: "user", username: USERS.backlog } }));
    // Sent while bella has no tab open, one after the other as fast as B answers.
    for (let i = 0; i < 80; i += 1) await stream.publish({ audience: `user ${USERS.backlog}`, fields: { audience: "user", username: USERS.backlog } });
    const sent = await finish(stream);
    expect(sent).toHaveLength(80);

    const tab = await openTab(browser, USERS.backlog);
    await waitForDelivery(tab.record, sent, { capMs: drainAllowance(testInfo, sent.length) });
    const verdict = judgeDelivery(tab.record, sent, [], await describePage(tab.page));
    note(testInfo, "bella's tab", verdict);
    const closed = tab.record.sockets.filter((socket) => socket.closedAt !== null);
    // Soft: a cut socket and lost toasts are two findings; the report should show both.
    expect.soft(
      closed.map((socket) => `closed with ${socket.closeCode}${socket.closeCode === 1008 ? " (policy violation: the server cut the client off)" : ""} ${socket.closeReason ?? ""}`),
      "the socket that replayed the backlog stayed open",
    ).toEqual([]);
    expectExactlyOnce(verdict, "bella's tab");
  });

  test("a broadcast (audience all) during a restart of process A reaches every tab exactly once", async ({ browser }, testInfo) => {
    test.setTimeout(120_000);
    const onA1 = await openTab(browser, USERS.broadcastA1);
    const onA2 = await openTab(browser, USERS.broadcastA2);
    const onB = await openTab(browser, USERS.broadcastB, { server: b() });
    const stream = publisher("broadcast", () => ({ audience: "all", fields: { audience: "all" } }));
    stream.start();
    await stream.untilStarted(BEFORE_FAULT);
    const faultAt = Date.now();
    await a().restart();
    await untilReconnected(onA1, faultAt);
    await untilReconnected(onA2, faultAt);
    await stream.untilStarted(stream.publications.length + AFTER_RECOVERY);
    const sent = await finish(stream);

    const tabs: [string, Tab][] = [
      [`${USERS.broadcastA1}'s tab on A`, onA1],
      [`${USERS.broadcastA2}'s tab on A`, onA2],
      [`${USERS.broadcastB}'s tab on B`, onB],
    ];
    const capMs = drainAllowance(testInfo, sent.length);
    await Promise.all(tabs.map(([, tab]) => waitForDelivery(tab.record, sent, { capMs })));
    const verdicts: [string, Verdict][] = [];
    for (const [who, tab] of tabs) {
      const verdict = judgeDelivery(tab.record, sent, [], await describePage(tab.page));
      note(testInfo, who, verdict);
      verdicts.push([who, verdict]);
    }
    for (const [who, verdict] of verdicts) expect.soft(verdict.lost.length + verdict.duplicated.length, `${who}: ${verdict.details}`).toBe(0);
  });
}

if (missing.length === 0) {
  test.describe(SUITE, body);
} else if (process.env.CI) {
  test.describe(SUITE, () => {
    test(`needs its services: ${missing.join("; ")}`, () => {
      throw new Error(`${missing.join("; ")}; CI must run the fault-injection browser tests.`);
    });
  });
} else {
  console.warn(`\n!!! SKIPPING "${SUITE}": ${missing.join("; ")}. These tests run in CI. !!!\n`);
  test.describe(`${SUITE} [SKIPPED: ${missing.join("; ")}]`, () => {
    test.skip(true, missing.join("; "));
    body();
  });
}
