import { describe, expect, it } from "vitest";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { DEFAULT_SETTINGS, readSettings } from "../../packages/next-channels-broadcast/src/server/settings";

describe("settings", () => {
  it("has the original's defaults: anonymous off, everything else on", () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({ enableAll: true, enableAuthenticated: true, enableAnonymous: false, enablePageChannels: true });
  });

  it.each([
    ["False", false],
    ["false", false],
    ["0", false],
    ["off", false],
    ["NO", false],
    ["True", true],
    ["1", true],
    ["yes", true],
    [" on ", true],
  ])("reads ENABLE_ALL=%j as %j", (raw, expected) => {
    expect(readSettings({ ENABLE_ALL: raw }).enableAll).toBe(expected);
  });

  it.each([
    ["ENABLE_ANONYMOUS", "maybe"],
    ["ENABLE_PAGE_CHANNELS", "2"],
    ["NOTIFICATIONS_HEARTBEAT_MS", "fast"],
    ["NOTIFICATIONS_HEARTBEAT_MS", "10.5"],
    ["NOTIFICATIONS_MAX_FRAME_BYTES", "999999999"],
    ["NOTIFICATIONS_WS_PATH", "ws"],
    ["NOTIFICATIONS_ALLOWED_ORIGINS", "example.com"],
    ["NOTIFICATIONS_ALLOWED_ORIGINS", "https://example.com/path"],
  ])("stops on %s=%j with an error naming the setting", (name, raw) => {
    const error = (() => {
      try {
        readSettings({ [name]: raw });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidSettingError);
    expect((error as InvalidSettingError).setting).toBe(name);
    expect((error as Error).message).toContain(name);
  });

  it("applies overrides given in code with the same checks", () => {
    expect(readSettings({ ENABLE_ANONYMOUS: "false" }, { enableAnonymous: true }).enableAnonymous).toBe(true);
    expect(() => readSettings({}, { heartbeatMs: -5 })).toThrow(InvalidSettingError);
    expect(() => readSettings({}, { enableAll: "yes" as never })).toThrow(/enableAll/);
  });

  it("parses an origin list", () => {
    expect(readSettings({ NOTIFICATIONS_ALLOWED_ORIGINS: "https://a.example, http://localhost:3000" }).allowedOrigins).toEqual([
      "https://a.example",
      "http://localhost:3000",
    ]);
  });
});
