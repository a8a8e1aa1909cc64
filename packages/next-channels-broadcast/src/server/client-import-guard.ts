/**
 * What `next-channels-broadcast/server` resolves to in a browser bundle (its `browser` export
 * condition; see package.json). The send API holds server secrets and Node-only code: a Client
 * Component that imports it must fail at build time, with a message that says so.
 *
 * How: this module imports the `server-only` marker. Next.js refuses `server-only` in a Client
 * Component at build time ("'server-only' cannot be imported from a Client Component module"),
 * with the import trace through this file, named for what went wrong. Server Components, server
 * actions and route handlers resolve the `react-server` condition (the real entry); Node (server.ts,
 * workers, scripts, tests) resolves `default` (the real entry).
 *
 * Another bundler that ignores `server-only` still ships this module, which throws on load.
 */
import "server-only";

throw new Error(
  'next-channels-broadcast/server was imported from a Client Component (a module under "use client", or code bundled for the browser). ' +
    "It is server-only: call it from a Server Component, a server action or a route handler, and import client code from next-channels-broadcast/client.",
);

export {};
