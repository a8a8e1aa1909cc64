import { defineConfig } from "drizzle-kit";

/**
 * The kit's own migrations (its `ncb_*` tables only), shipped in the package and applied by
 * `migrateNotifications(db)` on PGlite and PostgreSQL alike. Regenerate after changing the schema:
 * `npm run db:generate -w next-channels-broadcast` (never edit drizzle/ by hand).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/server/store/schema.ts"],
  out: "./drizzle",
});
