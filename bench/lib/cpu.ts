/**
 * How much CPU other programs used while we measured. The bench shares the machine with
 * whatever else runs on it; on a 2-core box a compiler or test run next to it changes the
 * numbers, so each measurement records the CPU used by processes that are not the bench's.
 */
import { readFileSync } from "node:fs";
import { sleep } from "./clock";

const HZ = 100; // USER_HZ: /proc times are in 1/100 s on Linux

/** Busy jiffies of the whole machine. */
function machineBusy(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return fields.slice(0, 8).reduce((sum, value) => sum + value, 0) - idle;
}

/** utime + stime of one process (0 when gone). */
function processBusy(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface CpuSample {
  at: number;
  machine: number;
  ours: Map<number, number>;
}

export function sampleCpu(pids: readonly number[]): CpuSample {
  return { at: Date.now(), machine: machineBusy(), ours: new Map(pids.map((pid) => [pid, processBusy(pid)])) };
}

/**
 * Cores used by other programs between `start` and now (0.5 = half a core on average).
 * Only processes present in `start` count as ours; a process that exited in between has its
 * time missing, so call this before stopping them.
 */
export function foreignCores(start: CpuSample): number {
  const end = sampleCpu([...start.ours.keys()]);
  let ours = 0;
  for (const [pid, before] of start.ours) ours += Math.max(0, (end.ours.get(pid) ?? before) - before);
  const seconds = (end.at - start.at) / 1_000;
  if (seconds <= 0) return 0;
  return Math.max(0, (end.machine - start.machine - ours) / HZ / seconds);
}

/**
 * Waits until other programs use less than `threshold` cores over a 1 s window, at most
 * `maxWaitMs`. Resolves with the last measured load.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const start = sampleCpu([process.pid]);
    await sleep(1_000);
    const load = foreignCores(start);
    if (load < threshold || Date.now() >= deadline) return load;
  }
}
