/**
 * The development warning for sends that reach nobody: an in-memory layer that no gateway of this
 * process listens on, and no store to keep the send for replay — `next start` without server.ts,
 * a script without `connectFromEnv()`. It fires once per process, names the fix, stays quiet in
 * production, and never stops the send.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { createGateway } from "../../packages/next-channels-broadcast/src/server/gateway";
import { createNotifications } from "../../packages/next-channels-broadcast/src/server/instance";
import { resetUnreachableWarning } from "../../packages/next-channels-broadcast/src/server/reach";
import { sendToAll } from "../../packages/next-channels-broadcast/src/server/send";
import { uninstallRuntime } from "../../packages/next-channels-broadcast/src/server/runtime";
import { createRecordingLayer } from "../helpers/recording-layer";

let warn: MockInstance<typeof console.warn>;
const unreachable = () => warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes("nobody can receive it"));

beforeEach(() => {
  resetUnreachableWarning();
  uninstallRuntime();
  warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
});
afterEach(() => {
  warn.mockRestore();
  vi.unstubAllEnvs();
  uninstallRuntime();
});

describe("a send that reaches nobody", () => {
  it("warns once in development, with what to do, and still sends", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const notifications = createNotifications({ env: {} });
    expect(await notifications.sendToUser("42", "first")).toBe(true);
    expect(await notifications.sendToAll("second")).toBe(true);
    const warnings = unreachable();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("server.ts");
    expect(warnings[0]).toContain("npx next-channels-broadcast init");
    expect(warnings[0]).toContain("connectFromEnv()");
    expect(warnings[0]).toContain("to user:42");
  });

  it("the default path (nothing installed: next start without server.ts) warns the same way, once", async () => {
    vi.stubEnv("NODE_ENV", "development");
    expect(await sendToAll("to nobody")).toBe(true);
    uninstallRuntime();
    expect(await sendToAll("again")).toBe(true);
    expect(unreachable()).toHaveLength(1);
  });

  it("stays quiet in production", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const notifications = createNotifications({ env: {} });
    await notifications.sendToAll("quiet");
    expect(unreachable()).toEqual([]);
  });

  it("stays quiet while a gateway listens on the instance's layer, and warns once it closed", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const notifications = createNotifications({ env: {} });
    const gateway = createGateway({ notifications });
    await notifications.sendToAll("someone may listen");
    expect(unreachable()).toEqual([]);
    await gateway.close();
    await notifications.sendToAll("now nobody");
    expect(unreachable()).toHaveLength(1);
  });

  it("stays quiet with a layer that crosses processes", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const notifications = createNotifications({ env: {}, layer: createRecordingLayer() });
    await notifications.sendToAll("carried elsewhere");
    expect(unreachable()).toEqual([]);
  });
});
