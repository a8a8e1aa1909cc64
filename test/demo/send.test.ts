/**
 * Who may send what from the demo's form (src/demo/send.ts + send-policy.ts), against a real
 * PGlite database and the real in-memory channel layer: what each sender is told, and what
 * actually reaches each group.
 */
import path from "node:path";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createJob } from "@/app/jobs/registry";
import { closeDatabase, createArticle, createUser, deleteUser, getReadyDb, migrateDatabase, users, type PublicUser } from "@/db";
import { createDemoLimiters } from "@/demo/rate-limit";
import { REFUSALS } from "@/demo/send-policy";
import { sendFromForm, type SendContext, type SendFields } from "@/demo/send";
import { readDemoSettings } from "@/demo/settings";
import { createMemoryLayer, installRuntime, readSettings, uninstallRuntime, type NotificationsRuntime } from "next-channels-broadcast/node";
import { tempDir } from "../db/helpers";

const temp = tempDir("ncb-demo-send-");
let runtime: NotificationsRuntime;
let root: PublicUser, bob: PublicUser, alice: PublicUser;
/** Frames published per group since the last reset. */
const received = new Map<string, Record<string, unknown>[]>();

/** A context with a budget too big to matter unless a test gives its own. */
function context(env: Record<string, string> = {}): SendContext {
  const settings = readDemoSettings(env);
  return { settings, limiters: createDemoLimiters(readDemoSettings({ DEMO_SENDS_PER_MINUTE: "10000", ...env })) };
}
let ctx: SendContext;

async function watch(group: string): Promise<void> {
  received.set(group, []);
  await runtime.layer.subscribe(group, (frame) => received.get(group)!.push(JSON.parse(frame)));
}

function frames(group: string): Record<string, unknown>[] {
  return received.get(group) ?? [];
}

function totalFrames(): number {
  return [...received.values()].reduce((sum, list) => sum + list.length, 0);
}

const message = (fields: SendFields): SendFields => ({ kind: "message", text: "hello", ...fields });

beforeAll(async () => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = path.join(temp.dir, "pglite");
  await migrateDatabase();
  runtime = installRuntime({ settings: readSettings({ ENABLE_ANONYMOUS: "true" }), layer: createMemoryLayer() });
  root = await createUser("root", "root-password", { role: "admin" });
  bob = await createUser("bob", "bob-password");
  alice = await createUser("alice", "alice-password");
  for (const group of ["all", "authenticated", "anonymous", `user:${root.id}`, `user:${bob.id}`, `user:${alice.id}`, "articles-1"]) await watch(group);
});

afterAll(async () => {
  await runtime?.layer.close();
  uninstallRuntime(runtime);
  await closeDatabase();
  temp.cleanup();
});

beforeEach(() => {
  for (const list of received.values()) list.length = 0;
  ctx = context();
});

describe("an admin", () => {
  it("is the stored role (root) and sends any kind to any audience", async () => {
    expect(root.role).toBe("admin");
    expect(await sendFromForm(root.id, message({ audience: "all", text: "to all" }), ctx)).toEqual({ status: "sent", message: "Sent to all" });
    expect((await sendFromForm(root.id, message({ audience: "authenticated" }), ctx)).status).toBe("sent");
    expect((await sendFromForm(root.id, message({ audience: "anonymous" }), ctx)).status).toBe("sent");
    expect(await sendFromForm(root.id, message({ audience: "user", target: "Alice", text: "hi alice" }), ctx)).toEqual({
      status: "sent",
      message: `Sent to user:${alice.id}`,
    });
    expect((await sendFromForm(root.id, { audience: "user", target: "bob", kind: "redirect", url: "/articles/2" }, ctx)).status).toBe("sent");
    expect((await sendFromForm(root.id, message({ audience: "object", target: "articles-1" }), ctx)).status).toBe("sent");
    expect((await sendFromForm(root.id, { audience: "all", kind: "progress", percent: "40" }, ctx)).status).toBe("sent");

    expect(frames("all").map((frame) => frame.text ?? frame.percent)).toEqual(["to all", "40%"]);
    expect(frames("authenticated")).toHaveLength(1);
    expect(frames("anonymous")).toHaveLength(1);
    expect(frames(`user:${alice.id}`)).toMatchObject([{ type: "message", text: "hi alice" }]);
    expect(frames(`user:${bob.id}`)).toMatchObject([{ type: "redirect", url: "/articles/2" }]);
    expect(frames("articles-1")).toHaveLength(1);
  });

  it("is told when nobody has a username", async () => {
    expect(await sendFromForm(root.id, message({ audience: "user", target: "nobody-here" }), ctx)).toEqual({ status: "error", message: 'No user named "nobody-here".' });
  });

  it("can be named by DEMO_ADMIN_USERNAMES whatever the stored role", async () => {
    expect(bob.role).toBe("user");
    const named = context({ DEMO_ADMIN_USERNAMES: "bob" });
    expect(await sendFromForm(bob.id, message({ audience: "all", text: "bob is admin here" }), named)).toEqual({ status: "sent", message: "Sent to all" });
    expect(frames("all")).toMatchObject([{ text: "bob is admin here" }]);
  });
});

