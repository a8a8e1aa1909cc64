/**
 * What a tab does with each notification frame before anyone sees it: remember its id for the
 * position, drop a copy already shown (a replay crossing the live frame), drop a progress value
 * older than the one on screen. One mechanism for the tab's own socket and for a tab that
 * receives through another tab's shared socket.
 */
import type { ServerFrame } from "../shared/protocol.js";
import { createIdDeduper, DEFAULT_DEDUPE_CAPACITY } from "./dedupe.js";
import type { PositionTracker } from "./position.js";
import { createProgressVersions } from "./progress-versions.js";

export interface FrameIntake {
  /** False when the frame must not be delivered: a duplicate id, or an older progress value. */
  accept(frame: ServerFrame): boolean;
}

export interface FrameIntakeOptions {
  /** Records every id received (duplicates too: a replayed copy is still evidence). */
  tracker: PositionTracker;
  /** How many ids to remember for dedupe. Default 1000. */
  dedupeCapacity?: number;
  /** Called for every frame asking for an ack, duplicates included (the first ack may have been lost). */
  onAck?: (id: number) => void;
}

/**
 * Creates the filter.
 *
 * @example
 * const intake = createFrameIntake({ tracker: createPositionTracker({}) });
 * intake.accept({ type: "redirect", id: 7, url: "/x" }); // true
 * intake.accept({ type: "redirect", id: 7, url: "/x" }); // false: shown already
 */
export function createFrameIntake(options: FrameIntakeOptions): FrameIntake {
  const deduper = createIdDeduper(options.dedupeCapacity ?? DEFAULT_DEDUPE_CAPACITY);
  const progressVersions = createProgressVersions();
  return {
    accept(frame) {
      switch (frame.type) {
        case "message":
        case "redirect":
        case "event":
        case "refresh":
          if (frame.id === undefined) return true;
          // Ack duplicates too: an unacked inbox row keeps coming back on every reconnect.
          if ("ack" in frame && frame.ack === true) options.onAck?.(frame.id);
          options.tracker.received(frame.id);
          return !deduper.seen(frame.id);
        case "progress":
          return progressVersions.accept(frame);
        default:
          return true;
      }
    },
  };
}
