/**
 * The delete-user CLI (and create-user's admin options) against a real PGlite directory: the row
 * goes, and every session of the user is revoked in the store the server reads.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, createUser, findUserByUsername, getReadyDb } from "@/db";
import { isSessionRevoked } from "next-channels-broadcast/server";
import { createMemoryLayer, installRuntime, readSettings, uninstallRuntime } from "next-channels-broadcast/node";
import { createDrizzleStore } from "next-channels-broadcast/drizzle";
import { runTsx, tempDir } from "./helpers";

const DELETE = "src/cli/delete-user.ts";
const CREATE = "src/cli/create-user.ts";
const temp = tempDir("ncb-db-delete-");
const dataDir = path.join(temp.dir, "pglite");
const env = { PGLITE_DATA_DIR: dataDir, DATABASE_URL: "", REDIS_URL: "", DEMO_ADMIN_USERNAMES: "" };

beforeAll(() => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = dataDir;
});

afterAll(async () => {
  await closeDatabase();
  temp.cleanup();
});

describe("delete-user CLI", { timeout: 60_000 }, () => {
  it("prints usage and exits 2 without a username, and wants --yes without a terminal", async () => {
    const usage = await runTsx([DELETE], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Usage: npm run delete-user -- <username> [--yes]");
    const noYes = await runTsx([DELETE, "alice"], env);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr.trim()).toBe("--yes is required when stdin is not a terminal");
  });

  it("says so for a user that does not exist (exit 1)", async () => {
    const result = await runTsx([DELETE, "nobody-here", "--yes"], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("Error: No user named nobody-here.");
  });

  it("deletes the user and revokes every session issued until then", async () => {
    const alice = await createUser("alice", "alice-password");
    const bob = await createUser("bob", "bob-password");
    await closeDatabase(); // the CLI needs the PGlite directory to itself, like a stopped server
    const before = Date.now() - 1_000;

    const result = await runTsx([DELETE, "Alice", "--yes"], env);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`Deleted user alice (id ${alice.id}) and revoked all their sessions.`);
    expect(result.stdout).toContain("close at its next revocation sweep (set REDIS_URL to close them at once)");
    expect(result.code).toBe(0);

    expect(await findUserByUsername("alice")).toBeNull();
    expect(await findUserByUsername("bob")).toEqual(bob);
    // What the server (its jwt callback and its gateway) will find in the store.
    const runtime = installRuntime({ settings: readSettings({}), layer: createMemoryLayer(), store: createDrizzleStore(await getReadyDb()) });
    try {
      expect(await isSessionRevoked({ userId: alice.id, sessionId: "any-session", issuedAt: before })).toBe(true);
      expect(await isSessionRevoked({ userId: alice.id, sessionId: null, issuedAt: null })).toBe(true);
      expect(await isSessionRevoked({ userId: bob.id, sessionId: "any-session", issuedAt: before })).toBe(false);
    } finally {
      uninstallRuntime(runtime);
      await closeDatabase();
    }
  });

  it("reports a database held by a running process with exit 1, deleting nothing", async () => {
    await createUser("carol", "carol-password");
    const result = await runTsx([DELETE, "carol", "--yes"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`is in use by process ${process.pid}`);
    expect(await findUserByUsername("carol")).not.toBeNull();
    await closeDatabase();
  });
});

describe("create-user roles", { timeout: 60_000 }, () => {
  it("--admin makes an admin; without it, a user once the database has one", async () => {
    const admin = await runTsx([CREATE, "dave", "--password", "dave-password", "--admin"], env);
    expect(admin.stdout).toMatch(/^Created admin dave \(id [0-9a-f-]{36}\)\n$/);
    const user = await runTsx([CREATE, "erin", "--password", "erin-password"], env);
    expect(user.stdout).toMatch(/^Created user erin \(id [0-9a-f-]{36}\)\n$/);
  });

  it("stops naming DEMO_ADMIN_USERNAMES when it is invalid, creating nothing", async () => {
    const result = await runTsx([CREATE, "frank", "--password", "frank-password"], { ...env, DEMO_ADMIN_USERNAMES: "frank;root" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Error: Invalid setting DEMO_ADMIN_USERNAMES:");
    expect(await findUserByUsername("frank")).toBeNull();
    await closeDatabase();
  });

  it("with DEMO_ADMIN_USERNAMES set, the first user of an empty database is not the admin", async () => {
    const fresh = { ...env, PGLITE_DATA_DIR: path.join(temp.dir, "fresh"), DEMO_ADMIN_USERNAMES: "root" };
    const first = await runTsx([CREATE, "gina", "--password", "gina-password"], fresh);
    expect(first.stdout).toMatch(/^Created user gina /);
    const empty = { ...env, PGLITE_DATA_DIR: path.join(temp.dir, "fresh2") };
    const firstByDefault = await runTsx([CREATE, "hank", "--password", "hank-password"], empty);
    expect(firstByDefault.stdout).toMatch(/^Created admin hank /);
  });
});
