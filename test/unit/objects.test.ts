/**
 * Per-row channels against a real database: Drizzle tables with serial and UUID keys in an
 * in-memory PGlite, created with raw SQL.
 */
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { integer, pgTable, primaryKey, serial, text, uuid } from "drizzle-orm/pg-core";
import { drizzle, type PgliteDatabase } from "drizzle-orm/pglite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { objectChannel, rowChannel } from "../../packages/next-channels-broadcast/src/server/objects";
import { findObjectByChannel } from "../../packages/next-channels-broadcast/src/server/store/find-object";
import { installRuntime, uninstallRuntime, type NotificationsRuntime } from "../../packages/next-channels-broadcast/src/server/runtime";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { InvalidNotificationError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { createRecordingLayer, type RecordingLayer } from "../helpers/recording-layer";

const articles = pgTable("articles", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
});

// The TypeScript property (`jobId`) differs from the SQL column (`job_id`) on purpose.
const jobs = pgTable("jobs", {
  jobId: uuid("job_id").primaryKey().defaultRandom(),
  label: text("label").notNull(),
});

// A table whose name starts with another table's name plus "-".
const articleComments = pgTable("articles-comments", {
  id: serial("id").primaryKey(),
  body: text("body").notNull(),
});

const tags = pgTable("tags", {
  slug: text("slug").primaryKey(),
});

const memberships = pgTable(
  "memberships",
  { userId: integer("user_id").notNull(), groupId: integer("group_id").notNull() },
  (table) => [primaryKey({ columns: [table.userId, table.groupId] })],
);

const notInTheDatabase = pgTable("ghosts", { id: serial("id").primaryKey() });

const UPPER_UUID = "7D3F9B2A-1C4E-4F6A-8B9C-0D1E2F3A4B5C";
const LOWER_UUID = UPPER_UUID.toLowerCase();

let client: PGlite;
let db: PgliteDatabase;
let jobId: string;

beforeAll(async () => {
  client = new PGlite();
  db = drizzle({ client });
  await client.exec(`
    CREATE TABLE articles (id serial PRIMARY KEY, title text NOT NULL);
    CREATE TABLE jobs (job_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), label text NOT NULL);
    CREATE TABLE "articles-comments" (id serial PRIMARY KEY, body text NOT NULL);
    CREATE TABLE tags (slug text PRIMARY KEY);
  `);
  await db.insert(articles).values([{ title: "first" }, { title: "second" }]);
  await db.insert(articleComments).values([{ body: "c1" }, { body: "c2" }, { body: "c3" }]);
  const [job] = await db.insert(jobs).values({ label: "import" }).returning();
  jobId = job!.jobId;
  await db.insert(jobs).values({ jobId: LOWER_UUID, label: "known" });
  await db.execute(sql`INSERT INTO tags (slug) VALUES ('news')`);
});

afterAll(async () => {
  await client.close();
});

