/**
 * What a storm allocates: reads a V8 sampling heap profile (.heapprofile, written by the storm's
 * `--heap-profile`, with the objects collected since counted too) and sums its sampled bytes,
 * in total and per allocating function. Allocated bytes per handshake are much steadier on this
 * shared machine than CPU time, so they show a change too small for the CPU figures to resolve.
 *
 *   node_modules/.bin/tsx bench/lib/allocation-sites.ts bench/results/storm-<date>/gateway-round2.heapprofile
 */
import { readFileSync } from "node:fs";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface Allocations {
  /** Sampled bytes allocated in all. */
  totalBytes: number;
  /** Bytes per allocating function ("name file:line"), largest first. */
  sites: [string, number][];
}

/** Where a frame's file is, shortened to the package or kit path. */
function site(node: HeapNode): string {
  const file = node.callFrame.url.replace(/.*node_modules\//, "").replace(/.*packages\/next-channels-broadcast\//, "kit/");
  return `${node.callFrame.functionName || "(anonymous)"} ${file}:${node.callFrame.lineNumber + 1}`;
}

/**
 * Sums `file`'s samples by the function that allocated them.
 *
 * @example
 * const { totalBytes } = allocationSites("gateway-round2.heapprofile"); // e.g. 390e6 for 10,000 handshakes
 */
export function allocationSites(file: string): Allocations {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode };
  const bytes = new Map<string, number>();
  let totalBytes = 0;
  const stack = [profile.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    totalBytes += node.selfSize;
    if (node.selfSize > 0) bytes.set(site(node), (bytes.get(site(node)) ?? 0) + node.selfSize);
    stack.push(...node.children);
  }
  return { totalBytes, sites: [...bytes].sort((a, b) => b[1] - a[1]) };
}

/** The total (per handshake when `handshakes` is given) and the ten largest allocating functions. */
export function formatAllocations(allocations: Allocations, handshakes?: number): string {
  const per = handshakes ?? 1;
  const unit = handshakes === undefined ? "KB" : "KB per handshake";
  const kb = (bytes: number) => (bytes / per / 1024).toFixed(1);
  const lines = [`  allocated ${(allocations.totalBytes / 1e6).toFixed(1)} MB = ${kb(allocations.totalBytes)} ${unit}; largest sites:`];
  for (const [where, bytes] of allocations.sites.slice(0, 10)) {
    lines.push(`  ${((bytes / allocations.totalBytes) * 100).toFixed(1).padStart(5)}%  ${kb(bytes).padStart(6)} ${unit}  ${where}`);
  }
  return lines.join("\n");
}

if (process.argv[1]?.endsWith("allocation-sites.ts")) {
  for (const file of process.argv.slice(2)) console.log(`${file}\n${formatAllocations(allocationSites(file))}`);
}
