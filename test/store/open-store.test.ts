/**
 * openNotificationsStore: the store `init` writes into an app's server.ts — its own PGlite
 * directory when there is no DATABASE_URL, migrated on open, closed (with its lock) by close().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openNotificationsStore } from "../../packages/next-channels-broadcast/src/server/store/open";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (text: string) => ({ type: "message" as const, text, cssClass: "info" as const, clickURL: null, closeURL: null, hideCloseOption: false });

describe("openNotificationsStore on PGlite", () => {
  it("migrates once, keeps its rows across a close and a reopen, and closes once however often asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ncb-open-"));
    dirs.push(dir);
    const applied: number[] = [];
    const first = await openNotificationsStore({ env: {}, pgliteDir: dir, onMigrated: (count) => applied.push(count) });
    const id = await first.save("user:alice", message("kept"), { inbox: true });
    await Promise.all([first.close(), first.close()]);

    const again = await openNotificationsStore({ env: {}, pgliteDir: dir, onMigrated: (count) => applied.push(count) });
    try {
      expect(applied).toEqual([1, 0]); // the kit's one migration, then nothing to do
      expect((await again.pendingInbox("user:alice")).map((row) => row.id)).toEqual([id]);
    } finally {
      await again.close();
    }
  });
});
