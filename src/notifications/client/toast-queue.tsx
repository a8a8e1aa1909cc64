"use client";
/**
 * Paces message toasts so a burst renders instead of vanishing. react-hot-toast keeps at most 20
 * toasts and silently drops the oldest: a tab opened to a backlog of 80 replayed messages showed
 * 21. This queue keeps at most `maxVisible` notification toasts on screen, shows the next one when
 * one leaves (dismissed, timed out, or removed), shortens the time on screen while others wait —
 * 80 waiting drain in about half a minute — and shows a compact "+N more" while anything waits.
 *
 * Only what is drawn is paced: every message reaches `useNotifications` listeners at once.
 * A toast is shown once: an id already on screen or waiting is not queued again.
 */
import { useEffect } from "react";
import type { ReactElement, ReactNode } from "react";
import toast from "react-hot-toast";
import type { Toast } from "react-hot-toast";
import { InvalidNotificationError } from "../shared/errors";

/** How the provider paces message toasts (`<NotificationsProvider toastQueue={…}>`). */
export interface ToastQueueOptions {
  /** Most notification toasts on screen at once (1–15). Default 5. */
  maxVisible?: number;
  /** Time on screen (ms) of each toast while others wait. Default 2000. */
  backlogDurationMs?: number;
}

/** One toast to show. */
export interface QueuedToast {
  /** react-hot-toast id. A toast whose id is on screen or waiting is ignored. Default: a fresh id. */
  id?: string;
  /** Time on screen (ms) when nothing waits. */
  durationMs: number;
  /** The toast's content; `record` is react-hot-toast's (id, visibility). */
  render(record: Toast): ReactElement;
}

export interface ToastQueue {
  /** Shows `item` now if fewer than `maxVisible` are on screen, else when its turn comes. */
  show(item: QueuedToast): void;
  /** Toasts of this queue on screen now. */
  readonly visible: number;
  /** Toasts waiting for a place. */
  readonly waiting: number;
  /** Drops what waits and the "+N more" indicator (toasts on screen finish on their own). */
  dispose(): void;
}

export const DEFAULT_TOAST_QUEUE: Readonly<Required<ToastQueueOptions>> = Object.freeze({ maxVisible: 5, backlogDurationMs: 2_000 });

/** react-hot-toast id of the "+N more" indicator. */
export const BACKLOG_TOAST_ID = "notification-backlog";

/** react-hot-toast keeps 20; stay well below it so the app's own toasts and fading ones fit too. */
const MAX_VISIBLE_LIMIT = 15;
/** Grace after a toast's time for it to have been drawn at all (no `<Toaster>` mounted: never). */
const MOUNT_GRACE_MS = 1_000;

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

/** Tells the queue when its toast was drawn and when it left the screen, however it left. */
function Tracked({ visible, onMount, onHidden, children }: { visible: boolean; onMount: () => () => void; onHidden: () => void; children: ReactNode }) {
  useEffect(() => {
    if (!visible) onHidden();
  }, [visible, onHidden]);
  useEffect(() => onMount(), [onMount]);
  return children;
}

/** The compact "+N more" shown while toasts wait. */
function BacklogIndicator({ count }: { count: number }) {
  return (
    <div
      data-testid="notification-backlog"
      data-count={count}
      role="status"
      aria-live="polite"
      className="ncb-toast-backlog"
      style={{ padding: "0.25rem 0.6rem", borderRadius: "999px", background: "#1f2937", color: "#f9fafb", fontSize: "0.8rem", fontVariantNumeric: "tabular-nums" }}
    >
      +{count} more
    </div>
  );
}

interface Shown {
  readonly item: QueuedToast;
  readonly id: string;
  duration: number;
  mounted: number;
  everMounted: boolean;
  readonly onMount: () => () => void;
  readonly onHidden: () => void;
  deadline: ReturnType<typeof setTimeout> | null;
}

