import { defineConfig } from "drizzle-kit";

/**
 * The demo's own tables (users, articles, comments), one migrations folder for PGlite and
 * PostgreSQL alike. `npm run db:generate` writes ./drizzle; `migrateDatabase()` (src/db) applies it,
 * then the kit's own migrations (its `ncb_*` tables ship with the package).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/db/schema.ts"],
  out: "./drizzle",
});