describe("a normal user", () => {
  it("sends messages and progress to themself", async () => {
    expect(await sendFromForm(bob.id, message({ audience: "user", target: "BOB", text: "note to self", clickURL: "/articles/1" }), ctx)).toEqual({
      status: "sent",
      message: `Sent to user:${bob.id}`,
    });
    expect((await sendFromForm(bob.id, { audience: "user", target: "bob", kind: "progress", percent: "73" }, ctx)).status).toBe("sent");
    expect(frames(`user:${bob.id}`)).toMatchObject([{ text: "note to self", clickURL: "/articles/1" }, { percent: "73%" }]);
    expect(totalFrames()).toBe(2);
  });

  it.each([
    ["all", REFUSALS.audience("all")],
    ["authenticated", REFUSALS.audience("authenticated")],
    ["anonymous", REFUSALS.audience("anonymous")],
  ] as const)("may not send to %s, and nothing is sent", async (audience, refusal) => {
    expect(refusal).toContain(`Only an admin can send to ${audience}.`);
    expect(await sendFromForm(bob.id, message({ audience }), ctx)).toEqual({ status: "error", message: refusal });
    expect(await sendFromForm(bob.id, { audience, kind: "progress", percent: "10" }, ctx)).toEqual({ status: "error", message: refusal });
    expect(totalFrames()).toBe(0);
  });

  it("may not send redirects, not even to themself", async () => {
    for (const fields of [
      { audience: "user", target: "bob", kind: "redirect", url: "/articles/1" },
      { audience: "user", target: "alice", kind: "redirect", url: "/articles/1" },
      { audience: "all", kind: "redirect", url: "/articles/1" },
    ]) {
      expect(await sendFromForm(bob.id, fields, ctx)).toEqual({ status: "error", message: REFUSALS.redirect });
    }
    expect(totalFrames()).toBe(0);
  });

  it("may not address another user, and cannot tell an existing user from a name nobody has", async () => {
    const toAlice = await sendFromForm(bob.id, message({ audience: "user", target: "alice" }), ctx);
    const toNobody = await sendFromForm(bob.id, message({ audience: "user", target: "nobody-here" }), ctx);
    const toAdmin = await sendFromForm(bob.id, message({ audience: "user", target: "root" }), ctx);
    const toInvalid = await sendFromForm(bob.id, message({ audience: "user", target: "No Such Name!" }), ctx);
    expect(toAlice).toEqual({ status: "error", message: REFUSALS.user });
    for (const outcome of [toNobody, toAdmin, toInvalid]) expect(outcome).toEqual(toAlice);
    expect(totalFrames()).toBe(0);
  });

  it("sends to the channel of an article they wrote, and no other", async () => {
    const mine = await createArticle({ title: "Bob's notes", body: "…", authorId: bob.id });
    const hers = await createArticle({ title: "Alice's notes", body: "…", authorId: alice.id });
    await watch(`articles-${mine.id}`);
    await watch(`articles-${hers.id}`);
    expect(await sendFromForm(bob.id, message({ audience: "object", target: `articles-${mine.id}`, text: "to my readers" }), ctx)).toEqual({
      status: "sent",
      message: `Sent to articles-${mine.id}`,
    });
    expect(frames(`articles-${mine.id}`)).toMatchObject([{ text: "to my readers" }]);
    // Alice's article, a seeded one (no author), one that does not exist, and nonsense: one answer.
    for (const target of [`articles-${hers.id}`, "articles-1", "articles-999", "users-1", "articles-x"]) {
      expect(await sendFromForm(bob.id, message({ audience: "object", target }), ctx)).toEqual({ status: "error", message: REFUSALS.object });
    }
    expect(frames(`articles-${hers.id}`)).toEqual([]);
    expect(frames("articles-1")).toEqual([]);

    // Deleting the author leaves the article without one: only admins may address it then.
    const carol = await createUser("carol", "carol-password");
    const hersToo = await createArticle({ title: "Carol's", body: "…", authorId: carol.id });
    await deleteUser(carol.id);
    const db = await getReadyDb();
    expect((await db.query.articles.findFirst({ where: (a, { eq: equals }) => equals(a.id, hersToo.id) }))?.authorId).toBeNull();
  });

  it("sends to the channel of their own jobs only", async () => {
    const mine = randomUUID();
    const hers = randomUUID();
    const anonymous = randomUUID();
    createJob(mine, bob.id);
    createJob(hers, alice.id);
    createJob(anonymous, null);
    for (const channel of [mine, hers, anonymous]) await watch(channel);
    expect(await sendFromForm(bob.id, { audience: "channel", target: mine, kind: "progress", percent: "50" }, ctx)).toEqual({ status: "sent", message: `Sent to ${mine}` });
    expect(frames(mine)).toMatchObject([{ type: "progress", percent: "50%" }]);
    for (const target of [hers, anonymous, randomUUID(), "articles-1", "all"]) {
      expect(await sendFromForm(bob.id, message({ audience: "channel", target }), ctx)).toEqual({ status: "error", message: REFUSALS.channel });
    }
    expect(frames(hers)).toEqual([]);
    expect(frames(anonymous)).toEqual([]);
    expect(frames("articles-1")).toEqual([]);
  });

  it.each(["https://evil.example/", "//evil.example/", "/.//evil.example/", "/%2e//evil.example/", "/\\evil.example", "/a b", "javascript:alert(1)", "articles/1"])(
    "may not give the click URL %j",
    async (clickURL) => {
      expect(await sendFromForm(bob.id, message({ audience: "user", target: "bob", clickURL }), ctx)).toEqual({ status: "error", message: REFUSALS.clickURL });
      expect(totalFrames()).toBe(0);
    },
  );

  it("becomes an admin as soon as the stored role says so", async () => {
    const dave = await createUser("dave", "dave-password");
    expect((await sendFromForm(dave.id, message({ audience: "all" }), ctx)).status).toBe("error");
    const db = await getReadyDb();
    await db.update(users).set({ role: "admin" }).where(eq(users.id, dave.id));
    expect(await sendFromForm(dave.id, message({ audience: "all" }), ctx)).toEqual({ status: "sent", message: "Sent to all" });
  });
});

