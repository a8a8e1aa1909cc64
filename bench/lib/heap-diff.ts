/**
 * What a V8 heap snapshot holds more than another, by constructor: count and self size of each
 * kind of object, the difference ÷ `per` (the sockets opened between the two). How
 * `bench:idle -- --snapshot` says where an idle socket's heap goes.
 *
 *   node_modules/.bin/tsx bench/lib/heap-diff.ts before.heapsnapshot after.heapsnapshot 2000
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and bytes per "type:name" in a snapshot. */
function tally(file: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let index = 0; index < snapshot.nodes.length; index += width) {
    const type = types[snapshot.nodes[index + typeAt]!]!;
    const raw = snapshot.strings[snapshot.nodes[index + nameAt]!] ?? "";
    // Strings and numbers are named by their value: group them by type only.
    const name = type === "object" || type === "closure" || type === "native" || type === "hidden" || type === "array" || type === "code" ? raw.slice(0, 60) : "";
    const key = `${type}:${name}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += snapshot.nodes[index + sizeAt]!;
    totals.set(key, entry);
  }
  return totals;
}

export interface HeapRow {
  key: string;
  count: number;
  bytes: number;
}

/** Every kind's growth between `before` and `after`, per unit of `per`. */
export function growthByKind(before: string, after: string, per: number): Map<string, HeapRow> {
  const a = tally(before);
  const b = tally(after);
  const rows = new Map<string, HeapRow>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(key) ?? { count: 0, bytes: 0 };
    const now = b.get(key) ?? { count: 0, bytes: 0 };
    rows.set(key, { key, count: (now.count - was.count) / per, bytes: (now.bytes - was.bytes) / per });
  }
  return rows;
}

/** The rows that grew most between `before` and `after`, per unit of `per`. */
export function heapDiff(before: string, after: string, per: number, top = 25): HeapRow[] {
  return [...growthByKind(before, after, per).values()].sort((x, y) => y.bytes - x.bytes).slice(0, top);
}

/** Per kind, what one of ours holds more than one of theirs (both `growthByKind` results). */
export function compareGrowth(ours: Map<string, HeapRow>, theirs: Map<string, HeapRow>, top = 25): HeapRow[] {
  const rows: HeapRow[] = [];
  for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(key) ?? { key, count: 0, bytes: 0 };
    const b = theirs.get(key) ?? { key, count: 0, bytes: 0 };
    rows.push({ key, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  return rows.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes)).slice(0, top);
}

if (process.argv[1]?.endsWith("heap-diff.ts")) {
  const [before, after, per] = process.argv.slice(2);
  const rows = heapDiff(before!, after!, Number(per ?? 1));
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`| kind | objects / socket | bytes / socket |\n|---|---|---|`);
  for (const row of rows) console.log(`| ${row.key} | ${row.count.toFixed(2)} | ${row.bytes.toFixed(0)} |`);
  console.log(`top ${rows.length} rows: ${total.toFixed(0)} B per socket`);
}
