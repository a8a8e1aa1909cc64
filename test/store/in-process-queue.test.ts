/**
 * PGlite runs on the main thread: the store takes turns with the rest of the process (a timer,
 * a socket, an HTTP request) instead of running a backlog of queries back to back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runsInProcess, takeTurns } from "../../packages/next-channels-broadcast/src/server/store/in-process-queue";
import { createDrizzleStore } from "../../packages/next-channels-broadcast/src/server/store";
import { openPgliteDatabase, type TestDatabase } from "./databases";

/** Busy-waits `ms` on the main thread, as a WebAssembly query does. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning on purpose
  }
}

describe("takeTurns", () => {
  it("a timer due during a backlog of blocking operations fires after one of them, not after all", async () => {
    const worker = { async op(index: number) { blockFor(5); return index; } };
    const fair = takeTurns(worker, ["op"]);
    const finished: number[] = [];
    let finishedWhenTimerFired = -1;
    const timer = new Promise<void>((resolve) => setTimeout(() => ((finishedWhenTimerFired = finished.length), resolve()), 0));
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => fair.op(index).then((value) => (finished.push(value), value))));
    await timer;
    expect(results).toEqual(Array.from({ length: 40 }, (_, index) => index)); // each caller gets its own answer
    expect(finished).toEqual(results); // in order, one at a time
    expect(finishedWhenTimerFired).toBeLessThanOrEqual(2);
  });

  it("without turns the same backlog starves the timer (what the queue is for)", async () => {
    const worker = { async op() { blockFor(5); } };
    let done = 0;
    let doneWhenTimerFired = -1;
    const timer = new Promise<void>((resolve) => setTimeout(() => ((doneWhenTimerFired = done), resolve()), 0));
    let chain = Promise.resolve();
    for (let index = 0; index < 40; index++) chain = chain.then(() => worker.op()).then(() => void (done += 1));
    await chain;
    await timer;
    expect(doneWhenTimerFired).toBe(40);
  });

  it("a failing operation rejects its own caller only; the next runs", async () => {
    const worker = { async op(fail: boolean) { if (fail) throw new Error("boom"); return "ok"; } };
    const fair = takeTurns(worker, ["op"]);
    const [failed, next] = await Promise.allSettled([fair.op(true), fair.op(false)]);
    expect(failed.status).toBe("rejected");
    expect(next).toEqual({ status: "fulfilled", value: "ok" });
  });
});

describe("the Drizzle store on PGlite", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openPgliteDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it("is recognised as in-process and takes turns by default; the store still works", async () => {
    expect(runsInProcess(database.db)).toBe(true);
    expect(runsInProcess({ $client: () => undefined })).toBe(false);
    const store = createDrizzleStore(database.db, { env: {} });
    const ids = await Promise.all(Array.from({ length: 20 }, (_, index) => store.save("all", { type: "message", text: `m${index}`, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false }, { inbox: false })));
    expect(new Set(ids).size).toBe(20);
    expect(await store.currentWatermark()).toBe(Math.max(...ids));
  });
});
