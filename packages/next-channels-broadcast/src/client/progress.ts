/** Progress frames carry a string such as "42%"; components want a number they can draw. */
import type { ProgressFrame } from "../shared/protocol.js";

/** One channel's latest progress, ready to render. */
export interface ProgressInfo {
  /** 0–100. */
  percent: number;
  /** The percentage as text, e.g. "42%". */
  label: string;
  channel: string;
}

/** Latest progress per channel, plus the most recent of any channel. */
export interface ProgressStore {
  byChannel: Readonly<Record<string, ProgressInfo>>;
  latest: ProgressInfo | null;
}

export const EMPTY_PROGRESS: ProgressStore = Object.freeze({ byChannel: Object.freeze({}), latest: null });

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/;

/**
 * Reads a progress frame; null when its percent is not a number between 0 and 100.
 *
 * @example
 * parseProgress({ type: "progress", progress: true, percent: "42%", channel: "jobs-1" })
 * // { percent: 42, label: "42%", channel: "jobs-1" }
 */
export function parseProgress(frame: ProgressFrame): ProgressInfo | null {
  const match = PERCENT.exec(frame.percent);
  if (!match) return null;
  const percent = Number(match[1]);
  if (!Number.isFinite(percent) || percent > 100) return null;
  return { percent, label: `${percent}%`, channel: frame.channel };
}

/** Returns a new store with `info` recorded (immutable, for React state). */
export function recordProgress(store: ProgressStore, info: ProgressInfo): ProgressStore {
  return { byChannel: { ...store.byChannel, [info.channel]: info }, latest: info };
}
