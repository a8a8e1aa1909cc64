/**
 * Progress frames from a store carry `v`, a version that grows with every update of a group. A
 * replayed value (sent when a socket joins) and a live one can cross on the wire; the higher
 * version wins, so an older value never overwrites a newer one on screen. Frames without `v`
 * (no store) are always taken. Bounded: a long-lived tab forgets the oldest channels first.
 */
import type { ProgressFrame } from "../shared/protocol";

/** Default number of channels whose version is remembered. */
export const DEFAULT_PROGRESS_CHANNELS = 1_000;

export interface ProgressVersions {
  /** False when `frame` is older than the value already taken for its channel; otherwise records it. */
  accept(frame: ProgressFrame): boolean;
}

/**
 * Creates the filter.
 *
 * @example
 * const versions = createProgressVersions();
 * versions.accept({ type: "progress", progress: true, percent: "60%", channel: "jobs-1", v: 6 }); // true
 * versions.accept({ type: "progress", progress: true, percent: "40%", channel: "jobs-1", v: 4 }); // false: older
 */
export function createProgressVersions(capacity = DEFAULT_PROGRESS_CHANNELS): ProgressVersions {
  // A Map iterates in insertion order; re-inserting on update keeps the oldest channel first.
  const versions = new Map<string, number>();
  return {
    accept(frame) {
      if (frame.v === undefined) return true;
      const known = versions.get(frame.channel);
      if (known !== undefined && frame.v < known) return false;
      versions.delete(frame.channel);
      versions.set(frame.channel, frame.v);
      if (versions.size > capacity) {
        const oldest = versions.keys().next();
        if (!oldest.done) versions.delete(oldest.value);
      }
      return true;
    },
  };
}
