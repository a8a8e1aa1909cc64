/**
 * Throwaway PostgreSQL servers for tests: Debian's `initdb` + `pg_ctl` (under
 * /usr/lib/postgresql/<version>/bin) on a free loopback port, data in a temp directory, fsync
 * off. As root, the server runs as the `postgres` user (`runuser`), which PostgreSQL requires.
 *
 * When PostgreSQL is not installed, suites that need it are skipped with a loud warning and the
 * reason in the suite name, except under CI (`CI` set), where they fail: a CI run that silently
 * skipped the PostgreSQL tests would look green while testing nothing.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { describe, it } from "vitest";

const PG_ROOT = "/usr/lib/postgresql";

interface PostgresInstall {
  bin: string;
  version: string;
}

function detectPostgres(): PostgresInstall | { missing: string } {
  let versions: string[] = [];
  try {
    versions = readdirSync(PG_ROOT).filter((name) => existsSync(join(PG_ROOT, name, "bin", "initdb")) && existsSync(join(PG_ROOT, name, "bin", "pg_ctl")));
  } catch {
    // No PostgreSQL at all.
  }
  const version = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!version) return { missing: `PostgreSQL is not installed (no ${PG_ROOT}/*/bin/initdb; apt-get install -y postgresql)` };
  if (process.getuid?.() === 0) {
    const user = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    if (user.status !== 0) return { missing: "running as root but there is no 'postgres' user to run the server as" };
    if (spawnSync("runuser", ["--help"]).error) return { missing: "running as root but 'runuser' is missing" };
  }
  return { bin: join(PG_ROOT, version, "bin"), version };
}

const DETECTED = detectPostgres();

/** The installed PostgreSQL (bin directory and major version), or null. */
export const POSTGRES_INSTALL: PostgresInstall | null = "bin" in DETECTED ? DETECTED : null;

/**
 * `describe` for suites that need a real PostgreSQL. Without it: fails under CI, else skips
 * with a visible reason in the suite name and a console warning.
 *
 * @example
 * describeWithPostgres("store on PostgreSQL", () => { it("…", async () => { … }); });
 */
export function describeWithPostgres(name: string, body: () => void): void {
  if (POSTGRES_INSTALL) {
    describe(name, body);
    return;
  }
  const missing = (DETECTED as { missing: string }).missing;
  if (process.env.CI) {
    describe(name, () => {
      it(`needs PostgreSQL: ${missing}`, () => {
        throw new Error(`${missing}; CI must run the PostgreSQL tests.`);
      });
    });
  } else {
    console.warn(`\n!!! SKIPPING "${name}": ${missing}. These tests run in CI. !!!\n`);
    describe.skip(`${name} [SKIPPED: ${missing}]`, body);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url: string;
  port: number;
  database: string;
  /** Stops the server (fast shutdown) and deletes its data. Idempotent. */
  stop(): Promise<void>;
}

function run(install: PostgresInstall, tool: string, args: string[], asPostgres: boolean): void {
  const command = join(install.bin, tool);
  const result = asPostgres
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed (${result.status}): ${result.error?.message ?? ""}${result.stderr}${result.stdout}`);
  }
}

/**
 * Starts a fresh PostgreSQL on a free loopback port and creates `database` in it. Call `stop()`
 * in `afterAll`.
 *
 * @example
 * const pg = await startPostgresServer();
 * process.env.DATABASE_URL = pg.url;
 */
export async function startPostgresServer(database = "notifications_test"): Promise<PostgresServer> {
  const install = POSTGRES_INSTALL;
  if (!install) throw new Error((DETECTED as { missing: string }).missing);
  const asPostgres = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), "ncb-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "server.log");
  if (asPostgres) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    chownSync(root, uid, gid);
  }
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      try {
        run(install, "pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"], asPostgres);
      } catch (error) {
        console.warn("[postgres-server] stop failed", error);
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    run(install, "initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asPostgres);
    const port = await freePort();
    // The socket lives in our temp dir: no dependence on /var/run/postgresql existing.
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      run(install, "pg_ctl", ["-D", dataDir, "-l", logFile, "-o", serverOptions, "-w", "-t", "60", "start"], asPostgres);
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "(no log)";
      throw new Error(`${(error as Error).message}\n--- server log ---\n${log}`);
    }
    started = true;
    const admin = postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database "${database.replace(/"/g, '""')}"`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, port, database, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