describe("every sender", () => {
  it("is rate-limited per user, refused attempts included, with a message saying when to retry", async () => {
    const limited = context({ DEMO_SENDS_PER_MINUTE: "3" });
    expect((await sendFromForm(bob.id, message({ audience: "user", target: "bob" }), limited)).status).toBe("sent");
    expect((await sendFromForm(bob.id, message({ audience: "all" }), limited)).status).toBe("error"); // refused, but counted
    expect((await sendFromForm(bob.id, message({ audience: "user", target: "bob" }), limited)).status).toBe("sent");
    const fourth = await sendFromForm(bob.id, message({ audience: "user", target: "bob", text: "one too many" }), limited);
    expect(fourth.status).toBe("error");
    expect(fourth.message).toMatch(/^You are sending too fast: try again in (19|20) s\.$/);
    expect(frames(`user:${bob.id}`)).toHaveLength(2);
    // Admins too; other users keep their own budget.
    for (let i = 0; i < 3; i++) expect((await sendFromForm(root.id, message({ audience: "all" }), limited)).status).toBe("sent");
    expect((await sendFromForm(root.id, message({ audience: "all" }), limited)).message).toContain("You are sending too fast");
    expect((await sendFromForm(alice.id, message({ audience: "user", target: "alice" }), limited)).status).toBe("sent");
  });

  it("is refused once their account is deleted, whatever their session says", async () => {
    const erin = await createUser("erin", "erin-password", { role: "admin" });
    expect((await sendFromForm(erin.id, message({ audience: "all" }), ctx)).status).toBe("sent");
    await deleteUser(erin.id);
    expect(await sendFromForm(erin.id, message({ audience: "all" }), ctx)).toEqual({ status: "error", message: "Sign in to send notifications." });
    expect(frames("all")).toHaveLength(1);
  });

  it("gets the form's own validation messages", async () => {
    expect(await sendFromForm(bob.id, { audience: "everyone", kind: "message", text: "x" }, ctx)).toEqual({ status: "error", message: "Choose an audience." });
    expect(await sendFromForm(bob.id, { audience: "user", kind: "message", text: "x" }, ctx)).toEqual({
      status: "error",
      message: "Enter a username for the user audience.",
    });
  });
});
