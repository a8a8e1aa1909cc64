/**
 * Baseline: a bare `ws` server that loops `client.send(jsonString)` over its clients.
 * `--backlog N`: its accept queue (Node's default 511), as the connect-storm bench sets it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { now } from "../lib/clock";
import { benchFrame, flag, runServer, timeLoop } from "./common";

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (ws) => ws.on("error", () => undefined));
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
