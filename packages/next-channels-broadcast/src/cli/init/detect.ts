/**
 * What `init` needs to know about an existing Next.js app before it changes anything: where
 * the app directory and the root layout are, TypeScript or not, the import alias, the package
 * manager, the module type of package.json, Auth.js and its config file, and whether the app
 * turned `cacheComponents` on. Read-only: nothing here writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

export interface PackageJson {
  name?: string;
  type?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface ProjectFacts {
  root: string;
  packageJson: PackageJson;
  /** `"module"` when package.json says `"type": "module"`, else CommonJS. */
  moduleType: "module" | "commonjs";
  packageManager: PackageManager;
  typescript: boolean;
  /** `src/` holds the app (`src/app`). */
  srcDir: boolean;
  /** The app directory, relative to the root: `app` or `src/app`. */
  appDir: string;
  /** The root layout, relative to the root, or null when there is none. */
  layoutFile: string | null;
  /**
   * The import alias that points at the app's source root (`@/` for `"@/*": ["./src/*"]` or
   * `["./*"]`), or null when there is none (relative imports are used then).
   */
  alias: string | null;
  /** Where the alias points, relative to the root: `src` or `.`. */
  aliasRoot: string;
  /** `next-auth` is a dependency. */
  nextAuth: boolean;
  /** The Auth.js config file (`auth.ts` at the alias root, the convention), relative to the root, or null. */
  authFile: string | null;
  /** `cacheComponents: true` in the Next config. */
  cacheComponents: boolean;
}

const LAYOUT_NAMES = ["layout.tsx", "layout.jsx", "layout.ts", "layout.js"];
const AUTH_NAMES = ["auth.ts", "auth.js", "auth.tsx", "auth.mts", "auth.mjs"];
const NEXT_CONFIGS = ["next.config.ts", "next.config.mjs", "next.config.js", "next.config.mts", "next.config.cjs"];

/** Thrown when the directory is not a Next.js app `init` can work on. */
export class NotANextAppError extends Error {}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** Strips `//` and `/* *\/` comments and trailing commas, enough for a tsconfig.json. */
function parseJsonc<T>(text: string): T {
  const stripped = text
    .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match, string: string | undefined) => string ?? "")
    .replace(/,(\s*[}\]])/g, "$1");
  return JSON.parse(stripped) as T;
}

function detectPackageManager(root: string): PackageManager {
  if (existsSync(join(root, "pnpm-lock.yaml"))) return "pnpm";
  if (existsSync(join(root, "yarn.lock"))) return "yarn";
  if (existsSync(join(root, "bun.lockb")) || existsSync(join(root, "bun.lock"))) return "bun";
  return "npm";
}

function detectAlias(root: string): { alias: string | null; aliasRoot: string } {
  for (const name of ["tsconfig.json", "jsconfig.json"]) {
    const file = join(root, name);
    if (!existsSync(file)) continue;
    let config: { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } };
    try {
      config = parseJsonc(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    for (const [pattern, targets] of Object.entries(config.compilerOptions?.paths ?? {})) {
      const target = targets[0];
      if (!pattern.endsWith("/*") || !target?.endsWith("/*")) continue;
      const aliasRoot = target.slice(0, -2).replace(/^\.\//, "") || ".";
      if (aliasRoot === "." || aliasRoot === "src") return { alias: pattern.slice(0, -1), aliasRoot };
    }
  }
  return { alias: null, aliasRoot: "." };
}

/**
 * Reads the facts of the Next.js app at `root`. Throws `NotANextAppError` when there is no
 * package.json with `next`, or no app directory.
 *
 * @example
 * const facts = detectProject(process.cwd());
 * facts.appDir;    // "app" (create-next-app's default) or "src/app"
 * facts.layoutFile // "app/layout.tsx"
 */
export function detectProject(root: string): ProjectFacts {
  const packageFile = join(root, "package.json");
  if (!existsSync(packageFile)) throw new NotANextAppError(`No package.json in ${root}: run init in your Next.js app's folder.`);
  const packageJson = readJson<PackageJson>(packageFile);
  const deps = { ...packageJson.dependencies, ...packageJson.devDependencies };
  if (!deps.next) throw new NotANextAppError(`${packageFile} does not depend on next: run init in your Next.js app's folder.`);
  const srcDir = existsSync(join(root, "src", "app"));
  const appDir = srcDir ? "src/app" : existsSync(join(root, "app")) ? "app" : null;
  if (appDir === null) throw new NotANextAppError(`No app/ or src/app/ directory in ${root}: next-channels-broadcast needs the App Router.`);
  const layoutName = LAYOUT_NAMES.find((name) => existsSync(join(root, appDir, name)));
  const { alias, aliasRoot } = detectAlias(root);
  const authBase = srcDir ? "src" : ".";
  const authName = AUTH_NAMES.find((name) => existsSync(join(root, authBase, name)));
  const nextConfig = NEXT_CONFIGS.find((name) => existsSync(join(root, name)));
  const configText = nextConfig ? readFileSync(join(root, nextConfig), "utf8") : "";
  return {
    root,
    packageJson,
    moduleType: packageJson.type === "module" ? "module" : "commonjs",
    packageManager: detectPackageManager(root),
    typescript: existsSync(join(root, "tsconfig.json")),
    srcDir,
    appDir,
    layoutFile: layoutName ? `${appDir}/${layoutName}` : null,
    alias,
    aliasRoot,
    nextAuth: Boolean(deps["next-auth"]),
    authFile: authName ? (authBase === "." ? authName : `${authBase}/${authName}`) : null,
    cacheComponents: /cacheComponents\s*:\s*true/.test(configText),
  };
}
