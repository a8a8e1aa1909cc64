/**
 * The demo's server: Next.js plus the notifications websocket on one port.
 *
 *   npm run dev                  development with hot reload
 *   npm run build && npm start   production
 *
 * Environment: PORT, HOSTNAME, AUTH_SECRET, DATABASE_URL or PGLITE_DATA_DIR, the notification
 * settings and the demo's own (DEMO_*) listed in the README. Like any app, it uses the kit only
 * through the package's entry points.
 */
import { createDrizzleStore } from "next-channels-broadcast/drizzle";
import { readSettings, startNotificationsServer } from "next-channels-broadcast/node";
import { closeDatabase, findUserById, getDb, migrateDatabase } from "./src/db";
import { stampClientAddress } from "./src/demo/client-ip";
import { getDemoSettings } from "./src/demo/settings";
import { ensureAuthSecret } from "./src/runtime/auth-secret";

async function main(): Promise<void> {
  // The demo's Auth.js config trusts the Host it is reached at (trustHost in src/auth.ts); say so
  // in the environment too, as `init` does for an app, so the start-up check sees it.
  process.env.AUTH_TRUST_HOST ??= "true";
  // The demo's settings first: a bad value stops start-up naming the variable.
  getDemoSettings();
  const secretSource = ensureAuthSecret(process.env.DATA_DIR ?? ".data");
  if (secretSource !== "environment") {
    console.warn(`[server] AUTH_SECRET is not set: using the one stored in ${process.env.DATA_DIR ?? ".data"}/auth-secret. Set AUTH_SECRET in production.`);
  }
  // The demo's tables and the kit's (its own migrations), in the demo's one database.
  await migrateDatabase();
  // Stored sends get ids, the per-user inbox and recovery after reconnects (see README "Replay").
  const store = createDrizzleStore(getDb());
  const running = await startNotificationsServer({
    store,
    // Presence on article pages ("2 reading"): readers are shown by username only, never by id.
    presence: {
      channels: (channel) => /^articles-\d+$/.test(channel),
      identify: async (user) => ({ name: (await findUserById(user.id))?.username ?? "reader" }),
    },
  });
  // Before any request reaches Next: the per-address sign-in and sign-up limits read this stamp.
  stampClientAddress(running.server, readSettings().trustedProxies);
  console.log(`[server] ready on ${running.url} (${process.env.NODE_ENV === "production" ? "production" : "development"})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[server] ${signal}: closing sockets (1012), then the layer and the database`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running
      .close()
      .then(() => closeDatabase())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error("[server] shutdown failed", error);
          process.exit(1);
        },
      );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch(async (error: unknown) => {
  console.error(`[server] could not start: ${error instanceof Error ? error.message : String(error)}`);
  await closeDatabase().catch(() => undefined);
  process.exit(1);
});
