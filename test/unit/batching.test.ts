import { describe, expect, it } from "vitest";
import { coalesceCalls, inTurns } from "../../packages/next-channels-broadcast/src/server/batching";

/** A batch runner whose batches the test resolves by hand. */
function manualRunner() {
  const batches: { inputs: number[]; answer: (outputs: number[]) => void; fail: (error: Error) => void }[] = [];
  const run = (inputs: number[]) =>
    new Promise<number[]>((answer, fail) => {
      batches.push({ inputs, answer, fail });
    });
  return { batches, run };
}

async function settled(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("coalesceCalls", () => {
  it("runs a lone call at once, and calls made while it is in flight together in the next batch", async () => {
    const { batches, run } = manualRunner();
    const double = coalesceCalls(run);
    const first = double(1);
    await settled();
    const rest = [double(2), double(3), double(4)];
    await settled();
    expect(batches.map((batch) => batch.inputs)).toEqual([[1]]);
    batches[0]!.answer([10]);
    expect(await first).toBe(10);
    await settled();
    expect(batches.map((batch) => batch.inputs)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.answer([20, 30, 40]);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  });

  it("puts calls made in the same synchronous run in one batch (a join's reads of several kinds)", async () => {
    const { batches, run } = manualRunner();
    const double = coalesceCalls(run);
    const together = [double(1), double(2), double(3)];
    await settled();
    expect(batches.map((batch) => batch.inputs)).toEqual([[1, 2, 3]]);
    batches[0]!.answer([10, 20, 30]);
    expect(await Promise.all(together)).toEqual([10, 20, 30]);
  });

  it("hands at most maxBatch inputs to one batch", async () => {
    const { batches, run } = manualRunner();
    const call = coalesceCalls(run, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => call(n));
    for (let round = 0; round < 3; round++) {
      await settled();
      const batch = batches[round]!;
      batch.answer(batch.inputs.map((n) => n * 10));
    }
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    // Made in one run: two at a time, in order.
    expect(batches.map((batch) => batch.inputs)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("rejects the callers of a failed batch, throwing or answering the wrong count, and the next batch still runs", async () => {
    let calls = 0;
    const call = coalesceCalls(async (inputs: number[]) => {
      calls += 1;
      if (calls === 1) throw new Error("database down");
      if (calls === 2) return [1];
      return inputs;
    });
    // Made while the first (failing) batch is in flight: they go together in the second.
    const first = call(1);
    await Promise.resolve();
    const pair = [call(2), call(3)];
    await expect(first).rejects.toThrow("database down");
    await expect(pair[0]).rejects.toThrow("a batch of 2 answered 1 results");
    await expect(pair[1]).rejects.toThrow("a batch of 2 answered 1 results");
    expect(await call(4)).toBe(4);
  });

  it("refuses a maxBatch that is not a positive integer", () => {
    expect(() => coalesceCalls(async (inputs: number[]) => inputs, { maxBatch: 0 })).toThrow(RangeError);
  });
});

describe("inTurns", () => {
  /** Resolves after the event loop's check phase has run once more. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("visits one batch now and each further batch in a later turn, in order, each item once", async () => {
    const items = Array.from({ length: 1_050 }, (_, n) => n);
    const visited: number[] = [];
    inTurns(items, 500, (item) => void visited.push(item));
    expect(visited).toHaveLength(500);
    // Work queued meanwhile (a page request's callback) runs between two batches.
    let between = -1;
    setImmediate(() => (between = visited.length));
    await nextTurn();
    await nextTurn();
    expect(between).toBe(1_000);
    await nextTurn();
    expect(visited).toEqual(items);
  });

  it("stops before the next batch once stop() says so, and refuses a batch size below 1", async () => {
    const visited: number[] = [];
    let stopped = false;
    inTurns([1, 2, 3, 4, 5], 2, (item) => void visited.push(item), () => stopped);
    stopped = true;
    await nextTurn();
    await nextTurn();
    expect(visited).toEqual([1, 2]);
    expect(() => inTurns([1], 0, () => undefined)).toThrow(RangeError);
  });
});
