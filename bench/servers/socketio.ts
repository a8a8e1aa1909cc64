/**
 * Socket.IO `io.emit`, alone or with @socket.io/redis-adapter (`--redis <url>`).
 * Send-loop time is taken around the adapter's local broadcast (the base `Adapter.broadcast`,
 * which the Redis adapter also calls for the packets it receives from other processes).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { Adapter } from "socket.io-adapter";
import { now } from "../lib/clock";
import { benchFrame, flag, runServer, timeLoop } from "./common";

type Broadcast = Adapter["broadcast"];
const original: Broadcast = Adapter.prototype.broadcast;
Adapter.prototype.broadcast = function timedBroadcast(this: Adapter, ...args: Parameters<Broadcast>) {
  const data = args[0].data as unknown[] | undefined;
  const payload = data?.[1] as { text?: string } | undefined;
  timeLoop(payload?.text ?? "", () => original.apply(this, args));
};

const redisUrl = flag("redis");
const httpServer = createServer((_req, res) => res.writeHead(404).end());
const io = new Server(httpServer, { transports: ["websocket"], serveClient: false, perMessageDeflate: false });
const redisClients: Redis[] = [];

async function main(): Promise<void> {
  if (redisUrl) {
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub));
    // Wait until the adapter's subscriptions are active.
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  runServer(
    {
      broadcast(seq) {
        io.emit("message", benchFrame(seq, now()));
      },
      connections: () => io.engine.clientsCount,
      async close() {
        io.disconnectSockets(true);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        for (const client of redisClients) client.disconnect();
      },
    },
    { port, url: `http://127.0.0.1:${port}` },
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
