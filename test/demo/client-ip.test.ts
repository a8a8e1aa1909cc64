/**
 * The client address the per-address limits use: stamped by server.ts from the TCP peer, so a
 * client cannot choose it, unless NOTIFICATIONS_TRUSTED_PROXIES says proxies of ours set
 * X-Forwarded-For. Real HTTP server and requests.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_IP_HEADER, clientAddressFrom, stampClientAddress, UNKNOWN_CLIENT_IP } from "@/demo/client-ip";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Starts a server like server.ts does (stamp prepended to the app's handler); resolves with what the app saw. */
async function serve(trustedProxies: number): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push({ ...req.headers });
    res.end("ok");
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  stampClientAddress(server, trustedProxies);
  return { port: (server.address() as AddressInfo).port, seen };
}

function get(port: number, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers }, (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("client address", () => {
  it("is the TCP peer, whatever the client claims", async () => {
    const { port, seen } = await serve(0);
    await get(port, { [CLIENT_IP_HEADER]: "198.51.100.1", "x-forwarded-for": "198.51.100.2" });
    expect(seen[0]![CLIENT_IP_HEADER]).toBe("127.0.0.1");
    expect(clientAddressFrom(new Headers(seen[0] as Record<string, string>))).toBe("127.0.0.1");
  });

  it("behind one trusted proxy, is the last X-Forwarded-For entry (the one the proxy appended)", async () => {
    const { port, seen } = await serve(1);
    await get(port, { [CLIENT_IP_HEADER]: "198.51.100.1", "x-forwarded-for": "198.51.100.2, 203.0.113.9" });
    await get(port, {});
    expect(seen.map((headers) => headers[CLIENT_IP_HEADER])).toEqual(["203.0.113.9", "127.0.0.1"]);
  });

  it("is 'unknown' without the stamp, and IPv4-mapped addresses are unwrapped", () => {
    expect(clientAddressFrom(new Headers())).toBe(UNKNOWN_CLIENT_IP);
    expect(clientAddressFrom(new Headers({ [CLIENT_IP_HEADER]: "::ffff:10.0.0.1" }))).toBe("10.0.0.1");
  });
});
