/**
 * The demo's own settings: strict parsing, and a bad value stopping the real server.ts at start-up
 * with a message naming the variable.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_DEMO_SETTINGS, parseAdminUsernames, readDemoSettings } from "@/demo/settings";
import { InvalidSettingError } from "next-channels-broadcast/server";
import { runTsx } from "../db/helpers";

function refusal(env: Record<string, string>): InvalidSettingError {
  try {
    readDemoSettings(env);
  } catch (error) {
    if (error instanceof InvalidSettingError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe("readDemoSettings", () => {
  it("has defaults for an empty environment (blank values count as unset)", () => {
    expect(readDemoSettings({})).toEqual(DEFAULT_DEMO_SETTINGS);
    expect(readDemoSettings({ DEMO_ADMIN_USERNAMES: "  ", DEMO_SENDS_PER_MINUTE: "" })).toEqual(DEFAULT_DEMO_SETTINGS);
    expect(DEFAULT_DEMO_SETTINGS.adminUsernames.size).toBe(0);
  });

  it("reads every setting", () => {
    const settings = readDemoSettings({
      DEMO_ADMIN_USERNAMES: " Alice ,bob.smith,carol_1",
      DEMO_SENDS_PER_MINUTE: "5",
      DEMO_SIGNIN_FAILURES_PER_HOUR: "7",
      DEMO_SIGNUPS_PER_HOUR: "3",
    });
    expect([...settings.adminUsernames]).toEqual(["alice", "bob.smith", "carol_1"]);
    expect(settings).toMatchObject({ sendsPerMinute: 5, signInFailuresPerHour: 7, signUpsPerHour: 3 });
  });

  it.each([
    ["DEMO_ADMIN_USERNAMES", "alice,,bob", "entry 2 is empty"],
    ["DEMO_ADMIN_USERNAMES", "alice,", "entry 2 is empty"],
    ["DEMO_ADMIN_USERNAMES", "alice;bob", 'alice;bob" is not a username'],
    ["DEMO_ADMIN_USERNAMES", "al", '"al" is not a username'],
    ["DEMO_ADMIN_USERNAMES", "root admin", '"root admin" is not a username'],
    ["DEMO_SENDS_PER_MINUTE", "0", "expected a whole number from 1"],
    ["DEMO_SENDS_PER_MINUTE", "ten", "expected a whole number from 1"],
    ["DEMO_SENDS_PER_MINUTE", "2.5", "expected a whole number from 1"],
    ["DEMO_SIGNIN_FAILURES_PER_HOUR", "-1", "expected a whole number from 1"],
    ["DEMO_SIGNUPS_PER_HOUR", "1e3", "expected a whole number from 1"],
  ])("refuses %s=%j, naming it", (name, value, why) => {
    const error = refusal({ [name]: value });
    expect(error.setting).toBe(name);
    expect(error.code).toBe("INVALID_SETTING");
    expect(error.message).toContain(`Invalid setting ${name}:`);
    expect(error.message).toContain(why);
  });

  it("parseAdminUsernames lowercases and de-duplicates", () => {
    expect([...parseAdminUsernames("X", "Root,root,ROOT")]).toEqual(["root"]);
  });
});

describe("server.ts start-up", { timeout: 60_000 }, () => {
  it("stops with exit 1 naming DEMO_ADMIN_USERNAMES when it is invalid", async () => {
    const result = await runTsx(["server.ts"], { DEMO_ADMIN_USERNAMES: "alice,,bob", PORT: "0", AUTH_SECRET: "x".repeat(40), NODE_ENV: "production" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[server] could not start: Invalid setting DEMO_ADMIN_USERNAMES: entry 2 is empty");
    expect(result.stdout).not.toContain("ready on");
  });
});
