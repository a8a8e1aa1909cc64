/** Store settings are strict like the kit's other settings; `lastId` parsing never throws. */
import { describe, expect, it } from "vitest";
import { DEFAULT_STORE_SETTINGS, readStoreSettings } from "../../packages/next-channels-broadcast/src/server/store";
import { parseLastId } from "../../packages/next-channels-broadcast/src/server/store/replay";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";

describe("readStoreSettings", () => {
  it("has the documented defaults", () => {
    expect(readStoreSettings({})).toEqual({
      inboxRetentionMs: 7 * 24 * 60 * 60 * 1000,
      recoveryWindowMs: 2 * 60 * 1000,
      recoveryMaxMessages: 100,
      inboxReplayMax: 100,
      cleanupIntervalMs: 5 * 60 * 1000,
      replayTimeoutMs: 5 * 1000,
      centerRetentionMs: 30 * 24 * 60 * 60 * 1000,
    });
    expect(readStoreSettings({})).toEqual(DEFAULT_STORE_SETTINGS);
  });

  it("reads the environment, then code overrides", () => {
    const settings = readStoreSettings(
      { NOTIFICATIONS_INBOX_RETENTION_MS: "86400000", NOTIFICATIONS_RECOVERY_WINDOW_MS: " 0 ", NOTIFICATIONS_RECOVERY_MAX_MESSAGES: "" },
      { cleanupIntervalMs: 1000 },
    );
    expect(settings).toMatchObject({ inboxRetentionMs: 86_400_000, recoveryWindowMs: 0, recoveryMaxMessages: 100, cleanupIntervalMs: 1000 });
  });

  it.each([
    ["NOTIFICATIONS_INBOX_RETENTION_MS", "7d"],
    ["NOTIFICATIONS_INBOX_RETENTION_MS", "0"],
    ["NOTIFICATIONS_RECOVERY_WINDOW_MS", "-1"],
    ["NOTIFICATIONS_RECOVERY_WINDOW_MS", "1.5"],
    ["NOTIFICATIONS_RECOVERY_MAX_MESSAGES", "100000"],
    ["NOTIFICATIONS_INBOX_REPLAY_MAX", "0"],
    ["NOTIFICATIONS_CLEANUP_INTERVAL_MS", "false"],
    ["NOTIFICATIONS_REPLAY_TIMEOUT_MS", "0"],
    ["NOTIFICATIONS_REPLAY_TIMEOUT_MS", "60001"],
  ])("%s=%s stops start-up with an error naming it", (name, raw) => {
    let error: unknown;
    try {
      readStoreSettings({ [name]: raw });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidSettingError);
    expect((error as InvalidSettingError).setting).toBe(name);
  });

  it("refuses bad overrides in code", () => {
    expect(() => readStoreSettings({}, { recoveryWindowMs: "120000" as unknown as number })).toThrow(InvalidSettingError);
    expect(() => readStoreSettings({}, { bogus: 1 } as never)).toThrow(InvalidSettingError);
    expect(() => readStoreSettings({}, { inboxReplayMax: 0 })).toThrow(InvalidSettingError);
  });
});

describe("parseLastId", () => {
  it.each([
    ["0", 0],
    ["42", 42],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
  ])("%s → %s", (raw, expected) => expect(parseLastId(raw)).toBe(expected));

  it.each([null, undefined, "", "-1", "1.5", "1e3", " 1", "0x10", "abc", "9007199254740993", "99999999999999999"])("%s → null", (raw) => {
    expect(parseLastId(raw)).toBeNull();
  });
});
