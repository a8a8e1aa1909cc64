/**
 * Proof that the type tests can fail: a deliberately broken file, checked with the same compiler
 * options as test/types/tsconfig.json, must be refused — each wrong call with its own error, and a
 * `@ts-expect-error` over a call that compiles with TS2578. (The suite itself, `tsc -p
 * test/types/tsconfig.json`, is a step of `npm test`.) Imports the package by name: build it first.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = join("test-results", `type-tests-broken-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BROKEN = `
import { sendToAll, sendToUser } from "next-channels-broadcast/server";
import { useProgress } from "next-channels-broadcast/client";
import { expectType } from "../../test/types/assert";
declare const session: { user: { id?: string } };
export async function broken() {
  await sendToAll("Hi", { level: "danger" });
  await sendToUser(session.user.id, "Hi");
  expectType<Promise<string>>()(sendToAll("Hi"));
  const percent: number = useProgress("jobs-7").percent;
  // @ts-expect-error (nothing is wrong on the next line)
  await sendToAll("fine");
  return percent;
}
`;

describe("the type tests", () => {
  it("refuse a broken file, each error where it is", { timeout: 120_000 }, () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "broken.ts"), BROKEN);
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../test/types/tsconfig.json", include: ["./broken.ts"], exclude: [] }));
    const result = spawnSync(join("node_modules", ".bin", "tsc"), ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS"));
    const at = (line: number) => errors.filter((error) => error.includes(`broken.ts(${line},`)).join("\n");
    expect(result.status).not.toBe(0);
    expect(at(7)).toMatch(/TS2322.*"danger"/);
    expect(at(8)).toMatch(/TS2345.*undefined/);
    expect(at(9)).toMatch(/TS2345/);
    expect(at(10)).toMatch(/TS(2531|18047).*possibly 'null'/);
    expect(at(11)).toMatch(/TS2578/);
    expect(errors).toHaveLength(5);
  });
});
