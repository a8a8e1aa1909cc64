/**
 * What the default look and pacing are, as plain values and functions: no "use client" here, so
 * a server component (or any server code) can import them as values, not as client references.
 */
import type { CSSProperties } from "react";
import { InvalidNotificationError } from "../shared/errors.js";
import type { Level } from "../shared/protocol.js";
import type { ConnectionState } from "./socket.js";

export const DEFAULT_LEVEL_STYLES: Readonly<Record<Level, CSSProperties>> = {
  info: { background: "#eff6ff", color: "#1e3a8a", borderColor: "#93c5fd" },
  success: { background: "#f0fdf4", color: "#14532d", borderColor: "#86efac" },
  warning: { background: "#fffbeb", color: "#78350f", borderColor: "#fcd34d" },
  error: { background: "#fef2f2", color: "#7f1d1d", borderColor: "#fca5a5" },
};

/** How long each level stays on screen; problems stay longer so they are not missed. */
export const DEFAULT_LEVEL_DURATIONS: Readonly<Record<Level, number>> = {
  info: 5_000,
  success: 5_000,
  warning: 8_000,
  error: 10_000,
};

/** How the provider paces message toasts (`<NotificationsProvider toastQueue={…}>`). */
export interface ToastQueueOptions {
  /** Most notification toasts on screen at once (1–15). Default 5. */
  maxVisible?: number;
  /** Time on screen (ms) of each toast while others wait. Default 2000. */
  backlogDurationMs?: number;
}

export const DEFAULT_TOAST_QUEUE: Readonly<Required<ToastQueueOptions>> = Object.freeze({ maxVisible: 5, backlogDurationMs: 2_000 });

/** react-hot-toast id of the "+N more" indicator. */
export const BACKLOG_TOAST_ID = "notification-backlog";

/** react-hot-toast keeps 20; stay well below it so the app's own toasts and fading ones fit too. */
const MAX_VISIBLE_LIMIT = 15;

function invalid(field: string, problem: string): never {
  throw new InvalidNotificationError("INVALID_ARGUMENT", `Invalid toastQueue.${field}: ${problem}.`);
}

/**
 * Applies defaults and refuses nonsense, so a typo fails at once instead of hiding toasts.
 *
 * @example
 * resolveToastQueueOptions({ maxVisible: 3 }) // { maxVisible: 3, backlogDurationMs: 2000 }
 */
export function resolveToastQueueOptions(options: ToastQueueOptions = {}): Required<ToastQueueOptions> {
  const maxVisible = options.maxVisible ?? DEFAULT_TOAST_QUEUE.maxVisible;
  const backlogDurationMs = options.backlogDurationMs ?? DEFAULT_TOAST_QUEUE.backlogDurationMs;
  if (!Number.isSafeInteger(maxVisible) || maxVisible < 1 || maxVisible > MAX_VISIBLE_LIMIT) invalid("maxVisible", `must be a whole number from 1 to ${MAX_VISIBLE_LIMIT}`);
  if (!Number.isFinite(backlogDurationMs) || backlogDurationMs <= 0) invalid("backlogDurationMs", "must be a positive number of ms");
  return { maxVisible, backlogDurationMs };
}

/**
 * Human text for a state.
 *
 * @example
 * describeConnectionState({ status: "reconnecting", attempt: 2, delayMs: 2000 }) // "Reconnecting (attempt 2)…"
 */
export function describeConnectionState(state: ConnectionState): string {
  switch (state.status) {
    case "idle":
      return "Not connected";
    case "connecting":
      return "Connecting…";
    case "open":
      return "Live";
    case "reconnecting":
      return `Reconnecting (attempt ${state.attempt})…`;
    case "failed":
      return "Connection failed";
    case "closed":
      return "Disconnected";
  }
}
