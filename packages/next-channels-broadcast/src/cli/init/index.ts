/**
 * `npx next-channels-broadcast init`: sets an existing Next.js app up for notifications —
 * `server.ts`, the provider in the root layout, Auth.js' `session.user.id`,
 * `AUTH_SECRET`, the dev/build/start scripts, the packages it needs (installed with the app's
 * own package manager), and optionally the store and its migrations.
 *
 * On a terminal it asks before the optional parts; `--yes` takes the defaults without asking.
 * Running it again changes nothing: every step checks before it writes.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { detectProject, type PackageManager, type ProjectFacts } from "./detect.js";
import { authImportPath, MARK, patchAuthConfig, patchEnvLocal, patchLayout, patchScripts, serverFileSource, type Edit } from "./transforms.js";

export interface InitOptions {
  /** The app's folder. Default: the current directory. */
  root?: string;
  /** Take every default without asking. */
  yes?: boolean;
  /** Add the notification store (PGlite, or PostgreSQL with DATABASE_URL). Default: ask; yes with `yes`. */
  store?: boolean;
  /** Do not run the package manager (the caller installs). */
  skipInstall?: boolean;
  /** Where progress is written. Default stdout. */
  out?: (line: string) => void;
}

/** One line of init's report. */
export interface StepReport {
  step: string;
  status: "created" | "changed" | "unchanged" | "manual" | "installed" | "skipped";
  detail?: string;
}

const ENV_FILES = [".env", ".env.local", ".env.development", ".env.development.local", ".env.production", ".env.production.local"];

function installCommand(manager: PackageManager, packages: string[], dev: boolean): string[] {
  switch (manager) {
    case "pnpm":
      return ["pnpm", "add", ...(dev ? ["-D"] : []), ...packages];
    case "yarn":
      return ["yarn", "add", ...(dev ? ["-D"] : []), ...packages];
    case "bun":
      return ["bun", "add", ...(dev ? ["-d"] : []), ...packages];
    default:
      return ["npm", "install", ...(dev ? ["--save-dev"] : []), ...packages];
  }
}

async function ask(question: string, fallback: boolean): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await prompt.question(`${question} ${fallback ? "[Y/n]" : "[y/N]"} `)).trim().toLowerCase();
    return answer === "" ? fallback : answer === "y" || answer === "yes";
  } finally {
    prompt.close();
  }
}

function apply(facts: ProjectFacts, file: string, edit: Edit, step: string, reports: StepReport[]): void {
  if (edit.status === "changed") {
    writeFileSync(join(facts.root, file), edit.text);
    reports.push({ step, status: "changed", detail: file });
  } else if (edit.status === "manual") reports.push({ step, status: "manual", detail: edit.instructions });
  else reports.push({ step, status: "unchanged", detail: file });
}

/** What is missing from the app's dependencies. */
function missing(facts: ProjectFacts, packages: string[]): string[] {
  const deps = { ...facts.packageJson.dependencies, ...facts.packageJson.devDependencies };
  return packages.filter((name) => !deps[name.replace(/(.)@.*$/, "$1")]);
}

/**
 * Runs init on the app at `options.root` and returns what it did, step by step.
 *
 * @example
 * const report = await runInit({ yes: true });
 * for (const line of report) console.log(line.step, line.status);
 */
