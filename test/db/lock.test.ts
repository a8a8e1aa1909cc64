import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, createUser, DatabaseLockedError, getDb, getReadyDb, PGLITE_LOCK_FILE, users } from "@/db";
import { deadPid, runTsx, tempDir } from "./helpers";

const OPEN_DB = "test/db/fixtures/open-db.ts";
const temp = tempDir("ncb-db-lock-");
const dataDir = path.join(temp.dir, "pglite");
const lockFile = path.join(dataDir, PGLITE_LOCK_FILE);

beforeAll(() => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = dataDir;
});

afterAll(async () => {
  await closeDatabase();
  temp.cleanup();
});

describe("PGlite data directory lock", { timeout: 60_000 }, () => {
  it("refuses a second process while this one holds the directory", async () => {
    await getReadyDb();
    await createUser("erin", "password-erin");
    expect(fs.readFileSync(lockFile, "utf8").trim()).toBe(String(process.pid));

    const child = await runTsx([OPEN_DB], { PGLITE_DATA_DIR: dataDir });
    expect(child.code).toBe(1);
    expect(child.stderr).toContain(
      `PGlite data directory ${dataDir} is in use by process ${process.pid}; stop that process, or set PGLITE_DATA_DIR / NOTIFICATIONS_PGLITE_DIR / DATABASE_URL`,
    );
    // The refused process did not touch our lock or our data.
    expect(fs.readFileSync(lockFile, "utf8").trim()).toBe(String(process.pid));
    expect(await (await getReadyDb()).select().from(users)).toHaveLength(1);
  });

  it("releases the lock on close (idempotently) so another process can open the directory", async () => {
    await closeDatabase();
    await closeDatabase();
    expect(fs.existsSync(lockFile)).toBe(false);

    const child = await runTsx([OPEN_DB], { PGLITE_DATA_DIR: dataDir });
    expect(child.stderr).toBe("");
    expect(child.stdout.trim()).toBe("ok 1");
    expect(child.code).toBe(0);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it("takes over a stale lock left by a dead process", async () => {
    const pid = deadPid();
    fs.writeFileSync(lockFile, `${pid}\n`);
    const db = getDb();
    expect(fs.readFileSync(lockFile, "utf8").trim()).toBe(String(process.pid));
    expect(await db.select().from(users)).toHaveLength(1);
    await closeDatabase();
  });

  it("takes over a garbage lock file", async () => {
    fs.writeFileSync(lockFile, "not a pid");
    getDb();
    expect(fs.readFileSync(lockFile, "utf8").trim()).toBe(String(process.pid));
    await closeDatabase();
  });

  it("throws DatabaseLockedError in-process when a live process holds the lock", async () => {
    // The parent of this worker is alive for the whole test run.
    fs.writeFileSync(lockFile, `${process.ppid}\n`);
    try {
      expect(() => getDb()).toThrow(DatabaseLockedError);
      expect(() => getDb()).toThrow(`is in use by process ${process.ppid}`);
    } finally {
      fs.unlinkSync(lockFile);
    }
  });
});
