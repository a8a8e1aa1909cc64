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
    ["NOTIFICATIONS_METRICS_PATH", "/metrics"], // neither a token nor an allow-list
    ["NOTIFICATIONS_METRICS_TOKEN", "short"],
    ["NOTIFICATIONS_METRICS_ALLOW", "10.0.0.1, example.com"],
    ["NOTIFICATIONS_READINESS_PATH", "readyz"],
    ["NOTIFICATIONS_DRAIN_WINDOW_MS", "-1"],
    ["NOTIFICATIONS_PROCESS_ID", "has space"],
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

  it("reads the operations settings: metrics behind a token or an allow-list, health paths that can be turned off", () => {
    const settings = readSettings({
      NOTIFICATIONS_METRICS_PATH: "/metrics",
      NOTIFICATIONS_METRICS_ALLOW: "127.0.0.1, ::1",
      NOTIFICATIONS_LIVENESS_PATH: "off",
      NOTIFICATIONS_READINESS_PATH: "/health/ready",
      NOTIFICATIONS_DRAIN_WINDOW_MS: "0",
    });
    expect(settings).toMatchObject({ metricsPath: "/metrics", metricsAllow: ["127.0.0.1", "::1"], metricsToken: "", livenessPath: "", readinessPath: "/health/ready", drainWindowMs: 0 });
    expect(readSettings({ NOTIFICATIONS_METRICS_PATH: "/metrics", NOTIFICATIONS_METRICS_TOKEN: "0123456789abcdef" }).metricsToken).toBe("0123456789abcdef");
    expect(() => readSettings({ NOTIFICATIONS_METRICS_PATH: "/ws/notifications", NOTIFICATIONS_METRICS_TOKEN: "0123456789abcdef" })).toThrow(/used for two things/);
  });

  it("parses an origin list", () => {
    expect(readSettings({ NOTIFICATIONS_ALLOWED_ORIGINS: "https://a.example, http://localhost:3000" }).allowedOrigins).toEqual([
      "https://a.example",
      "http://localhost:3000",
    ]);
  });
});
