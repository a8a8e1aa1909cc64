/**
 * `next-channels-broadcast/server` is server-only: importing it into a Client Component fails the
 * build with a clear message, while Server Components, server actions, route handlers, server.ts,
 * workers and tests load it normally.
 *
 * The mechanism (package.json "exports" of ./server): the `browser` condition resolves to
 * dist/server/client-import-guard.js, which imports the `server-only` marker — refused by Next in a
 * Client Component at build time — and throws on load for any other bundler; `react-server`,
 * `edge-light` and `default` resolve to the real entry.
 *
 * Two proofs: Node's own resolver with each condition (fast; proves the export map and the marker),
 * and a real `next build` of a tiny app whose Client Component imports /server (proves what Next
 * makes of it; about 20 s). The app lives under test-results/ so it resolves the workspace package.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const load = (conditions: string[]) =>
  spawnSync(
    process.execPath,
    [...conditions.map((condition) => `--conditions=${condition}`), "--input-type=module", "-e", 'const m = await import("next-channels-broadcast/server"); console.log(typeof m.createNotifications, typeof m.sendToUser);'],
    { encoding: "utf8" },
  );

describe("the export conditions of next-channels-broadcast/server", () => {
  it.each([[[]], [["react-server"]], [["edge-light"]]])("load the send API with conditions %j", (conditions) => {
    const result = load(conditions);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("function function");
  });

  it("in a browser bundle resolve to the guard, which pulls in server-only", () => {
    const result = load(["browser"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("This module cannot be imported from a Client Component module");
    expect(result.stderr).toMatch(/node_modules[\\/]server-only[\\/]index\.js/);
  });
});

describe("next build of an app whose Client Component imports next-channels-broadcast/server", () => {
  const app = resolve("test-results", `client-imports-server-${process.pid}`);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it("fails with Next's server-only error and an import trace through the component", { timeout: 240_000 }, () => {
    mkdirSync(join(app, "app"), { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "client-imports-server", private: true, type: "module" }));
    writeFileSync(join(app, "next.config.mjs"), "export default {};\n");
    writeFileSync(join(app, "app", "layout.tsx"), "export default function Layout({ children }: { children: React.ReactNode }) {\n  return <html><body>{children}</body></html>;\n}\n");
    writeFileSync(join(app, "app", "page.tsx"), 'import { SendButton } from "./send-button";\nexport default function Page() {\n  return <SendButton />;\n}\n');
    writeFileSync(
      join(app, "app", "send-button.tsx"),
      '"use client";\nimport { sendToAll } from "next-channels-broadcast/server";\nexport function SendButton() {\n  return <button onClick={() => void sendToAll("hi")}>send</button>;\n}\n',
    );
    const result = spawnSync(resolve("node_modules", ".bin", "next"), ["build"], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
      timeout: 220_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).not.toBe(0);
    expect(output).toContain("'server-only' cannot be imported from a Client Component module");
    expect(output).toContain("next-channels-broadcast/dist/server/client-import-guard.js");
    expect(output).toMatch(/send-button\.tsx \[Client Component Browser\]/);
  });
});
