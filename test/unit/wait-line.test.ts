/**
 * The handshake wait line (issue #10): first in, first out, through its compactions, and its size
 * always the number still waiting.
 */
import { describe, expect, it } from "vitest";
import { WaitLine } from "../../packages/next-channels-broadcast/src/server/gateway/admission";

describe("WaitLine", () => {
  it("hands out in arrival order across thousands of pushes and takes, interleaved", () => {
    const line = new WaitLine();
    const taken: number[] = [];
    let pushed = 0;
    const push = (count: number) => {
      for (let i = 0; i < count; i++) {
        const id = pushed++;
        line.push(() => taken.push(id));
      }
    };
    const take = (count: number) => {
      for (let i = 0; i < count; i++) line.take()!();
    };
    push(5_000);
    take(3_000); // past the compaction threshold while 2,000 still wait
    expect(line.size).toBe(2_000);
    push(1_500);
    take(2_500);
    push(10);
    expect(line.size).toBe(1_010);
    take(1_010);
    expect(line.size).toBe(0);
    expect(line.take()).toBeUndefined();
    expect(taken).toEqual(Array.from({ length: 6_510 }, (_, id) => id));
  });

  it("is empty again after its last one is taken, and takes nothing from an empty line", () => {
    const line = new WaitLine();
    expect(line.take()).toBeUndefined();
    const first = () => undefined;
    line.push(first);
    expect(line.size).toBe(1);
    expect(line.take()).toBe(first);
    expect(line.size).toBe(0);
    expect(line.take()).toBeUndefined();
    const second = () => undefined;
    line.push(second);
    expect(line.take()).toBe(second);
  });
});
