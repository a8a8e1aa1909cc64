/**
 * Creates demo users.
 *
 *   npm run create-user -- <username> [<username>…] [--password <pw>] [--admin]
 *
 * Without --password on a terminal, asks for the password twice (hidden). Without a terminal it
 * never waits: --password is required. Exit codes: 0 created, 1 refused/failed, 2 usage.
 * The user is an admin with --admin, or as the first user of an empty database when
 * DEMO_ADMIN_USERNAMES is unset (the same rule as signing up; see src/demo/roles.ts).
 */
import { parseArgs } from "node:util";
import { closeDatabase, createUser, DatabaseLockedError, isValidUsername, MIN_PASSWORD_LENGTH, normalizeUsername, UserError } from "@/db";
import { signUpOptions } from "@/demo/roles";
import { readDemoSettings } from "@/demo/settings";
import { InvalidSettingError } from "next-channels-broadcast/server";
import { parseCommandLine, UsageError } from "./command-line";

const USAGE = `Usage: npm run create-user -- <username> [<username>…] [--password <password>] [--admin]

Creates users of the demo app in the configured database
(PGlite in PGLITE_DATA_DIR, default .data/pglite; PostgreSQL when DATABASE_URL is set), in the
order given, all with the same password; it stops at the first one that fails.

  <username>             3–32 characters of a-z, 0-9, "_", "." and "-" (stored lowercased)
  -p, --password <pw>    at least ${MIN_PASSWORD_LENGTH} characters; asked for (hidden) on a terminal when omitted
  --admin                make the user an admin (may send anything to anyone). Without it, the
                         first user of an empty database is the admin unless DEMO_ADMIN_USERNAMES is set
  -h, --help             show this help
`;

class CancelledError extends Error {}

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error: Error | null) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003" || (ch === "\u0004" && value === "")) return finish(new CancelledError("Cancelled."));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    // Echo off before the prompt appears, so nothing typed (or pasted) right away is shown.
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
    process.stderr.write(question);
  });
}

async function askPassword(): Promise<string> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const first = await promptHidden("Password: ");
    if (first.length < MIN_PASSWORD_LENGTH) {
      process.stderr.write(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.\n`);
      continue;
    }
    const second = await promptHidden("Repeat password: ");
    if (first === second) return first;
    process.stderr.write("The passwords do not match.\n");
  }
  throw new UserError("INVALID_PASSWORD", "No password given after 3 attempts.");
}

function parse(argv: string[]): { usernames: string[]; password: string | undefined; admin: boolean; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        password: { type: "string", short: "p" },
        admin: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { usernames: [], password: undefined, admin: false, help: true };
  if (positionals.length === 0) throw new UsageError("Missing <username>.");
  return { usernames: positionals, password: values.password, admin: values.admin === true, help: false };
}

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(parse, argv, USAGE);
  if (typeof args === "number") return args;
  if (args.password === undefined && !process.stdin.isTTY) {
    process.stderr.write("--password is required when stdin is not a terminal\n");
    return 2;
  }
  const usernames = args.usernames.map(normalizeUsername);
  const invalid = args.usernames.find((given, index) => !isValidUsername(usernames[index]!));
  if (invalid !== undefined) {
    // Same message as createUser, before asking for a password that would be wasted.
    process.stderr.write(`Error: Invalid username ${JSON.stringify(invalid)}: use 3–32 characters of a-z, 0-9, "_", "." and "-".\n`);
    return 1;
  }
  let options;
  try {
    options = args.admin ? ({ role: "admin" } as const) : signUpOptions(readDemoSettings(process.env));
  } catch (error) {
    if (!(error instanceof InvalidSettingError)) throw error;
    process.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
  try {
    const password = args.password ?? (await askPassword());
    // One process for all of them: start-up and migrations once. In order, so "the first user of
    // an empty database is the admin" means the first one named.
    for (const username of usernames) {
      // createUser validates first, then migrates (getReadyDb) before inserting.
      const user = await createUser(username, password, options);
      process.stdout.write(`Created ${user.role === "admin" ? "admin" : "user"} ${user.username} (id ${user.id})\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof CancelledError) {
      process.stderr.write("Cancelled.\n");
      return 1;
    }
    if (error instanceof UserError || error instanceof DatabaseLockedError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`Error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  } finally {
    await closeDatabase().catch(() => {});
  }
}

process.exit(await main(process.argv.slice(2)));
