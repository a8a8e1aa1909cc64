/**
 * The presence bench's server: our gateway on the memory layer, every socket a signed-in user
 * named by its `x-bench-user` header (a stand-in for a session cookie: this measures presence,
 * not Auth.js), the channel `bench-1` allowed to all, presence on it unless `--presence off`.
 *
 * Commands (IPC): `heap` → heap and RSS after four GCs, and the CPU time used since the last
 * `heap`; `view` → the gateway's presence of `bench-1`; `close`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway } from "../../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { emit, serve } from "../lib/ipc";

const presenceOn = !process.argv.includes("off");
const maxListed = Number(process.argv[process.argv.indexOf("--cap") + 1] ?? 100);

function measureHeap(): { heapUsed: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  const memory = process.memoryUsage();
  return { heapUsed: memory.heapUsed, rss: memory.rss };
}

async function main(): Promise<void> {
  // Every client comes from 127.0.0.1 and they all arrive at once: admission is not under test.
  const settings = readSettings(
    {},
    { maxSocketsPerIp: 100_000, maxSockets: 100_000, maxQueuedHandshakes: 100_000, presenceMaxListed: maxListed, heartbeatMs: 600_000 },
  );
  const layer = createMemoryLayer();
  const gateway = createGateway({
    settings,
    layer,
    logger: console,
    authenticate: async (req) => {
      const id = req.headers["x-bench-user"];
      return typeof id === "string" ? { id, expiresAt: null } : null;
    },
    authorizer: (_user, channel) => channel === "bench-1",
    presence: presenceOn ? { channels: (channel) => channel === "bench-1", identify: (user) => ({ name: `User ${user.id}` }) } : undefined,
  });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let cpu = process.cpuUsage();
  serve({
    heap: () => {
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      return { ...measureHeap(), cpuMs: (used.user + used.system) / 1_000, connections: gateway.connectionCount() };
    },
    view: () => gateway.presence("bench-1"),
    close: async () => {
      server.closeAllConnections();
      await gateway.close();
      server.close();
    },
  });
  emit("ready", { port });
}

void main();