describe("objectChannel and rowChannel", () => {
  it("names a row by table and integer key", () => {
    expect(objectChannel(articles, 42)).toBe("articles-42");
    expect(objectChannel(articles, "42")).toBe("articles-42");
    expect(objectChannel(articles, 0)).toBe("articles-0");
    expect(rowChannel({ table: articles, id: 7 })).toBe("articles-7");
    expect(rowChannel({ table: articles, row: { id: 9, title: "x" } })).toBe("articles-9");
  });

  it("names a row by table and UUID key, lower-cased, from the TypeScript property of the row", () => {
    expect(objectChannel(jobs, LOWER_UUID)).toBe(`jobs-${LOWER_UUID}`);
    expect(objectChannel(jobs, UPPER_UUID)).toBe(`jobs-${LOWER_UUID}`);
    expect(rowChannel({ table: jobs, id: UPPER_UUID })).toBe(`jobs-${LOWER_UUID}`);
    expect(rowChannel({ table: jobs, row: { jobId: UPPER_UUID, label: "x" } })).toBe(`jobs-${LOWER_UUID}`);
  });

  it("names a row by a text key when the result is a valid channel", () => {
    expect(objectChannel(tags, "news")).toBe("tags-news");
    expect(() => objectChannel(tags, "has space")).toThrow(InvalidNotificationError);
    expect(() => objectChannel(tags, "")).toThrow(InvalidNotificationError);
  });

  it.each<[string, () => unknown]>([
    ["a negative integer", () => objectChannel(articles, -1)],
    ["a fractional number", () => objectChannel(articles, 1.5)],
    ["a non-numeric string for an integer key", () => objectChannel(articles, "abc")],
    ["an integer with a leading zero (two names for one row)", () => objectChannel(articles, "042")],
    ["an integer past the safe range", () => objectChannel(articles, "99999999999999999")],
    ["an integer past the column's range (serial is int4)", () => objectChannel(articles, 2_147_483_648)],
    ["a non-UUID for a UUID key", () => objectChannel(jobs, "42")],
    ["a UUID with extra text", () => objectChannel(jobs, `${LOWER_UUID}x`)],
    ["a row without its key", () => rowChannel({ table: jobs, row: { job_id: LOWER_UUID } })],
    ["a row whose key is not a string or number", () => rowChannel({ table: articles, row: { id: null } })],
    ["a composite primary key", () => objectChannel(memberships, 1)],
  ])("refuses %s", (_name, call) => {
    expect(call).toThrow(InvalidNotificationError);
  });

  it("a name that would pass the channel length limit is refused", () => {
    const long = pgTable("t".repeat(120), { id: serial("id").primaryKey() });
    expect(objectChannel(long, 1)).toHaveLength(122);
    expect(() => objectChannel(long, 12_345_678)).toThrow(InvalidNotificationError);
  });
});

describe("findObjectByChannel", () => {
  it("finds an integer-keyed row and round-trips its name", async () => {
    const found = await findObjectByChannel(db, [articles, jobs], "articles-2");
    expect(found).toEqual({ ok: true, table: articles, id: 2, row: { id: 2, title: "second" } });
    expect(found.ok && objectChannel(found.table, found.id)).toBe("articles-2");
  });

  it("finds a UUID-keyed row and round-trips its name", async () => {
    const name = objectChannel(jobs, jobId);
    const found = await findObjectByChannel(db, [articles, jobs], name);
    expect(found).toEqual({ ok: true, table: jobs, id: jobId, row: { jobId, label: "import" } });
    expect(found.ok && rowChannel({ table: found.table, row: found.row })).toBe(name);
  });

  it("prefers the longest table name that prefixes the channel", async () => {
    const found = await findObjectByChannel(db, [articles, articleComments], "articles-comments-3");
    expect(found).toEqual({ ok: true, table: articleComments, id: 3, row: { id: 3, body: "c3" } });
    // Order of the allow-list does not matter.
    expect((await findObjectByChannel(db, [articleComments, articles], "articles-1")).ok).toBe(true);
  });

  it("finds a text-keyed row", async () => {
    expect(await findObjectByChannel(db, [tags], "tags-news")).toEqual({ ok: true, table: tags, id: "news", row: { slug: "news" } });
  });

  it.each<[string, string]>([
    ["an empty name", ""],
    ["a reserved group", "all"],
    ["a user group", "user:1"],
    ["bad characters", "articles-1;drop table articles"],
    ["a non-integer key", "articles-abc"],
    ["a negative key", "articles--1"],
    ["a leading zero", "articles-01"],
    ["no key", "articles-"],
    ["a fractional key", "articles-1.5"],
    ["a non-UUID key", "jobs-42"],
    ["an uppercase UUID (not the canonical name)", `jobs-${UPPER_UUID}`],
    ["a name over the length limit", `articles-${"1".repeat(200)}`],
  ])("malformed-name for %s", async (_name, name) => {
    expect(await findObjectByChannel(db, [articles, jobs], name)).toEqual({ ok: false, reason: "malformed-name" });
  });

  it("malformed-name for a key too large for its column type (no database error escapes)", async () => {
    // serial is int4: 2147483648 is out of its range, and PostgreSQL would reject the query.
    expect(await findObjectByChannel(db, [articles], "articles-2147483648")).toEqual({ ok: false, reason: "malformed-name" });
    expect(await findObjectByChannel(db, [articles], "articles-9999999999999999")).toEqual({ ok: false, reason: "malformed-name" });
    expect(await findObjectByChannel(db, [articles], "articles-2147483647")).toEqual({ ok: false, reason: "missing-row" });
  });

  it("malformed-name for a non-string name from untrusted code", async () => {
    expect(await findObjectByChannel(db, [articles], 42 as unknown as string)).toEqual({ ok: false, reason: "malformed-name" });
  });

  it.each<[string, string]>([
    ["a table not in the allow-list", "tags-news"],
    ["a table that does not exist", "ghosts-1"],
    ["a name without a table prefix", "articles1"],
    ["a prefix of a table name", "article-1"],
  ])("unknown-table for %s", async (_name, name) => {
    expect(await findObjectByChannel(db, [articles, jobs], name)).toEqual({ ok: false, reason: "unknown-table" });
  });

  it("missing-row for a well-formed name without a row", async () => {
    expect(await findObjectByChannel(db, [articles, jobs], "articles-999")).toEqual({ ok: false, reason: "missing-row" });
    expect(await findObjectByChannel(db, [articles, jobs], "articles-0")).toEqual({ ok: false, reason: "missing-row" });
    expect(await findObjectByChannel(db, [articles, jobs], "jobs-00000000-0000-4000-8000-000000000000")).toEqual({ ok: false, reason: "missing-row" });
  });

  it("an uppercase UUID given to objectChannel finds the row it names", async () => {
    const found = await findObjectByChannel(db, [jobs], objectChannel(jobs, UPPER_UUID));
    expect(found).toEqual({ ok: true, table: jobs, id: LOWER_UUID, row: { jobId: LOWER_UUID, label: "known" } });
  });

  it("the table in the allow-list is the only one read (ghosts is never queried)", async () => {
    expect(await findObjectByChannel(db, [notInTheDatabase], "articles-1")).toEqual({ ok: false, reason: "unknown-table" });
  });
});

