import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeDatabase,
  createUser,
  DuplicateUsernameError,
  findArticle,
  findUserById,
  findUserByUsername,
  getReadyDb,
  hashPassword,
  InvalidPasswordError,
  InvalidUsernameError,
  listArticles,
  migrateDatabase,
  PGLITE_LOCK_FILE,
  users,
  verifyPassword,
  verifyUser,
} from "@/db";
import { tempDir } from "./helpers";

const temp = tempDir("ncb-db-users-");
const dataDir = path.join(temp.dir, "pglite");

beforeAll(async () => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = dataDir;
  await migrateDatabase();
});

afterAll(async () => {
  await closeDatabase();
  temp.cleanup();
});

describe("database (real PGlite)", () => {
  it("creates the data directory, holds the lock and migrates", async () => {
    expect(fs.existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, PGLITE_LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    await migrateDatabase(); // idempotent
    const db = await getReadyDb();
    expect(await db.select().from(users)).toEqual([]);
    // The demo's own tables from drizzle/, the kit's (ncb_*) from the migrations shipped in the package.
    const result = await db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
    const names = ((result as unknown as { rows: { table_name: string }[] }).rows ?? []).map((row) => row.table_name);
    expect(names).toEqual(expect.arrayContaining(["articles", "ncb_notification_progress", "ncb_notifications", "ncb_revocations", "users"]));
  });

  it("seeds three demo articles once", async () => {
    const list = await listArticles();
    expect(list.map((a) => a.id)).toEqual([1, 2, 3]);
    expect((await findArticle("2"))?.title).toBe(list[1]?.title);
    expect(await findArticle("nope")).toBeNull();
    expect(await findArticle(99)).toBeNull();
  });
});

describe("users", () => {
  it("creates a user with a lowercased username and a scrypt hash", async () => {
    const alice = await createUser("Alice", "correct horse");
    expect(alice.username).toBe("alice");
    expect(alice.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(alice).not.toHaveProperty("passwordHash");
    const db = await getReadyDb();
    const [row] = await db.select().from(users);
    expect(row?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row?.passwordHash).not.toContain("correct horse");
    expect(await findUserByUsername("ALICE")).toEqual(alice);
    expect(await findUserById(alice.id)).toEqual(alice);
    expect(await findUserById("not-a-uuid")).toBeNull();
    expect(await findUserById("00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  it("verifies the right password only", async () => {
    const bob = await createUser("bob", "hunter2hunter2");
    expect(await verifyUser("bob", "hunter2hunter2")).toEqual(bob);
    expect(await verifyUser("BOB", "hunter2hunter2")).toEqual(bob);
    expect(await verifyUser("bob", "hunter2hunter3")).toBeNull();
    expect(await verifyUser("bob", "")).toBeNull();
    expect(await verifyUser("nobody", "hunter2hunter2")).toBeNull();
    expect(await verifyUser("x", "hunter2hunter2")).toBeNull();
  });

  it("refuses a duplicate username (case-insensitively)", async () => {
    await createUser("carol", "password-1");
    await expect(createUser("carol", "password-2")).rejects.toBeInstanceOf(DuplicateUsernameError);
    await expect(createUser("CAROL", "password-2")).rejects.toMatchObject({ code: "DUPLICATE_USERNAME" });
    expect(await verifyUser("carol", "password-1")).not.toBeNull();
  });

  it("refuses invalid usernames and short passwords", async () => {
    for (const name of ["ab", "a".repeat(33), "al ice", "alice!", "émile", ""]) {
      await expect(createUser(name, "long enough")).rejects.toBeInstanceOf(InvalidUsernameError);
    }
    await expect(createUser("dave", "short")).rejects.toBeInstanceOf(InvalidPasswordError);
    await expect(createUser("dave", "x".repeat(2000))).rejects.toMatchObject({ code: "INVALID_PASSWORD" });
    expect(await findUserByUsername("dave")).toBeNull();
  });

  it("rejects malformed stored hashes", async () => {
    const hash = await hashPassword("some password");
    expect(await verifyPassword("some password", hash)).toBe(true);
    expect(await verifyPassword("some password", "plain")).toBe(false);
    expect(await verifyPassword("some password", "scrypt$0$8$1$AA==$AA==")).toBe(false);
    expect(await verifyPassword("some password", hash.replace("scrypt", "bcrypt"))).toBe(false);
  });
});
