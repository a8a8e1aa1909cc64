/**
 * `init`'s edits on the files a fresh create-next-app app and the Auth.js docs give: the root
 * layout of the committed fixture and the credentials `auth.ts` the package-app test adds. Each
 * edit does its job once and changes nothing the second time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { patchAuthConfig, patchLayout } from "../../packages/next-channels-broadcast/src/cli/init/transforms";
import { AUTH_FILES } from "../package-app/app-files";

const layout = readFileSync(join(import.meta.dirname, "..", "fixtures", "create-next-app", "app", "layout.tsx"), "utf8");

describe("patchLayout on create-next-app's layout", () => {
  it("wraps {children} with the provider given the session unawaited, at request time, and imports what it uses", () => {
    const edit = patchLayout(layout, { authImport: "@/auth" });
    if (edit.status !== "changed") throw new Error(`expected a change, got ${edit.status}`);
    expect(edit.text).toContain('<body className="min-h-full flex flex-col"><NotificationsProvider session={connection().then(() => auth())}>{children}</NotificationsProvider></body>');
    expect(edit.text).toContain('import { NotificationsProvider } from "next-channels-broadcast/client";');
    expect(edit.text).toContain('import { auth } from "@/auth";');
    expect(edit.text).toContain('import { connection } from "next/server";');
    // The layout stays a plain (not async) component: nothing awaits the session.
    expect(edit.text).toContain("export default function RootLayout");
    expect(edit.text).not.toMatch(/await\s+auth\(/);
    expect(patchLayout(edit.text, { authImport: "@/auth" })).toEqual({ status: "unchanged" });
  });

  it("without Auth.js: an anonymous provider and no session imports", () => {
    const edit = patchLayout(layout, { authImport: null });
    if (edit.status !== "changed") throw new Error(`expected a change, got ${edit.status}`);
    expect(edit.text).toContain("<NotificationsProvider userId={null}>{children}</NotificationsProvider>");
    expect(edit.text).not.toContain("next/server");
    expect(edit.text).not.toContain("@/auth");
  });
});

describe("patchAuthConfig on the Auth.js docs' credentials config", () => {
  it("adds the session callback that sets session.user.id, once", () => {
    const edit = patchAuthConfig(AUTH_FILES["auth.ts"]!);
    if (edit.status !== "changed") throw new Error(`expected a change, got ${edit.status}`);
    expect(edit.text).toContain("if (session.user && token.sub) session.user.id = token.sub;");
    expect(edit.text).toContain("token.sid = crypto.randomUUID()");
    expect(patchAuthConfig(edit.text)).toEqual({ status: "unchanged" });
  });

  it("leaves a config with its own callbacks alone and says what to add", () => {
    const own = AUTH_FILES["auth.ts"]!.replace("providers: [", "callbacks: { authorized: () => true },\n  providers: [");
    const edit = patchAuthConfig(own);
    expect(edit.status).toBe("manual");
    expect(edit.status === "manual" && edit.instructions).toContain("session.user.id = token.sub");
  });
});
