/**
 * What each account of the demo may send, in a real browser against the production build: the
 * form shows a normal user only what they may do, the server refuses the rest whatever the form
 * submitted (the tests forge the form's fields as anyone could with the devtools), an unknown
 * username and another user's get the same answer, the admin (the first user created) may do
 * everything, sends are rate-limited per user, and sign-ups and failed sign-ins per client address
 * (which a client cannot choose by sending headers).
 */
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { PASSWORD, startAppServer, type AppServer } from "./support/app-server";
import { expectConnected, sendFromDemo, signIn, toasts } from "./support/pages";

let contexts: BrowserContext[] = [];
test.afterEach(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  contexts = [];
});

async function signedIn(browser: Browser, app: AppServer, username: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await signIn(context, app.url, username);
  await expectConnected(page);
  return page;
}

interface Answer {
  status: string | null;
  text: string;
}

/**
 * Submits the send form with `fields` whatever it offers: each named field the form has is
 * disabled (so it is not submitted) and a hidden input with the forged value takes its place.
 */
async function forgeSend(page: Page, fields: Record<string, string>): Promise<Answer> {
  const form = page.getByTestId("send-form");
  const result = page.getByTestId("send-result");
  const before = await result.getAttribute("data-at");
  await form.evaluate((element, forged) => {
    for (const [name, value] of Object.entries(forged)) {
      element.querySelectorAll<HTMLInputElement>(`[name="${name}"]`).forEach((field) => (field.disabled = true));
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      element.append(input);
    }
  }, fields);
  await form.locator('button[type="submit"]').click();
  await expect(result).not.toHaveAttribute("data-at", before ?? "");
  return { status: await result.getAttribute("data-status"), text: (await result.textContent()) ?? "" };
}

