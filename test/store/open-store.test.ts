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
  // Opens PGlite twice (WebAssembly start-up and migrations): 20 s was not enough on a loaded 2-core machine.
  it("migrates once, keeps its rows across a close and a reopen, and closes once however often asked", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "ncb-open-"));
    dirs.push(dir);
    const applied: number[] = [];
    const first = await openNotificationsStore({ env: {}, pgliteDir: dir, onMigrated: (count) => applied.push(count) });
    const id = await first.save("user:alice", message("kept"), { inbox: true });
    await Promise.all([first.close(), first.close()]);

    const again = await openNotificationsStore({ env: {}, pgliteDir: dir, onMigrated: (count) => applied.push(count) });
    try {
      expect(applied).toEqual([2, 0]); // the kit's two migrations, then nothing to do
      expect((await again.pendingInbox("user:alice")).map((row) => row.id)).toEqual([id]);
    } finally {
      await again.close();
    }
  });
});
