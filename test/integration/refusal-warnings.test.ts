/**
 * A refused websocket handshake is an HTTP answer the browser never shows, so in development the
 * gateway says why in the server's output — once per reason — and in production it says nothing.
 * Real sockets against a real gateway.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { gatewayPerTest, HandshakeRefused, TestClient } from "../helpers/gateway-server";

const gw = gatewayPerTest();
afterEach(() => {
  vi.unstubAllEnvs();
});

async function refused(options: Parameters<typeof TestClient.connect>[1]): Promise<number> {
  const error = await TestClient.connect(gw.server.url, options).then(
    (client) => {
      client.ws.terminate();
      return null;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HandshakeRefused);
  return (error as HandshakeRefused).status;
}

function recorder() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => void warnings.push(message), error: () => undefined } };
}

describe("refused handshakes in development", () => {
  it("a foreign Origin: 403, and one warning naming the origin and the setting, however many times", async () => {
    const { warnings, logger } = recorder();
    await gw.start({}, { logger });
    expect(await refused({ userId: "ada", origin: "http://evil.example" })).toBe(403);
    expect(await refused({ userId: "ada", origin: "http://evil.example" })).toBe(403);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("refused a websocket (403 Origin not allowed)");
    expect(warnings[0]).toContain('Origin "http://evil.example"');
    expect(warnings[0]).toContain("NOTIFICATIONS_ALLOWED_ORIGINS");
  });

  it("an anonymous socket with anonymous connections off: one warning naming ENABLE_ANONYMOUS and user.id", async () => {
    const { warnings, logger } = recorder();
    await gw.start({}, { logger });
    expect(await refused({})).toBe(403);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("Anonymous connections are disabled");
    expect(warnings[0]).toContain("ENABLE_ANONYMOUS is off");
    expect(warnings[0]).toContain("user.id");
  });

  it("says nothing in production", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const { warnings, logger } = recorder();
    await gw.start({}, { logger });
    expect(await refused({})).toBe(403);
    expect(await refused({ userId: "ada", origin: "http://evil.example" })).toBe(403);
    expect(warnings).toEqual([]);
  });
});