test.describe("send permissions", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // users made by the CLI one after the other, then a production server
    // root is created first: the admin (DEMO_ADMIN_USERNAMES is unset).
    app = await startAppServer({ users: ["root", "alice", "bob"] });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("a normal user's form offers only what they may do; the admin's offers everything", async ({ browser }) => {
    const bob = await signedIn(browser, app, "bob");
    const form = bob.getByTestId("send-form");
    await expect(form).toHaveAttribute("data-role", "user");
    await expect(form.locator('select[name="audience"] option')).toHaveText(["user (yourself)", "object (an article you wrote)", "channel (one of your jobs)"]);
    await expect(form.locator('select[name="kind"] option')).toHaveText(["message", "progress"]);
    const target = form.locator('input[name="target"]');
    await expect(target).toHaveValue("bob");
    await expect(target).not.toBeEditable();
    await expect(bob.getByTestId("send-permissions")).toContainText("Redirects and the audiences all, authenticated, anonymous and other users are for admins.");

    const root = await signedIn(browser, app, "root");
    const rootForm = root.getByTestId("send-form");
    await expect(rootForm).toHaveAttribute("data-role", "admin");
    await expect(rootForm.locator('select[name="audience"] option')).toHaveText(["all", "authenticated", "anonymous", "user", "object", "channel"]);
    await expect(rootForm.locator('select[name="kind"] option')).toHaveText(["message", "redirect", "progress"]);
    await root.goto(`${app.url}/account`);
    await expect(root.getByTestId("account-role")).toHaveText("admin");
    await bob.goto(`${app.url}/account`);
    await expect(bob.getByTestId("account-role")).toHaveText("normal user");
  });

  test("a normal user sends to themself, and nobody else sees it", async ({ browser }) => {
    const bob = await signedIn(browser, app, "bob");
    const alice = await signedIn(browser, app, "alice");
    expect(await sendFromDemo(bob, { audience: "user", text: "Note to self", level: "success" })).toMatch(/^Sent to user:[0-9a-f-]{36}$/);
    await expect(toasts(bob, "Note to self")).toBeVisible();
    // A later broadcast from the admin reaches alice: by then she would have had bob's note too.
    const root = await signedIn(browser, app, "root");
    await sendFromDemo(root, { audience: "all", text: "Marker after the note" });
    await expect(toasts(alice, "Marker after the note")).toBeVisible();
    await expect(toasts(alice, "Note to self")).toHaveCount(0);
  });

  test("a normal user cannot send to all, redirect or address another user, and is told why", async ({ browser }) => {
    const bob = await signedIn(browser, app, "bob");
    const alice = await signedIn(browser, app, "alice");
    const aliceURL = alice.url();

    expect(await forgeSend(bob, { audience: "all", text: "Forged broadcast" })).toEqual({
      status: "error",
      text: "Only an admin can send to all. You can send to yourself, to an article you wrote or to one of your jobs.",
    });
    await bob.reload();
    expect(await forgeSend(bob, { audience: "authenticated", kind: "progress", percent: "66" })).toMatchObject({
      status: "error",
      text: expect.stringContaining("Only an admin can send to authenticated."),
    });
    await bob.reload();
    expect(await forgeSend(bob, { target: "alice", text: "Forged note to alice" })).toEqual({
      status: "error",
      text: "You can send to the user audience only to yourself.",
    });
    await bob.reload();
    expect(await forgeSend(bob, { kind: "redirect", target: "alice", url: "/tasks/moved-by-bob" })).toEqual({
      status: "error",
      text: "Only an admin can send redirects.",
    });
    await bob.reload();
    expect(await forgeSend(bob, { text: "Off-site click", clickURL: "/.//evil.example/" })).toEqual({
      status: "error",
      text: "A click URL must be a path on this site, starting with / (such as /articles/1).",
    });

    // None of it reached alice: the admin's marker does, and alone.
    const root = await signedIn(browser, app, "root");
    await sendFromDemo(root, { audience: "user", target: "alice", text: "Marker from root" });
    await expect(toasts(alice, "Marker from root")).toBeVisible();
    await expect(toasts(alice, "Forged")).toHaveCount(0);
    expect(alice.url()).toBe(aliceURL);
  });

  test("the answer for an unknown username is the same as for an existing one", async ({ browser }) => {
    const bob = await signedIn(browser, app, "bob");
    const answers: Answer[] = [];
    for (const target of ["alice", "nobody-here", "root", "x"]) {
      answers.push(await forgeSend(bob, { target, text: "Who is there?" }));
      await bob.reload();
    }
    expect(answers[0]).toEqual({ status: "error", text: "You can send to the user audience only to yourself." });
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  });

  test("a normal user may address their own job's channel, not another user's", async ({ browser }) => {
    const jobId = async (page: Page): Promise<string> => {
      await page.goto(`${app.url}/jobs`);
      await page.getByTestId("start-job").click();
      await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}/);
      return /\/jobs\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    };
    const bob = await signedIn(browser, app, "bob");
    const alice = await signedIn(browser, app, "alice");
    const bobsJob = await jobId(bob);
    const alicesJob = await jobId(alice);
    await bob.goto(app.url);
    expect(await sendFromDemo(bob, { audience: "channel", target: bobsJob, kind: "progress", percent: "50" })).toBe(`Sent to ${bobsJob}`);
    expect(await sendFromDemo(bob, { audience: "channel", target: alicesJob, text: "Into alice's job" })).toBe(
      "You can send to a channel only for one of your own jobs.",
    );
    expect(await sendFromDemo(bob, { audience: "object", target: "articles-1", text: "To article readers" })).toBe(
      "You can send to an object only for an article you wrote.",
    );
  });

  test("the admin may send anything to anyone", async ({ browser }) => {
    const root = await signedIn(browser, app, "root");
    const alice = await signedIn(browser, app, "alice");
    const bob = await signedIn(browser, app, "bob");
    expect(await sendFromDemo(root, { audience: "all", text: "Hello everyone" })).toBe("Sent to all");
    for (const page of [alice, bob]) await expect(toasts(page, "Hello everyone")).toBeVisible();
    expect(await sendFromDemo(root, { audience: "user", target: "alice", text: "Just alice" })).toMatch(/^Sent to user:/);
    await expect(toasts(alice, "Just alice")).toBeVisible();
    expect(await sendFromDemo(root, { audience: "user", target: "nobody-here", text: "?" })).toBe('No user named "nobody-here".');
    expect(await sendFromDemo(root, { audience: "user", target: "bob", kind: "redirect", url: "/tasks/moved-by-root" })).toMatch(/^Sent to user:/);
    await expect(bob).toHaveURL(/\/tasks\/moved-by-root$/);
    await expect(toasts(bob, "Just alice")).toHaveCount(0);
  });
});

