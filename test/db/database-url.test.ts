import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, DatabaseConnectionError, getDatabaseKind, migrateDatabase, redactDatabaseUrl } from "@/db";
import { runTsx } from "./helpers";

afterAll(async () => {
  await closeDatabase();
});

// Port 1 on loopback: nothing listens there, the connection is refused at once.
const UNREACHABLE = "postgres://demo:s3cret-pw@127.0.0.1:1/demo";

describe("DATABASE_URL", { timeout: 60_000 }, () => {
  it("redacts the password in messages", () => {
    expect(redactDatabaseUrl(UNREACHABLE)).toBe("postgres://demo:***@127.0.0.1:1/demo");
  });

  it("fails with a clear message naming DATABASE_URL when the server is unreachable", async () => {
    process.env.DATABASE_URL = UNREACHABLE;
    try {
      expect(getDatabaseKind()).toBe("postgres");
      const error = await migrateDatabase().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatabaseConnectionError);
      expect((error as Error).message).toContain("DATABASE_URL=postgres://demo:***@127.0.0.1:1/demo");
      expect((error as Error).message).not.toContain("s3cret-pw");
    } finally {
      await closeDatabase();
      delete process.env.DATABASE_URL;
    }
  });

  it("a child process reports the same error", async () => {
    const child = await runTsx(["test/db/fixtures/open-db.ts"], { DATABASE_URL: UNREACHABLE });
    expect(child.code).toBe(1);
    expect(child.stderr).toContain("Could not connect to PostgreSQL at DATABASE_URL=");
  });
});
