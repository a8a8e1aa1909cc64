import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, getDb, verifyUser } from "@/db";
import { ROOT, runTsx, tempDir, TSX } from "./helpers";

const CLI = "src/cli/create-user.ts";
const temp = tempDir("ncb-db-cli-");
const dataDir = path.join(temp.dir, "pglite");
const env = { PGLITE_DATA_DIR: dataDir, DATABASE_URL: "" };

beforeAll(() => {
  delete process.env.DATABASE_URL;
  process.env.PGLITE_DATA_DIR = dataDir;
});

afterAll(async () => {
  await closeDatabase();
  temp.cleanup();
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("create-user CLI", { timeout: 60_000 }, () => {
  it("prints usage and exits 2 without a username", async () => {
    const result = await runTsx([CLI], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: npm run create-user -- <username>");
    expect(result.stdout).toBe("");
  });

  it("exits 2 at once without --password when stdin is not a terminal", async () => {
    const result = await runTsx([CLI, "alice"], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("--password is required when stdin is not a terminal");
  });

  it("exits 2 on an unknown option", async () => {
    const result = await runTsx([CLI, "alice", "--pasword", "x"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage:");
  });

  it("creates a user, then refuses the duplicate and bad input with exit 1", async () => {
    const created = await runTsx([CLI, "Alice", "--password", "alice-password"], env);
    expect(created.stderr).toBe("");
    // The first user of an empty database is the admin (DEMO_ADMIN_USERNAMES is unset).
    expect(created.stdout).toMatch(/^Created admin alice \(id [0-9a-f-]{36}\)\n$/);
    expect(created.code).toBe(0);

    const duplicate = await runTsx([CLI, "alice", "-p", "another-password"], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('The username "alice" is already taken.');

    const invalid = await runTsx([CLI, "a!", "-p", "long-enough"], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("Invalid username");

    const short = await runTsx([CLI, "bob", "-p", "short"], env);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("at least 8 characters");
  });

  it("creates several users in one run, in order, and stops at the first that fails", async () => {
    const several = await runTsx([CLI, "dora", "Emil", "--password", "shared-password"], env);
    expect(several.code).toBe(0);
    expect(several.stdout).toMatch(/^Created user dora \(id [0-9a-f-]{36}\)\nCreated user emil \(id [0-9a-f-]{36}\)\n$/);
    const invalidAmong = await runTsx([CLI, "fritz", "no!", "-p", "shared-password"], env);
    expect(invalidAmong.code).toBe(1);
    expect(invalidAmong.stdout).toBe(""); // refused before anything was created
    const duplicateAmong = await runTsx([CLI, "gus", "dora", "hank", "-p", "shared-password"], env);
    expect(duplicateAmong.code).toBe(1);
    expect(duplicateAmong.stdout).toMatch(/^Created user gus /);
    expect(duplicateAmong.stderr).toContain('The username "dora" is already taken.');
    expect(await verifyUser("hank", "shared-password")).toBeNull();
  });

  it("reports a database held by a running process with exit 1", async () => {
    getDb(); // this test process now holds the directory, like a running server would
    expect(await verifyUser("alice", "alice-password")).not.toBeNull();
    const result = await runTsx([CLI, "carol", "-p", "carol-password"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Error: PGlite data directory ${dataDir} is in use by process ${process.pid}`);
    await closeDatabase();
  });

  it.skipIf(!hasScript)("asks twice for a hidden password on a terminal", async () => {
    // `script` gives the CLI a pseudo-terminal; we answer each prompt as it appears.
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn("script", ["-qfec", `${TSX} ${CLI} dave`, "/dev/null"], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let output = "";
      let answered = 0;
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const prompts = (output.match(/Password: |Repeat password: /g) ?? []).length;
        while (answered < prompts) {
          answered++;
          child.stdin.write("dave-password\r");
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, output }));
    });
    expect(result.output).toContain("Password:");
    expect(result.output).toContain("Repeat password:");
    expect(result.output).toMatch(/Created user dave \(id [0-9a-f-]{36}\)/);
    expect(result.output).not.toContain("dave-password");
    expect(result.code).toBe(0);
    expect(await verifyUser("dave", "dave-password")).not.toBeNull();
  });
});
