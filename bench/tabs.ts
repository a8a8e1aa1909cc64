/**
 * One socket per browser (issue #9), measured in Chromium against the production demo server:
 *
 *   npm run bench:tabs                 # 10 tabs, 30 reads; needs `next build` first (npm test does it)
 *   npm run bench:tabs -- --tabs 10 --reads 30   # reads ≤ 45 (one page of the history)
 *
 * 1. Sockets the server holds for one user with 10 tabs of one browser open (its
 *    `ncb_sockets_open` metric, and the websockets the pages opened), with the tabs sharing one
 *    socket (the default) and without (Web Locks hidden by an init script, as in a browser that
 *    lacks them: each tab its own socket, how it was before).
 * 2. Read-state propagation: alice has two tabs on one device and one on another; tab 1 marks one
 *    notification read (the panel's button, clicked in the page). Measured from the click to the
 *    moment the bell's label changed in each other tab (a MutationObserver stamping `Date.now()`
 *    in the page; all pages run on this machine, so the clocks agree). The path is the real one:
 *    server action → store → `ncb:center` event → each device's socket → (shared) the leading tab
 *    → BroadcastChannel → the tab.
 *
 * 3. Hand-over: of three tabs the leading one closes; time until the two others are connected
 *    again through the next tab's socket (`--handovers`, default 10).
 *
 * Raw JSON goes to bench/results/tabs-<date>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { PASSWORD, startAppServer } from "../e2e/support/app-server";
import { debianChromium } from "../playwright.chromium";
import { option } from "./lib/args";

const TABS = Number(option("tabs", "10"));
const READS = Number(option("reads", "30"));
const HANDOVERS = Number(option("handovers", "10"));
const API_KEY = "bench-tabs-api-key-0123456789abcdef";
const METRICS_TOKEN = "bench-tabs-metrics-token-0123456789";

const app = await startAppServer({
  users: ["alice"],
  env: {
    NOTIFICATIONS_API_KEY: API_KEY,
    NOTIFICATIONS_API_RATE_PER_SECOND: "1000",
    NOTIFICATIONS_METRICS_PATH: "/metrics",
    NOTIFICATIONS_METRICS_TOKEN: METRICS_TOKEN,
    NOTIFICATIONS_MAX_SOCKETS_PER_USER: "100",
  },
});
const browser: Browser = await chromium.launch(debianChromium!.launchOptions);

async function socketsOpen(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("ncb_sockets_open{"))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

async function sendTo(text: string): Promise<void> {
  const response = await fetch(`${app.url}/api/notifications/publish`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ audience: "user", username: "alice", text }),
  });
  if (response.status !== 200) throw new Error(`publish: ${response.status} ${await response.text()}`);
}

async function signedInContext(options: { hideWebLocks?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (options.hideWebLocks) {
    // A string, not a function: tsx would wrap a function's inner arrows in its `__name` helper,
    // which does not exist in the page.
    await context.addInitScript({ content: 'Object.defineProperty(Navigator.prototype, "locks", { get() { return undefined; }, configurable: true });' });
  }
  const page = await context.newPage();
  await page.goto(`${app.url}/signin`);
  await page.locator('[data-testid="signin-form"] input[name="username"]').fill("alice");
  await page.locator('[data-testid="signin-form"] input[name="password"]').fill(PASSWORD);
  await page.locator('[data-testid="signin-form"] button[type="submit"]').click();
  await page.waitForSelector('[data-testid="current-user"]');
  await page.close();
  return context;
}

async function openTab(context: BrowserContext, sockets: string[], path = "/"): Promise<Page> {
  const page = await context.newPage();
  page.on("websocket", (socket) => {
    if (socket.url().includes("/ws/notifications")) sockets.push(socket.url());
  });
  await page.goto(`${app.url}${path}`);
  await page.waitForSelector('[data-testid="connection-state"][data-state="open"]');
  return page;
}

/** Waits until the server's socket count is `count` (sockets close asynchronously). */
async function settleSockets(count: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let now = await socketsOpen();
  while (now !== count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await socketsOpen();
  }
  return now;
}

async function socketsFor(mode: "shared" | "per tab") {
  const context = await signedInContext({ hideWebLocks: mode === "per tab" });
  const sockets: string[] = [];
  for (let n = 0; n < TABS; n += 1) await openTab(context, sockets);
  // Every tab is open; let a late socket show up in the server's count before reading it.
  const expected = mode === "shared" ? 1 : TABS;
  const held = await settleSockets(expected);
  const result = { mode, tabs: TABS, websocketsOpenedByPages: sockets.length, socketsHeldByServer: held };
  await context.close();
  await settleSockets(0);
  return result;
}

