/**
 * The background job: its page holds the job's UUID channel through a signed token, shows the
 * progress bar advancing and follows the job's redirect to its result.
 */
import { expect, test, type Page } from "@playwright/test";
import { startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, signIn } from "./support/pages";

const JOB_URL = /\/jobs\/([0-9a-f-]{36})$/;

/** Starts a job from /jobs and returns the progress values the bar showed, then its id. */
async function runJob(page: Page, baseURL: string): Promise<{ seen: number[]; jobId: string }> {
  const seen: number[] = [];
  await page.exposeFunction("__reportProgress", (value: string | null) => seen.push(Number(value)));
  await page.goto(`${baseURL}/jobs`);
  await expectConnected(page);
  await page.getByTestId("start-job").click();
  await expect(page).toHaveURL(JOB_URL);
  const jobId = JOB_URL.exec(page.url())![1]!;
  const bar = page.getByTestId("progress-bar");
  await expect(bar).toHaveAttribute("data-channel", jobId);
  // Every change of the bar's value, as it happens (no sampling, no sleeps).
  await bar.evaluate((element) => {
    const report = (window as unknown as { __reportProgress: (value: string | null) => void }).__reportProgress;
    new MutationObserver(() => report(element.getAttribute("aria-valuenow"))).observe(element, {
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
  await expect(page).toHaveURL(new RegExp(`/jobs/${jobId}/result$`), { timeout: 20_000 });
  await expect(page.getByTestId("job-result")).toHaveAttribute("data-finished", "true");
  return { seen, jobId };
}

function expectAdvancing(seen: number[]): void {
  const between = seen.filter((value) => value > 0 && value < 100);
  expect(new Set(between).size, `values seen: ${seen.join(", ")}`).toBeGreaterThanOrEqual(2);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  expect(seen.at(-1)).toBe(100);
}

test.describe("jobs (anonymous off, the default)", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ users: ["alice", "bob"] });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("the job page shows the bar advancing, then lands on the result", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await signIn(context, app.url, "alice");
    const { seen, jobId } = await runJob(page, app.url);
    expectAdvancing(seen);

    // Another user cannot open alice's job (nor get a token for its channel).
    const bobContext = await browser.newContext();
    const bob = await signIn(bobContext, app.url, "bob");
    const response = await bob.goto(`${app.url}/jobs/${jobId}/result`);
    expect(response?.status()).toBe(404);
    await Promise.all([context.close(), bobContext.close()]);
  });

  test("an anonymous visitor is asked to sign in", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/jobs`);
    await expect(page.getByTestId("jobs-signin-prompt")).toBeVisible();
    await expect(page.getByTestId("start-job")).toHaveCount(0);
    await context.close();
  });
});

test.describe("jobs (anonymous on)", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // a production server start (and users made by the CLI) on a busy 2-core machine
    app = await startAppServer({ env: { ENABLE_ANONYMOUS: "true" } });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("an anonymous visitor's job streams to its page with an anonymous-bound token", async ({ browser }) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { seen } = await runJob(page, app.url);
    expectAdvancing(seen);
    await context.close();
  });
});
