/**
 * A/B of the fan-out hot path on the same sockets in one process: gateway `Connection`s fed
 * either the old way (`deliver(payload)` → `ws.send(buffer)` per socket, frame header built per
 * socket) or the new way (`deliver(payload, wire)` → the frame built once by
 * `prepareTextFrame`, written as is). Broadcasts alternate, so machine noise hits both alike.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { Connection } from "../../packages/next-channels-broadcast/src/server/gateway/connection";
import { prepareTextFrame } from "../../packages/next-channels-broadcast/src/server/gateway/frame";
import { RateLimit } from "../../packages/next-channels-broadcast/src/server/rate-limit";
import { now } from "../lib/clock";
import { benchText, runServer, timeLoop } from "./common";

const connections = new Set<Connection>();
const context = { maxBufferedBytes: 1_048_576, frameRate: new RateLimit(20), onSlowConsumer: () => undefined };
const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
wss.on("connection", (ws) => {
  const connection = new Connection(ws, null, context);
  connections.add(connection);
  ws.on("error", () => undefined);
  ws.on("close", () => connections.delete(connection));
});

/** Odd sequence numbers: old path; even: prepared frames. */
function broadcast(seq: number): void {
  const frame = JSON.stringify({ type: "message", text: benchText(seq, now()), cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false });
  timeLoop(seq, () => {
    if (seq % 2 === 1) {
      const bytes = Buffer.from(frame, "utf8");
      for (const connection of connections) connection.deliver(bytes);
    } else {
      const { payload, wire } = prepareTextFrame(frame);
      for (const connection of connections) connection.deliver(payload, wire);
    }
  });
}

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  runServer(
    {
      broadcast,
      connections: () => connections.size,
      async close() {
        for (const connection of connections) connection.ws.terminate();
        server.close();
      },
    },
    { port, url: `ws://127.0.0.1:${port}/` },
  );
});
