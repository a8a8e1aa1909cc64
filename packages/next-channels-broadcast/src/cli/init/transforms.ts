/**
 * The edits `init` makes, as pure functions from file text to file text, so each one can be
 * tested on its own and applying it twice changes nothing the second time. A transform that
 * cannot find what it expects changes nothing and says what to do by hand instead.
 */
import type { PackageJson, ProjectFacts } from "./detect.js";

/** The outcome of one edit. */
export type Edit = { status: "changed"; text: string } | { status: "unchanged" } | { status: "manual"; instructions: string };

/** Marks what init wrote, so a second run recognises it. */
export const MARK = "next-channels-broadcast";

/**
 * The app's `server.ts` (or `server.mjs` without TypeScript): Next.js and the notifications
 * websocket on one port. Only dynamic imports and no top-level await, so it runs the same
 * whether package.json says CommonJS (create-next-app's default) or ESM; the kit loads the
 * `.env*` files the way Next does before it reads any setting.
 *
 * @example
 * writeFileSync("server.ts", serverFileSource({ store: true }));
 */
export function serverFileSource(options: { store: boolean; typescript?: boolean }): string {
  const ts = options.typescript !== false;
  const storeLines = options.store
    ? `
  // Stored notifications (replay after reconnects, the per-user inbox): embedded PGlite in
  // .data/notifications, or PostgreSQL when DATABASE_URL is set. Migrations run here.
  const { openNotificationsStore } = await import("next-channels-broadcast/drizzle");
  const store = await openNotificationsStore();`
    : "";
  return `/**
 * The app's server: Next.js and the ${MARK} websocket on one port.
 * Written by \`npx ${MARK} init\`.
 *
 *   npm run dev                  development, hot reload
 *   npm run build && npm start   production
 *
 * Why a custom server: websockets need a long-lived Node process; \`next start\` alone cannot
 * accept them. Settings come from the environment and the .env* files (see the kit's README).
 */
async function main()${ts ? ": Promise<void>" : ""} {
  // This server is the host Auth.js runs behind: trust it, or production sign-in fails with
  // UntrustedHost. Set AUTH_URL instead if a proxy in front rewrites the Host header.
  process.env.AUTH_TRUST_HOST ??= "true";
  const { startNotificationsServer } = await import("next-channels-broadcast/node");${storeLines}
  const running = await startNotificationsServer(${options.store ? "{ store }" : ""});
  console.log(\`> Ready on \${running.url}\`);
  const stop = () => running.close().then(() => process.exit(0), () => process.exit(1));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error${ts ? ": unknown" : ""}) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
`;
}

/** The `package.json` scripts the custom server needs. */
export function patchScripts(packageJson: PackageJson, serverFile: string): Edit {
  const wanted = { dev: `tsx ${serverFile}`, build: "next build", start: `NODE_ENV=production tsx ${serverFile}` };
  const scripts = { ...packageJson.scripts };
  let changed = false;
  for (const [name, command] of Object.entries(wanted)) {
    if (scripts[name] === command) continue;
    scripts[name] = command;
    changed = true;
  }
  if (!changed) return { status: "unchanged" };
  return { status: "changed", text: `${JSON.stringify({ ...packageJson, scripts }, null, 2)}\n` };
}

/** Where the root layout imports the Auth.js `auth` function from. */
export function authImportPath(facts: Pick<ProjectFacts, "alias" | "aliasRoot" | "authFile" | "appDir">): string | null {
  if (facts.authFile === null) return null;
  const withoutExtension = facts.authFile.replace(/\.(tsx?|mts|jsx?|mjs)$/, "");
  if (facts.alias !== null) {
    const base = facts.aliasRoot === "." ? withoutExtension : withoutExtension.replace(new RegExp(`^${facts.aliasRoot}/`), "");
    return `${facts.alias}${base}`;
  }
  // Relative from the app directory: app/ → ../auth; src/app/ → ../auth (auth.ts beside app/).
  return `../${withoutExtension.split("/").at(-1)}`;
}

function addImports(source: string, lines: string[]): string {
  const missing = lines.filter((line) => !source.includes(line));
  if (missing.length === 0) return source;
  const imports = [...source.matchAll(/^import[^;]*;[^\n]*\n/gm)];
  const last = imports.at(-1);
  if (!last || last.index === undefined) return `${missing.join("\n")}\n${source}`;
  const at = last.index + last[0].length;
  return `${source.slice(0, at)}${missing.join("\n")}\n${source.slice(at)}`;
}

/** The session the layout gives the provider: Auth.js' `auth()`, called at request time. */
export const LAYOUT_SESSION = "connection().then(() => auth())";