/** Stamps, in the page, when the bell's accessible name last changed. */
async function watchBell(page: Page): Promise<void> {
  await page.evaluate(() => {
    const bell = document.querySelector('[data-testid="notification-bell"]')!;
    const w = window as unknown as { __bellChangedAt: number | null };
    w.__bellChangedAt = null;
    new MutationObserver(() => {
      w.__bellChangedAt = Date.now();
    }).observe(bell, { attributes: true, attributeFilter: ["aria-label"] });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** "read bench #007": no label contains another. */
const label = (n: number) => `read bench #${String(n).padStart(3, "0")}`;

async function readPropagation() {
  const device1 = await signedInContext();
  const device2 = await signedInContext();
  const ignored: string[] = [];
  // Tab 1 reads from the history page (50 items a page; the header's panel shows 20).
  const tab1 = await openTab(device1, ignored, "/notifications");
  const tab2 = await openTab(device1, ignored);
  const other = await openTab(device2, ignored);
  for (let n = 1; n <= READS; n += 1) await sendTo(label(n));
  for (const page of [tab1, tab2, other]) await page.waitForSelector(`[data-testid="notification-bell"][data-unread="${READS}"]`);
  // The history's first page, rendered by the server with every message in it.
  await tab1.reload();
  await tab1.waitForSelector('[data-testid="connection-state"][data-state="open"]');
  const sameBrowser: number[] = [];
  const otherDevice: number[] = [];
  for (let n = READS; n >= 1; n -= 1) {
    for (const page of [tab2, other]) await watchBell(page);
    const clickedAt = await tab1.evaluate((text) => {
      const item = [...document.querySelectorAll('[data-testid="notifications-page"] [data-testid="notification-item"]')].find((element) => element.textContent?.includes(text));
      const button = [...(item?.querySelectorAll("button") ?? [])].find((element) => element.textContent?.includes("Mark as read"));
      if (!button) throw new Error(`no "Mark as read" for ${text}`);
      const at = Date.now();
      (button as HTMLButtonElement).click();
      return at;
    }, label(n));
    for (const page of [tab1, tab2, other]) await page.waitForSelector(`[data-testid="notification-bell"][data-unread="${n - 1}"]`);
    const changedAt = async (page: Page) => page.evaluate(() => (window as unknown as { __bellChangedAt: number }).__bellChangedAt);
    sameBrowser.push((await changedAt(tab2)) - clickedAt);
    otherDevice.push((await changedAt(other)) - clickedAt);
  }
  await device1.close();
  await device2.close();
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN };
  };
  return { sameBrowserTab: summary(sameBrowser), otherDevice: summary(otherDevice), raw: { sameBrowser, otherDevice } };
}

/** Stamps, in the page, when its connection state came back to "open" after leaving it. */
async function watchReopen(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __reopenedAt: number | null };
    w.__reopenedAt = null;
    let down = false;
    const indicator = document.querySelector('[data-testid="connection-state"]')!;
    new MutationObserver(() => {
      const state = indicator.getAttribute("data-state");
      if (state !== "open") down = true;
      else if (down && w.__reopenedAt === null) w.__reopenedAt = Date.now();
    }).observe(indicator, { attributes: true, attributeFilter: ["data-state"] });
  });
}

/**
 * Hand-over: three tabs; the leading one closes; time until the other tabs are connected again
 * (their indicator back to "open", stamped in the page). Repeated `rounds` times, a fresh tab
 * replacing the closed one each time.
 */
async function handOver(rounds: number) {
  const context = await signedInContext();
  let leader: Page | null = null;
  const open = async () => {
    const page = await context.newPage();
    page.on("websocket", (socket) => {
      if (socket.url().includes("/ws/notifications")) leader = page;
    });
    await page.goto(app.url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="open"]');
    return page;
  };
  let tabs = [await open(), await open(), await open()];
  const times: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const closing = leader as Page | null;
    if (closing === null) throw new Error("no tab holds the socket");
    const rest = tabs.filter((tab) => tab !== closing);
    for (const tab of rest) await watchReopen(tab);
    const closedAt = Date.now();
    await closing.close({ runBeforeUnload: false });
    for (const tab of rest) await tab.waitForFunction(() => (window as unknown as { __reopenedAt: number | null }).__reopenedAt !== null);
    const reopened = await Promise.all(rest.map((tab) => tab.evaluate(() => (window as unknown as { __reopenedAt: number }).__reopenedAt)));
    times.push(Math.max(...reopened) - closedAt);
    tabs = [...rest, await open()];
  }
  await context.close();
  const sorted = [...times].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN, raw: times };
}

try {
  const load = loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`tabs bench · ${new Date().toISOString()} · ${cpus().length} cores · load ${load} · ${TABS} tabs · ${READS} reads`);
  const shared = await socketsFor("shared");
  const perTab = await socketsFor("per tab");
  console.log("\n| tabs of one browser | websockets the pages opened | sockets the server holds |\n|---|---|---|");
  for (const row of [shared, perTab]) console.log(`| ${row.tabs}, ${row.mode === "shared" ? "sharing (default)" : "per tab (no Web Locks)"} | ${row.websocketsOpenedByPages} | ${row.socketsHeldByServer} |`);
  const reads = await readPropagation();
  console.log("\n| read in tab 1 reaches … | p50 | p95 | max | reads |\n|---|---|---|---|---|");
  console.log(`| the other tab of the same browser | ${reads.sameBrowserTab.p50} ms | ${reads.sameBrowserTab.p95} ms | ${reads.sameBrowserTab.max} ms | ${reads.sameBrowserTab.n} |`);
  console.log(`| the other device | ${reads.otherDevice.p50} ms | ${reads.otherDevice.p95} ms | ${reads.otherDevice.max} ms | ${reads.otherDevice.n} |`);
  const handover = await handOver(HANDOVERS);
  console.log("\n| the leading tab closes → the other two tabs connected again | p50 | p95 | max | hand-overs |\n|---|---|---|---|---|");
  console.log(`| through the next tab's new socket | ${handover.p50} ms | ${handover.p95} ms | ${handover.max} ms | ${handover.n} |`);
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `tabs-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}Z.json`);
  writeFileSync(out, JSON.stringify({ load, loadAtEnd: loadavg(), tabs: TABS, reads: READS, sockets: [shared, perTab], propagation: reads, handover }, null, 2));
  console.log(`\nraw figures: ${out}`);
} finally {
  await browser.close();
  await app.stop();
}