/**
 * Creates a queue. The provider makes one; a custom `message` renderer can reach it through
 * `RenderContext.toasts` (that is what `renderMessageToast` does).
 *
 * @example
 * const queue = createToastQueue({ maxVisible: 5 });
 * queue.show({ id: "notification-17", durationMs: 5000, render: (record) => <NotificationToast toast={record} … /> });
 */
export function createToastQueue(options: ToastQueueOptions = {}): ToastQueue {
  const { maxVisible, backlogDurationMs } = resolveToastQueueOptions(options);
  const shown = new Map<string, Shown>();
  const waiting: { id: string; item: QueuedToast }[] = [];
  const waitingIds = new Set<string>();
  let counter = 0;
  let indicator = false;

  const place = (entry: Shown) => {
    toast.custom(
      (record) => (
        <Tracked visible={record.visible} onMount={entry.onMount} onHidden={entry.onHidden}>
          {entry.item.render(record)}
        </Tracked>
      ),
      { id: entry.id, duration: entry.duration },
    );
  };

  const left = (entry: Shown) => {
    if (shown.get(entry.id) !== entry) return;
    shown.delete(entry.id);
    if (entry.deadline !== null) clearTimeout(entry.deadline);
    pump();
  };

  const display = (id: string, item: QueuedToast) => {
    const duration = waiting.length > 0 ? Math.min(item.durationMs, backlogDurationMs) : item.durationMs;
    const entry: Shown = {
      item,
      id,
      duration,
      mounted: 0,
      everMounted: false,
      onMount: () => {
        entry.mounted += 1;
        entry.everMounted = true;
        return () => {
          entry.mounted -= 1;
          // StrictMode unmounts and remounts at once; only an unmount that stays is a departure.
          setTimeout(() => {
            if (entry.mounted === 0) left(entry);
          }, 0);
        };
      },
      onHidden: () => left(entry),
      deadline: null,
    };
    // Without a mounted <Toaster> nothing is ever drawn; do not hold the queue forever for it.
    entry.deadline = setTimeout(() => {
      entry.deadline = null;
      if (!entry.everMounted) left(entry);
    }, item.durationMs + MOUNT_GRACE_MS);
    shown.set(id, entry);
    place(entry);
  };

  /** While toasts wait, those on screen make room sooner. */
  const shorten = () => {
    for (const entry of shown.values()) {
      if (entry.duration <= backlogDurationMs) continue;
      entry.duration = backlogDurationMs;
      place(entry); // same id: react-hot-toast updates it in place and restarts its timer
    }
  };

  let indicatorPending = false;
  /** Draws "+N more" (or takes it away) once per tick: a burst of 80 arrivals is one update, not 80. */
  const updateIndicator = () => {
    if (indicatorPending) return;
    indicatorPending = true;
    queueMicrotask(() => {
      indicatorPending = false;
      if (waiting.length > 0) {
        indicator = true;
        const count = waiting.length;
        toast.custom(() => <BacklogIndicator count={count} />, { id: BACKLOG_TOAST_ID, duration: Infinity });
      } else if (indicator) {
        indicator = false;
        toast.dismiss(BACKLOG_TOAST_ID);
      }
    });
  };

  function pump(): void {
    while (shown.size < maxVisible && waiting.length > 0) {
      const next = waiting.shift()!;
      waitingIds.delete(next.id);
      display(next.id, next.item);
    }
    updateIndicator();
  }

  return {
    show(item) {
      const id = item.id ?? `notification-queued-${(counter += 1)}`;
      if (shown.has(id) || waitingIds.has(id)) return;
      if (shown.size < maxVisible && waiting.length === 0) {
        display(id, item);
        return;
      }
      waiting.push({ id, item });
      waitingIds.add(id);
      shorten();
      updateIndicator();
    },
    get visible() {
      return shown.size;
    },
    get waiting() {
      return waiting.length;
    },
    dispose() {
      waiting.length = 0;
      waitingIds.clear();
      updateIndicator();
    },
  };
}