test.describe("rate limits", () => {
  let app: AppServer;
  test.beforeAll(async () => {
    test.setTimeout(180_000); // users made by the CLI one after the other, then a production server
    app = await startAppServer({
      users: ["root", "bob"],
      env: { DEMO_SENDS_PER_MINUTE: "2", DEMO_SIGNUPS_PER_HOUR: "2", DEMO_SIGNIN_FAILURES_PER_HOUR: "2" },
    });
  });

  /** A fresh browser that claims another address in every header a naive server would trust. */
  async function spoofingPage(browser: Browser, n: number): Promise<Page> {
    const context = await browser.newContext({ extraHTTPHeaders: { "x-demo-client-ip": `198.51.100.${n}`, "x-forwarded-for": `203.0.113.${n}` } });
    contexts.push(context);
    return context.newPage();
  }

  async function submitAuthForm(page: Page, mode: "signin" | "signup", username: string, password: string): Promise<void> {
    await page.goto(`${app.url}/${mode}`);
    const form = page.getByTestId(`${mode}-form`);
    await form.locator('input[name="username"]').fill(username);
    await form.locator('input[name="password"]').fill(password);
    await form.locator('button[type="submit"]').click();
  }
  test.afterAll(async () => {
    await app?.stop();
  });

  test("a user over their budget is told when to retry, and nothing more is sent", async ({ browser }) => {
    const bob = await signedIn(browser, app, "bob");
    expect(await sendFromDemo(bob, { audience: "user", text: "First" })).toMatch(/^Sent to user:/);
    expect(await sendFromDemo(bob, { audience: "user", text: "Second" })).toMatch(/^Sent to user:/);
    expect(await sendFromDemo(bob, { audience: "user", text: "Third" })).toMatch(/^You are sending too fast: try again in \d+ s\.$/);
    await expect(bob.getByTestId("send-result")).toHaveAttribute("data-status", "error");
    await expect(toasts(bob, "Second")).toBeVisible();
    // The admin has a budget of their own; their broadcast reaching bob is also the marker after
    // which a third toast would have shown.
    const root = await signedIn(browser, app, "root");
    expect(await sendFromDemo(root, { audience: "all", text: "Root is not limited by bob" })).toBe("Sent to all");
    await expect(toasts(bob, "Root is not limited by bob")).toBeVisible();
    await expect(toasts(bob, "Third")).toHaveCount(0);
  });

  test("sign-ups are limited per address, whatever address the client claims", async ({ browser }) => {
    for (const n of [1, 2]) {
      const page = await spoofingPage(browser, n);
      await submitAuthForm(page, "signup", `newcomer${n}`, "newcomer-password");
      await expect(page.getByTestId("current-user")).toContainText(`newcomer${n}`);
    }
    const third = await spoofingPage(browser, 3);
    await submitAuthForm(third, "signup", "newcomer3", "newcomer-password");
    await expect(third.getByTestId("signup-error")).toHaveText("Too many sign-ups from your address: try again in 30 min.");
    await expect(third.getByTestId("current-user")).toHaveCount(0);
  });

  // Last: it spends this address's sign-in budget.
  test("failed sign-ins are limited per address; then even the right password is refused for a while", async ({ browser }) => {
    for (const n of [1, 2]) {
      const page = await spoofingPage(browser, n);
      await submitAuthForm(page, "signin", "bob", "not-bobs-password");
      await expect(page.getByTestId("signin-error")).toHaveText("Wrong username or password");
    }
    const third = await spoofingPage(browser, 3);
    await submitAuthForm(third, "signin", "bob", PASSWORD);
    await expect(third.getByTestId("signin-error")).toHaveText("Too many failed sign-ins from your address: try again in 30 min.");
    await expect(third.getByTestId("current-user")).toHaveCount(0);
  });
});
