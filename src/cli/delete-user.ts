/**
 * Deletes a demo user and revokes every session they have.
 *
 *   npm run delete-user -- <username> [--yes]
 *
 * The revocation is recorded in the notification store (the database), so a copy of any of the
 * user's cookies is refused from now on — by pages and by the websocket gateway, also after a
 * restart. With REDIS_URL the running servers close the user's open sockets at once; otherwise
 * they close them at their next revocation sweep. PGlite allows one process per data directory:
 * stop the server first, or use DATABASE_URL.
 *
 * Exit codes: 0 deleted, 1 refused/failed (unknown user, database in use…), 2 usage.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { closeDatabase, DatabaseLockedError, deleteUser, findUserByUsername, getReadyDb, isValidUsername, normalizeUsername } from "@/db";
import { closeRuntime, NotificationError, PublishError, revokeUserSessions } from "next-channels-broadcast/server";
import { createLayerFromEnv, installRuntime, readSettings } from "next-channels-broadcast/node";
import { createDrizzleStore } from "next-channels-broadcast/drizzle";
import { parseCommandLine, UsageError } from "./command-line";

const USAGE = `Usage: npm run delete-user -- <username> [--yes]

Deletes a user of the demo app (and their comments) from the configured database
(PGlite in PGLITE_DATA_DIR, default .data/pglite; PostgreSQL when DATABASE_URL is set),
and revokes all their sessions: no copy of their cookies opens a page or a socket again.

  <username>    the user to delete
  -y, --yes     do not ask for confirmation (required when stdin is not a terminal)
  -h, --help    show this help
`;


function parse(argv: string[]): { username: string; yes: boolean; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { yes: { type: "boolean", short: "y" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { username: "", yes: false, help: true };
  if (positionals.length === 0) throw new UsageError("Missing <username>.");
  if (positionals.length > 1) throw new UsageError(`Unexpected argument ${JSON.stringify(positionals[1])}.`);
  return { username: positionals[0] ?? "", yes: values.yes === true, help: false };
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(parse, argv, USAGE);
  if (typeof args === "number") return args;
  if (!args.yes && !process.stdin.isTTY) {
    process.stderr.write("--yes is required when stdin is not a terminal\n");
    return 2;
  }
  const username = normalizeUsername(args.username);
  if (!isValidUsername(username)) {
    process.stderr.write(`Error: Invalid username ${JSON.stringify(args.username.slice(0, 40))}.\n`);
    return 1;
  }
  try {
    const user = await findUserByUsername(username);
    if (!user) {
      process.stderr.write(`Error: No user named ${username}.\n`);
      return 1;
    }
    if (!args.yes && !(await confirm(`Delete ${user.username} and end all their sessions? [y/N] `))) {
      process.stderr.write("Cancelled.\n");
      return 1;
    }
    // Revocations go to the store in this database (PGlite included), where the server reads them.
    installRuntime({ settings: readSettings(), layer: await createLayerFromEnv(process.env), store: createDrizzleStore(await getReadyDb()) });
    // Revoke first: if that cannot be recorded, nothing is deleted and the command can be re-run.
    let closedAtOnce = Boolean(process.env.REDIS_URL?.trim());
    try {
      await revokeUserSessions(user.id);
    } catch (error) {
      // Recorded, but the running servers could not be told: their sweep closes the sockets.
      if (!(error instanceof PublishError)) throw error;
      closedAtOnce = false;
    }
    await deleteUser(user.id);
    process.stdout.write(`Deleted user ${user.username} (id ${user.id}) and revoked all their sessions.\n`);
    if (!closedAtOnce) process.stdout.write("Open sockets of a running server close at its next revocation sweep (set REDIS_URL to close them at once).\n");
    return 0;
  } catch (error) {
    if (error instanceof DatabaseLockedError || error instanceof NotificationError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`Error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  } finally {
    await closeRuntime().catch(() => {});
    await closeDatabase().catch(() => {});
  }
}

process.exit(await main(process.argv.slice(2)));
