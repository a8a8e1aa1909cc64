import { describe, expect, it } from "vitest";
import { createIdDeduper } from "../../packages/next-channels-broadcast/src/client/dedupe";

describe("createIdDeduper", () => {
  it("reports a repeated id, 0 included", () => {
    const dedupe = createIdDeduper();
    expect(dedupe.seen(0)).toBe(false);
    expect(dedupe.seen(0)).toBe(true);
    expect(dedupe.seen(1)).toBe(false);
    expect(dedupe.seen(1)).toBe(true);
  });

  it("forgets the oldest id past its capacity", () => {
    const dedupe = createIdDeduper(3);
    [1, 2, 3, 4].forEach((id) => dedupe.seen(id));
    expect(dedupe.size).toBe(3);
    expect(dedupe.seen(4)).toBe(true);
    expect(dedupe.seen(2)).toBe(true);
    expect(dedupe.seen(1)).toBe(false); // forgotten, so new again
  });

  it("stays bounded over many ids (default 1000)", () => {
    const dedupe = createIdDeduper();
    for (let id = 0; id < 50_000; id += 1) dedupe.seen(id);
    expect(dedupe.size).toBe(1000);
    expect(dedupe.seen(49_999)).toBe(true);
    expect(dedupe.seen(49_000)).toBe(true);
    expect(dedupe.seen(48_999)).toBe(false);
  });

  it("refuses a capacity below 1", () => {
    expect(() => createIdDeduper(0)).toThrow(RangeError);
  });
});
