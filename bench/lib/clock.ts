/**
 * One clock for every bench process. `process.hrtime` reads CLOCK_MONOTONIC, which is
 * system-wide on Linux: a timestamp taken in the server process can be subtracted from one
 * taken in the client process on the same machine (checked at start-up by `run.ts`).
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds to wait. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
