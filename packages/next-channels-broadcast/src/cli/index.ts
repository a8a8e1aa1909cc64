/**
 * The `next-channels-broadcast` command:
 *
 *   npx next-channels-broadcast init [--yes] [--no-store] [--skip-install]
 *   npx next-channels-broadcast send [options] <payload>
 *   npx next-channels-broadcast migrate
 *
 * Exit codes: 0 done, 1 failed, 2 usage.
 */
import { readFileSync } from "node:fs";
// @next/env is CommonJS without detectable named exports: Node's ESM loader only gives its default.
import nextEnv from "@next/env";
import { runInit } from "./init/index.js";

const HELP = `Usage: npx next-channels-broadcast <command>

Commands:
  init      set this Next.js app up: server.ts, the provider in the root layout, Auth.js'
            session.user.id, AUTH_SECRET, scripts, packages, the store and its migrations
            --yes           take the defaults without asking
            --no-store      no store (live-only notifications)
            --skip-install  do not run the package manager
  send      send a notification through the running server (--help for its options)
  migrate   create or update the kit's tables (DATABASE_URL, or .data/notifications)
  --version print the version
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // The same .env* files the app's server reads (NOTIFICATIONS_API_KEY, DATABASE_URL, …).
  if (command === "send" || command === "migrate") nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== "production", { info: () => undefined, error: console.error });
  switch (command) {
    case "init": {
      const unknown = rest.filter((flag) => !["--yes", "-y", "--no-store", "--store", "--skip-install"].includes(flag));
      if (unknown.length > 0) {
        process.stderr.write(`Unknown option ${unknown[0]} for init.\n\n${HELP}`);
        return 2;
      }
      const store = rest.includes("--no-store") ? false : rest.includes("--store") ? true : undefined;
      const reports = await runInit({ yes: rest.includes("--yes") || rest.includes("-y"), skipInstall: rest.includes("--skip-install"), ...(store === undefined ? {} : { store }) });
      return reports.some((report) => report.status === "manual") ? 1 : 0;
    }
    // Loaded per command: `send` and `migrate` reach the store, whose optional packages
    // (drizzle-orm, …) may not be installed yet when `init` — which installs them — runs.
    case "send": {
      const { runSendCommand } = await import("./send.js");
      return runSendCommand(rest, process.env);
    }
    case "migrate": {
      const { migrateFromEnv } = await import("./migrate.js");
      await migrateFromEnv();
      process.stdout.write("next-channels-broadcast: tables up to date.\n");
      return 0;
    }
    case "--version":
    case "-v":
      process.stdout.write(`${version()}\n`);
      return 0;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
