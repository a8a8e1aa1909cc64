/**
 * `createStoreFromEnv`, and the runtime a worker gets: `connectFromEnv()` builds it from the
 * environment (a store only with DATABASE_URL — PostgreSQL, never PGlite — the Redis layer only
 * with REDIS_URL); a bad URL stops the process with an error naming the variable;
 * `closeRuntime()` closes what it created. Without either call, `getRuntime()` stands in with a
 * process-local runtime, whose first send says, once, that nobody will receive. Nothing here connects: the pool
 * is lazy (the real database round trip is in test/multiprocess/worker-store.test.ts).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectFromEnv } from "../../packages/next-channels-broadcast/src/server/connect-from-env";
import { closeRuntime, getRuntime, peekRuntime, uninstallRuntime } from "../../packages/next-channels-broadcast/src/server/runtime";
import { createStoreFromEnv } from "../../packages/next-channels-broadcast/src/server/store/from-env";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";

afterEach(async () => {
  await closeRuntime();
  uninstallRuntime();
  vi.restoreAllMocks();
});

describe("createStoreFromEnv", () => {
  it.each([{}, { DATABASE_URL: "" }, { DATABASE_URL: "   " }])("no store without DATABASE_URL (%j)", async (env) => {
    expect(await createStoreFromEnv(env)).toBeNull();
  });

  it.each(["not a url", "mysql://root@localhost/app", "file:///tmp/pglite"])("DATABASE_URL=%s is refused naming the variable", async (url) => {
    const error = await createStoreFromEnv({ DATABASE_URL: url }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidSettingError);
    expect((error as InvalidSettingError).setting).toBe("DATABASE_URL");
  });

  it("a PostgreSQL URL gives a store with the environment's store settings; close() is idempotent", async () => {
    const store = await createStoreFromEnv({ DATABASE_URL: "postgres://app@127.0.0.1:1/app", NOTIFICATIONS_REPLAY_TIMEOUT_MS: "1234" });
    expect(store).not.toBeNull();
    expect(store!.settings.replayTimeoutMs).toBe(1234);
    await Promise.all([store!.close(), store!.close()]);
  });

  it("store settings are as strict as elsewhere", async () => {
    await expect(createStoreFromEnv({ DATABASE_URL: "postgres://app@127.0.0.1:1/app", NOTIFICATIONS_RECOVERY_WINDOW_MS: "soon" })).rejects.toThrow(InvalidSettingError);
  });
});

describe("connectFromEnv()", () => {
  it("has a store when DATABASE_URL is set, and closeRuntime() forgets it", async () => {
    const runtime = await connectFromEnv({ env: { DATABASE_URL: "postgresql://worker@127.0.0.1:1/app" }, warn: () => undefined });
    expect(runtime.store).toBeDefined();
    expect(runtime.layer.kind).toBe("memory");
    expect(peekRuntime()).toBe(runtime);
    await closeRuntime();
    expect(peekRuntime()).toBeUndefined();
  });

  it("has no store without DATABASE_URL (PGlite is the server's own), and warns that without REDIS_URL nobody else is reached", async () => {
    const warnings: string[] = [];
    const runtime = await connectFromEnv({ env: {}, warn: (message) => void warnings.push(message) });
    expect(runtime.store).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining("REDIS_URL is not set")]);
  });

  it("an invalid DATABASE_URL throws instead of running without a store, and installs nothing", async () => {
    await expect(connectFromEnv({ env: { DATABASE_URL: "mysql://root@localhost/app" }, warn: () => undefined })).rejects.toThrow(InvalidSettingError);
    expect(peekRuntime()).toBeUndefined();
  });

  it("returns the runtime already installed (the server's) instead of making a second one", async () => {
    const first = await connectFromEnv({ env: {}, warn: () => undefined });
    expect(await connectFromEnv({ env: { DATABASE_URL: "postgres://x@127.0.0.1:1/y" }, warn: () => undefined })).toBe(first);
  });
});

describe("getRuntime() with nothing installed", () => {
  it("stands in with a process-local runtime (in-memory layer, no store); its sends warn (test/unit/unreachable-warning.test.ts)", () => {
    const runtime = getRuntime();
    expect(runtime.layer.kind).toBe("memory");
    expect(runtime.store).toBeUndefined();
    expect(peekRuntime()).toBe(runtime);
  });
});
