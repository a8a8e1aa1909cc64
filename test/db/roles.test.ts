/**
 * Roles in the demo's users table (real PGlite): the first account of an empty database is the
 * admin when asked for (`adminIfFirst`), exactly once even when sign-ups race; DEMO_ADMIN_USERNAMES
 * turns that rule off and names the admins instead.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, createUser, deleteUser, findUserById, getReadyDb, migrateDatabase, users } from "@/db";
import { isAdmin, signUpOptions } from "@/demo/roles";
import { readDemoSettings } from "@/demo/settings";
import { tempDir } from "./helpers";

const temp = tempDir("ncb-db-roles-");

beforeAll(async () => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = path.join(temp.dir, "pglite");
  await migrateDatabase();
});

afterAll(async () => {
  await closeDatabase();
  temp.cleanup();
});

describe("roles (real PGlite)", () => {
  it("makes exactly one of several racing first sign-ups the admin", async () => {
    const options = signUpOptions(readDemoSettings({}));
    expect(options).toEqual({ adminIfFirst: true });
    const created = await Promise.all(["ann", "ben", "cat", "dan", "eve"].map((name) => createUser(name, `${name}-password`, options)));
    expect(created.filter((user) => user.role === "admin")).toHaveLength(1);
    expect(created.filter((user) => user.role === "user")).toHaveLength(4);
    const db = await getReadyDb();
    expect((await db.select().from(users)).filter((row) => row.role === "admin")).toHaveLength(1);
  });

  it("stores `user` unless told otherwise, and `admin` when asked", async () => {
    expect((await createUser("fay", "fay-password")).role).toBe("user");
    expect((await createUser("gus", "gus-password", { role: "admin" })).role).toBe("admin");
    expect((await createUser("hal", "hal-password", { adminIfFirst: true })).role).toBe("user"); // not the first
  });

  it("refuses a role the table does not know", async () => {
    const db = await getReadyDb();
    await expect(db.insert(users).values({ username: "ivy", passwordHash: "x", role: "root" as "admin" })).rejects.toThrow();
  });

  it("with DEMO_ADMIN_USERNAMES set, the first account is not the admin; the named ones are", async () => {
    const settings = readDemoSettings({ DEMO_ADMIN_USERNAMES: "zed" });
    expect(signUpOptions(settings)).toEqual({ adminIfFirst: false });
    const db = await getReadyDb();
    await db.delete(users);
    const first = await createUser("yan", "yan-password", signUpOptions(settings));
    const zed = await createUser("zed", "zed-password", signUpOptions(settings));
    expect(first.role).toBe("user");
    expect(isAdmin(first, settings)).toBe(false);
    expect(zed.role).toBe("user");
    expect(isAdmin(zed, settings)).toBe(true);
    expect(isAdmin({ username: "yan", role: "admin" }, settings)).toBe(true);
  });

  it("deletes a user, once", async () => {
    const kim = await createUser("kim", "kim-password");
    expect(await deleteUser(kim.id)).toEqual(kim);
    expect(await findUserById(kim.id)).toBeNull();
    expect(await deleteUser(kim.id)).toBeNull();
    expect(await deleteUser("not-a-uuid")).toBeNull();
  });
});
