/**
 * Where a handshake's time goes: reads a V8 CPU profile (.cpuprofile) of the gateway during a
 * connect storm and splits its samples into the parts of a handshake — cookie decryption, store
 * queries (replay and revocation), group joins, ws (upgrade and frame writes), the gateway's own
 * bookkeeping, garbage collection, idle, other. Each sample goes to the innermost stack frame that belongs to one of the parts, so
 * a postgres reply parsed under a socket callback counts as a query and jose under the gateway's
 * upgrade counts as decryption.
 *
 *   node_modules/.bin/tsx bench/lib/profile-shares.ts bench/results/storm-<date>/gateway-round1.cpuprofile
 *
 * The profile is the main thread's only: WebCrypto work that runs on libuv's thread pool (the
 * bulk of HKDF and AES) is not in it; the bench's server-CPU-per-handshake figure counts it.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The parts, in the order a stack is checked (innermost frame first, first matching part wins). */
const PARTS: { name: string; test: (url: string, fn: string) => boolean }[] = [
  { name: "cookie decryption (Auth.js JWE: jose, HKDF, WebCrypto glue, session cache)", test: (url) => /\/(jose|@panva|next-auth|@auth)\/|auth\/authjs|auth\/session-cache|internal\/crypto/.test(url) },
  { name: "store queries (replay + revocation: postgres driver, drizzle, store)", test: (url) => /\/(postgres|drizzle-orm)\/|server\/store\/|server\/batching|auth\/revocation|gateway\/replay-step/.test(url) },
  { name: "group joins (registry, layer, membership, join path)", test: (url) => /gateway\/(join|groups|membership)|layer\//.test(url) },
  { name: "ws (upgrade, frames)", test: (url) => /\/ws\/lib\//.test(url) },
  { name: "gateway bookkeeping (upgrade checks, admission, connection set-up)", test: (url) => /server\/gateway\/|server\/auth\//.test(url) },
  { name: "the profiler itself (writing the profile)", test: (url) => url === "node:inspector" },
];

export interface Shares {
  totalMs: number;
  /** part → share of all samples, 0..1 */
  parts: Record<string, number>;
}

/**
 * Splits `file`'s samples into the parts above (plus GC, idle and other).
 *
 * @example
 * console.log(formatShares(profileShares("gateway-round1.cpuprofile")));
 */
export function profileShares(file: string): Shares {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const partOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = partOf.get(id);
    if (known) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let part: string | undefined;
    if (functionName === "(idle)") part = "idle";
    else if (functionName === "(garbage collector)") part = "garbage collection";
    else part = PARTS.find((candidate) => candidate.test(url, functionName))?.name;
    if (!part) {
      const up = parent.get(id);
      part = up === undefined ? "other (Node: HTTP parsing, sockets, timers, promises)" : classify(up);
    }
    partOf.set(id, part);
    return part;
  };
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const part = classify(id);
    time.set(part, (time.get(part) ?? 0) + delta);
  });
  return { totalMs: total / 1000, parts: Object.fromEntries([...time].sort((a, b) => b[1] - a[1]).map(([part, us]) => [part, us / total])) };
}

/** One line per part: share of all samples and of the busy (non-idle) ones. */
export function formatShares(shares: Shares): string {
  const busy = 1 - (shares.parts.idle ?? 0);
  const lines = [`  profile: ${(shares.totalMs / 1000).toFixed(1)} s sampled, ${Math.round(busy * 100)}% busy`];
  for (const [part, share] of Object.entries(shares.parts)) {
    if (part === "idle") continue;
    lines.push(`  ${(share * 100).toFixed(1).padStart(5)}% of all, ${((share / busy) * 100).toFixed(1).padStart(5)}% of busy — ${part}`);
  }
  return lines.join("\n");
}

if (process.argv[1]?.endsWith("profile-shares.ts")) {
  for (const file of process.argv.slice(2)) console.log(`${file}\n${formatShares(profileShares(file))}`);
}