export async function runInit(options: InitOptions = {}): Promise<StepReport[]> {
  const root = options.root ?? process.cwd();
  const out = options.out ?? ((line: string) => console.log(line));
  const interactive = !options.yes && process.stdin.isTTY === true;
  const reports: StepReport[] = [];
  let facts = detectProject(root);
  out(`${MARK} init in ${root}: ${facts.appDir}/, ${facts.typescript ? "TypeScript" : "JavaScript"}, ${facts.packageManager}${facts.nextAuth ? ", Auth.js" : ""}${facts.cacheComponents ? ", cacheComponents" : ""}`);

  const store = options.store ?? (interactive ? await ask("Store notifications for replay (embedded PGlite; PostgreSQL with DATABASE_URL)?", true) : true);

  // 1. Packages: the custom server runs with tsx in production too, so it is a dependency.
  const wanted = ["next-channels-broadcast", "tsx", ...(store ? ["@electric-sql/pglite", "drizzle-orm"] : [])];
  const toInstall = missing(facts, wanted);
  if (toInstall.length === 0) reports.push({ step: "packages", status: "unchanged" });
  else if (options.skipInstall) reports.push({ step: "packages", status: "skipped", detail: `install yourself: ${installCommand(facts.packageManager, toInstall, false).join(" ")}` });
  else {
    const [command, ...args] = installCommand(facts.packageManager, toInstall, false);
    out(`$ ${[command, ...args].join(" ")}`);
    const result = spawnSync(command!, args, { cwd: root, stdio: "inherit" });
    if (result.status !== 0) throw new Error(`${[command, ...args].join(" ")} failed (exit ${result.status ?? result.signal}).`);
    reports.push({ step: "packages", status: "installed", detail: toInstall.join(" ") });
    facts = detectProject(root);
  }

  // 2. server.ts
  const serverFile = facts.typescript ? "server.ts" : "server.mjs";
  if (existsSync(join(root, serverFile))) {
    const current = readFileSync(join(root, serverFile), "utf8");
    reports.push(current.includes("next-channels-broadcast/node") ? { step: "server", status: "unchanged", detail: serverFile } : { step: "server", status: "manual", detail: `${serverFile} exists and is not ours: start it with startNotificationsServer() from "next-channels-broadcast/node" (see the README).` });
  } else {
    writeFileSync(join(root, serverFile), serverFileSource({ store, typescript: facts.typescript }));
    reports.push({ step: "server", status: "created", detail: serverFile });
  }

  // 3. Scripts.
  apply(facts, "package.json", patchScripts(facts.packageJson, serverFile), "scripts", reports);

  // 4. The provider in the root layout.
  if (facts.layoutFile === null) reports.push({ step: "layout", status: "manual", detail: `No root layout in ${facts.appDir}/: add <NotificationsProvider> around {children} (see the README).` });
  else {
    const source = readFileSync(join(root, facts.layoutFile), "utf8");
    apply(facts, facts.layoutFile, patchLayout(source, { authImport: facts.nextAuth ? authImportPath(facts) : null }), "layout", reports);
  }

  // 5. Auth.js: session.user.id, and a session id for revocation.
  if (!facts.nextAuth) reports.push({ step: "auth", status: "manual", detail: "No Auth.js found: pass authenticate to startNotificationsServer, or install next-auth@5.0.0-beta.32 (see the README)." });
  else if (facts.authFile === null) reports.push({ step: "auth", status: "manual", detail: `No ${facts.srcDir ? "src/" : ""}auth.ts found: make your Auth.js session callback set session.user.id = token.sub.` });
  else apply(facts, facts.authFile, patchAuthConfig(readFileSync(join(root, facts.authFile), "utf8")), "auth", reports);

  // 6. AUTH_SECRET, where Next (and the custom server) will read it.
  const envTexts = ENV_FILES.map((name) => (existsSync(join(root, name)) ? readFileSync(join(root, name), "utf8") : "")).join("\n");
  const envLocalPath = join(root, ".env.local");
  const envEdit = patchEnvLocal(existsSync(envLocalPath) ? readFileSync(envLocalPath, "utf8") : null, `${envTexts}\n${process.env.AUTH_SECRET ? "AUTH_SECRET=set" : ""}`, randomBytes(32).toString("base64url"));
  apply(facts, ".env.local", envEdit, "AUTH_SECRET", reports);

  // 7. The store's tables.
  if (!store) reports.push({ step: "migrations", status: "skipped", detail: "no store" });
  else if (options.skipInstall) reports.push({ step: "migrations", status: "skipped", detail: "run: npx next-channels-broadcast migrate" });
  else {
    const { migrateFromEnv } = await import("../migrate.js");
    const applied = await migrateFromEnv({ root });
    reports.push(applied > 0 ? { step: "migrations", status: "changed", detail: `${applied} migration(s) applied to the next-channels-broadcast tables` } : { step: "migrations", status: "unchanged", detail: "next-channels-broadcast tables up to date" });
  }

  for (const report of reports) out(`  ${report.status.padEnd(9)} ${report.step}${report.detail ? `: ${report.detail}` : ""}`);
  const manual = reports.filter((report) => report.status === "manual");
  out(manual.length === 0 ? `\nDone. Start it with \`${facts.packageManager} run dev\`, then send from a server action:\n  await sendToUser(session.user.id, "Hello!", { level: "success" });` : `\n${manual.length} step(s) need you: see "manual" above.`);
  return reports;
}
