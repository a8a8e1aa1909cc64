#!/usr/bin/env node
/**
 * Builds the package: TypeScript's own compiler, one output file per source file.
 *
 * Why not a bundler (tsup/tsdown): bundling merges modules, and a "use client" directive is only
 * kept at the top of an entry — our components and hooks each carry their own on their file (the
 * barrel `client/index` must not: it also exports plain values a server component imports). tsc
 * keeps every file and its directive as written, emits Node-valid ESM (imports carry `.js`), and
 * the declaration files beside them.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
rmSync(join(root, "dist"), { recursive: true, force: true });
// The migrations travel as a module of strings (see scripts/embed-migrations.mjs).
const embedded = spawnSync(process.execPath, [join(root, "scripts/embed-migrations.mjs")], { stdio: "inherit" });
if (embedded.status !== 0) process.exit(embedded.status ?? 1);
const result = spawnSync(process.platform === "win32" ? "npx.cmd" : "npx", ["--no-install", "tsc", "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (result.status !== 0) process.exit(result.status ?? 1);

// The CLI is run directly: it needs its shebang and the executable bit.
const cli = join(root, "dist/cli/index.js");
const text = readFileSync(cli, "utf8");
if (!text.startsWith("#!")) writeFileSync(cli, `#!/usr/bin/env node\n${text}`);
chmodSync(cli, 0o755);
console.log("next-channels-broadcast: built dist/");
