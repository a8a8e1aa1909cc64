/**
 * `createStoreFromEnv` and the runtime a worker gets from `getRuntime()`: a store only with
 * DATABASE_URL (PostgreSQL), never for PGlite; a bad URL stops the process with an error naming
 * the variable; `closeRuntime()` closes the store it created. Nothing here connects: the pool
 * is lazy (the real database round trip is in test/multiprocess/worker-store.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeRuntime, getRuntime, peekRuntime, uninstallRuntime } from "../../src/notifications/server/runtime";
import { createStoreFromEnv } from "../../src/notifications/server/store/from-env";
import { InvalidSettingError } from "../../src/notifications/shared/errors";

const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };

afterEach(async () => {
  await closeRuntime();
  uninstallRuntime();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("createStoreFromEnv", () => {
  it.each([{}, { DATABASE_URL: "" }, { DATABASE_URL: "   " }])("no store without DATABASE_URL (%j)", (env) => {
    expect(createStoreFromEnv(env)).toBeNull();
  });

  it.each(["not a url", "mysql://root@localhost/app", "file:///tmp/pglite"])("DATABASE_URL=%s is refused naming the variable", (url) => {
    let error: unknown;
    try {
      createStoreFromEnv({ DATABASE_URL: url });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidSettingError);
    expect((error as InvalidSettingError).setting).toBe("DATABASE_URL");
  });

  it("a PostgreSQL URL gives a store with the environment's store settings; close() is idempotent", async () => {
    const store = createStoreFromEnv({ DATABASE_URL: "postgres://app@127.0.0.1:1/app", NOTIFICATIONS_REPLAY_TIMEOUT_MS: "1234" });
    expect(store).not.toBeNull();
    expect(store!.settings.replayTimeoutMs).toBe(1234);
    await Promise.all([store!.close(), store!.close()]);
  });

  it("store settings are as strict as elsewhere", () => {
    expect(() => createStoreFromEnv({ DATABASE_URL: "postgres://app@127.0.0.1:1/app", NOTIFICATIONS_RECOVERY_WINDOW_MS: "soon" })).toThrow(InvalidSettingError);
  });
});

describe("getRuntime() in a process without an installed runtime", () => {
  it("has a store when DATABASE_URL is set, and closeRuntime() forgets it", async () => {
    delete process.env.REDIS_URL;
    process.env.DATABASE_URL = "postgresql://worker@127.0.0.1:1/app";
    const runtime = getRuntime();
    expect(runtime.store).toBeDefined();
    expect(runtime.layer.kind).toBe("memory");
    await closeRuntime();
    expect(peekRuntime()).toBeUndefined();
  });

  it("has no store without DATABASE_URL (PGlite is the server's own)", () => {
    delete process.env.REDIS_URL;
    delete process.env.DATABASE_URL;
    expect(getRuntime().store).toBeUndefined();
  });

  it("an invalid DATABASE_URL throws instead of running without a store", () => {
    process.env.DATABASE_URL = "mysql://root@localhost/app";
    expect(() => getRuntime()).toThrow(InvalidSettingError);
    expect(peekRuntime()).toBeUndefined();
  });
});
