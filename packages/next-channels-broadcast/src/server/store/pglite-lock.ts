/**
 * PGlite does not lock its data directory, and two processes on one directory corrupt it. This
 * takes an exclusive lock file (the holder's pid, created with `wx`) and refuses a directory that
 * a live process holds; a lock left behind by a dead process is taken over.
 */
import fs from "node:fs";
import path from "node:path";

/** Name of the lock file inside a PGlite data directory. */
export const PGLITE_LOCK_FILE = "next-channels-broadcast.lock";

/** Raised when the PGlite data directory is held by another live process. */
export class DatabaseLockedError extends Error {
  readonly dataDir: string;
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      `PGlite data directory ${dataDir} is in use by process ${pid}; stop that process, or set PGLITE_DATA_DIR / NOTIFICATIONS_PGLITE_DIR / DATABASE_URL`,
    );
    this.name = "DatabaseLockedError";
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLockPid(lockFile: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockFile, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Takes the exclusive lock of `dataDir` for this process, or throws `DatabaseLockedError`.
 * A lock whose process is gone (or that is unreadable/empty) is stale and taken over.
 *
 * @example
 * const lockFile = acquirePgliteLock(".data/pglite");
 * // … open PGlite on it, and when closing:
 * releasePgliteLock(lockFile);
 */
export function acquirePgliteLock(dataDir: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, PGLITE_LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(lockFile, "wx");
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = readLockPid(lockFile);
    if (pid !== null && pid !== process.pid && isProcessAlive(pid)) throw new DatabaseLockedError(dataDir, pid);
    // Stale (dead process, our own leftover pid, or garbage): remove and try again.
    try {
      fs.unlinkSync(lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  throw new Error(`Could not take the lock ${lockFile}; another process keeps racing for it.`);
}

/**
 * Removes the lock file if this process holds it.
 *
 * @example
 * releasePgliteLock(lockFile);
 */
export function releasePgliteLock(lockFile: string): void {
  try {
    if (readLockPid(lockFile) === process.pid) fs.unlinkSync(lockFile);
  } catch {
    // Nothing to release.
  }
}

