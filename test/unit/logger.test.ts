import { afterEach, describe, expect, it } from "vitest";
import { createLogger, getLogger, setLogger, type NotificationsLogger } from "../../packages/next-channels-broadcast/src/server/logger";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { InvalidSettingError } from "../../packages/next-channels-broadcast/src/shared/errors";
import { HandshakeRefused, startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: { level: string; line: Record<string, unknown> }[] = [];
  const logger = createLogger({ format: "json", ...options, writeLine: (line, level) => lines.push({ level, line: JSON.parse(line) as Record<string, unknown> }) });
  return { logger, lines };
}

describe("createLogger", () => {
  it("drops what is below its level", () => {
    const { logger, lines } = capture({ level: "warn" });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((entry) => entry.level)).toEqual(["warn", "error"]);
    const silent = capture({ level: "silent" });
    silent.logger.error("nothing");
    expect(silent.lines).toEqual([]);
  });

  it("writes one JSON object per line: time, level, process, msg, the error with its cause, other details", () => {
    const { logger, lines } = capture({ processId: "web-1" });
    logger.error("[notifications] upgrade failed", new Error("boom", { cause: new Error("root") }), { group: "all" });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.line).toMatchObject({
      level: "error",
      process: "web-1",
      msg: "[notifications] upgrade failed",
      error: { name: "Error", message: "boom", cause: { message: "root" } },
      details: { group: "all" },
    });
    expect(new Date(lines[0]!.line.time as string).toString()).not.toBe("Invalid Date");
  });

  it("in text format hands the message and details to the console as they are", () => {
    const seen: unknown[][] = [];
    const sink = { debug: () => undefined, info: (...args: unknown[]) => seen.push(["info", ...args]), warn: (...args: unknown[]) => seen.push(["warn", ...args]), error: () => undefined };
    const logger = createLogger({ console: sink });
    const error = new Error("x");
    logger.warn("careful", error);
    logger.info("fyi");
    expect(seen).toEqual([["warn", "careful", error], ["info", "fyi"]]);
  });
});

describe("the process logger", () => {
  let previous: NotificationsLogger;
  let server: TestGateway | undefined;
  afterEach(async () => {
    setLogger(previous);
    await server?.close();
    server = undefined;
  });

  it("is what the gateway reports through when it is given no logger of its own", async () => {
    previous = getLogger();
    const { logger, lines } = capture();
    setLogger(logger);
    server = await startTestGateway({ enableAnonymous: false });
    // A refused handshake is explained once in development, through the process logger.
    await expect(TestClient.connect(server.url, {})).rejects.toBeInstanceOf(HandshakeRefused);
    expect(lines.find((entry) => String(entry.line.msg).includes("refused a websocket"))).toMatchObject({ level: "warn" });
  });

  it("settings: NOTIFICATIONS_LOG_LEVEL and NOTIFICATIONS_LOG_FORMAT, checked", () => {
    previous = getLogger();
    expect(readSettings({ NOTIFICATIONS_LOG_LEVEL: "WARN", NOTIFICATIONS_LOG_FORMAT: "json" })).toMatchObject({ logLevel: "warn", logFormat: "json" });
    expect(() => readSettings({ NOTIFICATIONS_LOG_LEVEL: "loud" })).toThrow(InvalidSettingError);
    expect(() => readSettings({ NOTIFICATIONS_LOG_FORMAT: "xml" })).toThrow(/NOTIFICATIONS_LOG_FORMAT/);
  });
});
