import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script without declarations
import { renderMigrationsModule } from "../../packages/next-channels-broadcast/scripts/embed-migrations.mjs";

const generated = new URL("../../packages/next-channels-broadcast/src/server/store/migrations.generated.ts", import.meta.url);

describe("the package's embedded migrations", () => {
  it("match drizzle/ exactly (regenerate with the package build when the schema changes)", () => {
    expect(readFileSync(generated, "utf8")).toBe((renderMigrationsModule as () => string)());
  });

  it("carry every statement of every migration drizzle-kit wrote", async () => {
    const { NOTIFICATIONS_MIGRATIONS } = await import("../../packages/next-channels-broadcast/src/server/store/migrations.generated.js");
    const journal = JSON.parse(readFileSync(new URL("../../packages/next-channels-broadcast/drizzle/meta/_journal.json", import.meta.url), "utf8")) as { entries: { tag: string }[] };
    expect(NOTIFICATIONS_MIGRATIONS.map((m) => m.tag)).toEqual(journal.entries.map((e) => e.tag));
    expect(NOTIFICATIONS_MIGRATIONS[0]?.sql.join("")).toContain('CREATE TABLE "ncb_notifications"');
  });
});