/**
 * Wraps the root layout's `{children}` (inside `<body>`) in `<NotificationsProvider>`. With
 * Auth.js the provider gets `session={connection().then(() => auth())}` — a promise, not
 * awaited: the layout stays static, so it works with `cacheComponents` (an awaited session in
 * the root layout fails prerendering) and without it. `connection()` first, because Auth.js
 * draws random values (`crypto.getRandomValues()`) while it reads the session, which Next
 * refuses in a prerender (runtime prefetches included): after `connection()` it runs only when a
 * request is answered.
 *
 * @example
 * patchLayout(readFileSync("app/layout.tsx", "utf8"), { authImport: "@/auth" })
 * // { status: "changed", text: "…<NotificationsProvider session={connection().then(() => auth())}>{children}</NotificationsProvider>…" }
 */
export function patchLayout(source: string, options: { authImport: string | null }): Edit {
  if (source.includes("NotificationsProvider")) return { status: "unchanged" };
  const provider = options.authImport === null ? "<NotificationsProvider userId={null}>" : `<NotificationsProvider session={${LAYOUT_SESSION}}>`;
  const body = /<body\b[^>]*>([\s\S]*?)<\/body>/.exec(source);
  const children = body ? body[1]!.indexOf("{children}") : -1;
  if (!body || body.index === undefined || children === -1) {
    return {
      status: "manual",
      instructions: `Wrap {children} in your root layout's <body> with ${provider}{children}</NotificationsProvider> and import it: import { NotificationsProvider } from "next-channels-broadcast/client";`,
    };
  }
  const at = body.index + body[0].indexOf(body[1]!) + children;
  let text = `${source.slice(0, at)}${provider}{children}</NotificationsProvider>${source.slice(at + "{children}".length)}`;
  const imports = ['import { NotificationsProvider } from "next-channels-broadcast/client";'];
  if (options.authImport !== null && !/import\s*\{[^}]*\bauth\b[^}]*\}\s*from/.test(source)) imports.push(`import { auth } from "${options.authImport}";`);
  if (options.authImport !== null && !/import\s*\{[^}]*\bconnection\b[^}]*\}\s*from\s*["']next\/server["']/.test(source)) imports.push('import { connection } from "next/server";');
  text = addImports(text, imports);
  return { status: "changed", text };
}

const SESSION_CALLBACK = `  // ${MARK}: the socket's user is the token's \`sub\`; the provider needs it as session.user.id.
  callbacks: {
    jwt({ token, user }) {
      // A random id per sign-in, so signing out can revoke exactly this session (revokeSession).
      if (user) token.sid = crypto.randomUUID();
      return token;
    },
    session({ session, token }) {
      if (session.user && token.sub) session.user.id = token.sub;
      return session;
    },
  },`;

/**
 * Makes an Auth.js config put the user's id on `session.user.id` (Auth.js does not by default,
 * and the browser then cannot say who it is) and give each sign-in a session id (`sid`, so
 * signing out can revoke exactly that session). A config that already has its own `callbacks` is
 * left alone: the exact callback to add is printed instead.
 */
export function patchAuthConfig(source: string): Edit {
  if (/session\.user\.id\s*=/.test(source)) return { status: "unchanged" };
  const open = /NextAuth\(\s*\{/.exec(source);
  if (!open || open.index === undefined) return { status: "manual", instructions: `Add to your Auth.js config:\n${SESSION_CALLBACK}` };
  if (/\bcallbacks\s*:/.test(source)) {
    return {
      status: "manual",
      instructions: "Your Auth.js config has callbacks already; make its session callback set the user's id:\n    session({ session, token }) {\n      if (session.user && token.sub) session.user.id = token.sub;\n      return session;\n    },",
    };
  }
  const at = open.index + open[0].length;
  return { status: "changed", text: `${source.slice(0, at)}\n${SESSION_CALLBACK}${source.slice(at)}` };
}

/**
 * Adds `AUTH_SECRET` to `.env.local` when no env file of the app defines it (Auth.js and the
 * gateway both need it). `existing` is the text of every env file found, concatenated.
 */
export function patchEnvLocal(envLocal: string | null, existing: string, secret: string): Edit {
  if (/^\s*AUTH_SECRET\s*=/m.test(existing)) return { status: "unchanged" };
  const before = envLocal ?? "";
  const separator = before === "" || before.endsWith("\n") ? "" : "\n";
  return { status: "changed", text: `${before}${separator}# ${MARK} init: Auth.js and the notifications gateway sign and read sessions with it.\nAUTH_SECRET="${secret}"\n` };
}
