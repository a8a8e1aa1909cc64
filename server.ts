/**
 * The demo's server: Next.js plus the notifications websocket on one port.
 *
 *   npm run dev                  development with hot reload
 *   npm run build && npm start   production
 *
 * Environment: PORT, HOSTNAME, AUTH_SECRET, DATABASE_URL or PGLITE_DATA_DIR, and the
 * notification settings listed in the README. Like any app, it uses the kit only through the
 * package's entry points.
 */
import { createDrizzleStore } from "next-channels-broadcast/drizzle";
import { startNotificationsServer } from "next-channels-broadcast/node";
import { closeDatabase, getDb, migrateDatabase } from "./src/db";
import { ensureAuthSecret } from "./src/runtime/auth-secret";

async function main(): Promise<void> {
  const secretSource = ensureAuthSecret(process.env.DATA_DIR ?? ".data");
  if (secretSource !== "environment") {
    console.warn(`[server] AUTH_SECRET is not set: using the one stored in ${process.env.DATA_DIR ?? ".data"}/auth-secret. Set AUTH_SECRET in production.`);
  }
  // The demo's tables and the kit's (its own migrations), in the demo's one database.
  await migrateDatabase();
  // Stored sends get ids, the per-user inbox and recovery after reconnects (see README "Replay").
  const store = createDrizzleStore(getDb());
  const running = await startNotificationsServer({ store });
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
