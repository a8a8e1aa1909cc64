/**
 * Baseline: a bare `ws` server that loops `client.send(jsonString)` over its clients.
 * `--backlog N`: its accept queue (Node's default 511), as the connect-storm bench sets it.
 * `--heartbeat-ms N`: pings every client every N ms and drops one that did not answer the last
 * ping, as ws's README shows (what a production server does; the idle bench sets it, so both
 * servers' sockets have been pinged when they are weighed).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { now } from "../lib/clock";
import { benchFrame, flag, runServer, timeLoop } from "./common";

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
// ws's README heartbeat: one shared pong listener and an `isAlive` flag on each socket.
type Pinged = WebSocket & { isAlive?: boolean };
function heartbeat(this: Pinged): void {
  this.isAlive = true;
}
const heartbeatMs = Number(flag("heartbeat-ms", "0"));
wss.on("connection", (ws: Pinged) => {
  ws.on("error", () => undefined);
  if (heartbeatMs === 0) return;
  ws.isAlive = true;
  ws.on("pong", heartbeat);
});
if (heartbeatMs > 0) {
  setInterval(() => {
    for (const client of wss.clients as Set<Pinged>) {
      if (client.isAlive === false) {
        client.terminate();
        continue;
      }
      client.isAlive = false;
      client.ping();
    }
  }, heartbeatMs).unref();
}
const backlog = flag("backlog") ? Number(flag("backlog")) : undefined;
server.listen({ port: 0, host: "127.0.0.1", backlog }, () => {
  const { port } = server.address() as AddressInfo;
  runServer(
    {
      broadcast(seq) {
        timeLoop(seq, () => {
          const data = JSON.stringify(benchFrame(seq, now()));
          for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(data);
        });
      },
      connections: () => wss.clients.size,
      async close() {
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
      },
    },
    { port, url: `ws://127.0.0.1:${port}/` },
  );
});
