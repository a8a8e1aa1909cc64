/**
 * The same database layer on a real, throwaway PostgreSQL (DATABASE_URL → postgres.js).
 */
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

  it("creates and verifies users; refuses duplicates", async () => {
    const frank = await createUser("Frank", "frank-password");
    expect(frank.username).toBe("frank");
    expect(await verifyUser("frank", "frank-password")).toEqual(frank);
    expect(await verifyUser("frank", "wrong-password")).toBeNull();
    await expect(createUser("FRANK", "other-password")).rejects.toBeInstanceOf(DuplicateUsernameError);
    expect(await findUserByUsername("frank")).toEqual(frank);
  });
});
