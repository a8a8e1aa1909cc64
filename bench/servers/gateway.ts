/**
 * Our gateway (createGateway, anonymous sockets enabled) with the memory layer, or with the
 * Redis layer (`--layer redis --redis <url>`). `--role send` processes publish through the send
 * API (`notifyWith(runtime, "all", {message})`); every process times its own fan-out by
 * wrapping the layer listener the gateway subscribes with (that listener IS GroupRegistry.fanOut).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway } from "../../packages/next-channels-broadcast/src/server/gateway";
import { createMemoryLayer } from "../../packages/next-channels-broadcast/src/server/layer/memory";
import { createRedisLayer } from "../../packages/next-channels-broadcast/src/server/layer/redis";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import { notifyWith } from "../../packages/next-channels-broadcast/src/server/send";
import { readSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { now } from "../lib/clock";
import { benchText, flag, runServer, timeLoop } from "./common";

/** The layer, with every subscriber's listener timed. */
function timed(layer: ChannelLayer): ChannelLayer {
  return {
    kind: layer.kind,
    publish: (group, frame) => layer.publish(group, frame),
    subscribe: (group, listener) =>
      layer.subscribe(group, (frame) => timeLoop(frame, () => listener(frame))),
    close: () => layer.close(),
  };
}

async function openLayer(): Promise<ChannelLayer> {
  if (flag("layer", "memory") === "memory") return createMemoryLayer();
  const layer = createRedisLayer({ url: flag("redis") });
  await layer.ready();
  return layer;
}

async function main(): Promise<void> {
  // All clients come from 127.0.0.1: the per-address cap (256 by default) would refuse all but
  // the first 256 (429). This bench measures fan-out, not admission.
  const settings = readSettings({}, { enableAnonymous: true, maxSocketsPerIp: 100_000, maxSockets: 100_000 });
  const layer = timed(await openLayer());
  const runtime = { settings, layer };
  const gateway = createGateway({ settings, layer, logger: console });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    if (gateway.handles(req)) gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  runServer(
    {
      async broadcast(seq) {
        const result = await notifyWith(runtime, "all", { message: benchText(seq, now()) });
        if (!result.sent) throw new Error(`not sent: ${result.reason}`);
      },
      connections: () => gateway.connectionCount(),
      async close() {
        server.closeAllConnections();
        await gateway.close();
        server.close();
        await layer.close();
      },
    },
    { port, url: `ws://127.0.0.1:${port}${settings.path}` },
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