describe("send API with row references", () => {
  let layer: RecordingLayer;
  let runtime: NotificationsRuntime;

  afterEach(() => uninstallRuntime(runtime));

  function install(enablePageChannels = true) {
    layer = createRecordingLayer();
    runtime = installRuntime({ settings: readSettings({}, { enablePageChannels }), layer });
  }

  it("sendToObject({table, id}) publishes to the row's channel", async () => {
    install();
    await expect(api.sendToObject({ table: articles, id: 2 }, "new comment")).resolves.toBe(true);
    await expect(api.sendToObject({ table: jobs, id: UPPER_UUID }, "job update")).resolves.toBe(true);
    expect(layer.published.map(({ group, frame }) => [group, frame.text])).toEqual([
      ["articles-2", "new comment"],
      [`jobs-${LOWER_UUID}`, "job update"],
    ]);
  });

  it("sendToObject, redirectObject and progressObject accept {table, row}", async () => {
    install();
    const [row] = await db.select().from(jobs).where(sql`${jobs.label} = 'import'`);
    await api.sendToObject({ table: jobs, row: row! }, "hi");
    await api.redirectObject({ table: jobs, row: row! }, "/jobs/done");
    await api.progressObject({ table: jobs, row: row! }, 40);
    const group = `jobs-${jobId}`;
    expect(layer.published).toEqual([
      { group, frame: expect.objectContaining({ type: "message", text: "hi", channel: group }) },
      { group, frame: { type: "redirect", url: "/jobs/done", channel: group } },
      { group, frame: { type: "progress", progress: true, percent: "40%", channel: group } },
    ]);
  });

  it("a bad row reference throws before publishing; a closed gate publishes nothing", async () => {
    install();
    await expect(api.sendToObject({ table: articles, id: -1 }, "x")).rejects.toBeInstanceOf(InvalidNotificationError);
    await expect(api.sendToObject({ table: memberships, id: 1 }, "x")).rejects.toBeInstanceOf(InvalidNotificationError);
    uninstallRuntime(runtime);
    install(false);
    await expect(api.sendToObject({ table: articles, id: 1 }, "x")).resolves.toBe(false);
    expect(layer.published).toEqual([]);
  });
});
