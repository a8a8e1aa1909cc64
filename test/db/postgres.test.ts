/**
 * The same database layer on a real, throwaway PostgreSQL (DATABASE_URL → postgres.js).
 */
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  closeDatabase,
  createUser,
  DuplicateUsernameError,
  findUserByUsername,
  getDatabaseKind,
  listArticles,
  migrateDatabase,
  verifyUser,
  type PublicUser,
} from "@/db";
import { describeWithPostgres, startPostgresServer, type PostgresServer } from "../helpers/postgres-server";

describeWithPostgres("database on PostgreSQL (DATABASE_URL)", () => {
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await startPostgresServer("ncb_db_test");
    process.env.DATABASE_URL = pg.url;
  }, 120_000);

  afterAll(async () => {
    await closeDatabase();
    delete process.env.DATABASE_URL;
    await pg?.stop();
  });

  it("migrates (idempotently, also after reconnecting) and seeds the demo articles once", async () => {
    expect(getDatabaseKind()).toBe("postgres");
    await migrateDatabase();
    await migrateDatabase();
    await closeDatabase();
    await migrateDatabase(); // a second process start: nothing to apply, nothing duplicated
    expect((await listArticles()).map((article) => article.id)).toEqual([1, 2, 3]);
  });

  it("makes exactly one of several racing first sign-ups the admin (concurrent connections)", async () => {
    const names = ["ann", "ben", "cat", "dan", "eve", "fay"];
    // Make the race real: another connection blocks inserts into users (reads still pass) until
    // every sign-up is waiting for a lock. Without the advisory lock each of them would have read
    // an empty table by then, and all would become admins.
    const blocker = postgres(pg.url, { max: 1, onnotice: () => {} });
    let racing: Promise<PublicUser[]> | undefined;
    try {
      await blocker.begin(async (tx) => {
        await tx`lock table users in share row exclusive mode`;
        racing = Promise.all(names.map((name) => createUser(name, `${name}-password`, { adminIfFirst: true })));
        racing.catch(() => undefined); // awaited below, after the blocker lets go
        await expect.poll(async () => Number((await tx`select count(*)::int as n from pg_locks where not granted`)[0]!.n), { timeout: 60_000 }).toBe(names.length);
      });
    } finally {
      await blocker.end();
    }
    const created = await racing!;
    expect(created.filter((user) => user.role === "admin")).toHaveLength(1);
    expect((await createUser("gus", "gus-password", { adminIfFirst: true })).role).toBe("user");
  });

  it("creates and verifies users; refuses duplicates", async () => {
    const frank = await createUser("Frank", "frank-password");
    expect(frank.username).toBe("frank");
    expect(await verifyUser("frank", "frank-password")).toEqual(frank);
    expect(await verifyUser("frank", "wrong-password")).toBeNull();
    await expect(createUser("FRANK", "other-password")).rejects.toBeInstanceOf(DuplicateUsernameError);
    expect(await findUserByUsername("frank")).toEqual(frank);
  });
});
