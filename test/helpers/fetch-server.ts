/**
 * Serves a fetch-style handler (`(Request) => Promise<Response>`, what a Next.js route handler
 * is) from a real Node HTTP server on a free loopback port, so tests talk to it over HTTP.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

export interface FetchServer {
  server: Server;
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
  close(): Promise<void>;
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for a streamed request body.
    duplex: "half",
  } as RequestInit & { duplex: "half" });
}

/**
 * Starts a server that hands every request at `path` to `handler` (404 elsewhere).
 *
 * @example
 * const served = await serveFetchHandler(createPublishHandler({ apiKey: KEY }));
 * await fetch(`${served.origin}/publish`, { method: "POST", … });
 */
export async function serveFetchHandler(handler: (request: Request) => Promise<Response>, path = "/publish"): Promise<FetchServer> {
  let origin = "";
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(path)) return void res.writeHead(404).end();
    handler(toRequest(req, origin))
      .then(async (response) => {
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => (headers[name] = value));
        // A body the handler did not read (e.g. refused as too large) makes the connection unusable.
        if (!req.complete) headers.connection = "close";
        res.writeHead(response.status, headers);
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
