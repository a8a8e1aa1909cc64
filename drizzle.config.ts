import { defineConfig } from "drizzle-kit";

/**
 * One schema list and one migrations folder for PGlite and PostgreSQL alike.
 * `npm run db:generate` writes ./drizzle; the app applies it with `migrateDatabase()` (src/db).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/db/schema.ts", "./src/notifications/server/store/schema.ts"],
  out: "./drizzle",
});
