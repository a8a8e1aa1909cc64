"use client";
/**
 * The default look of a message: a react-hot-toast custom toast. The text is rendered as a
 * React text node only — never as HTML — so a message cannot inject markup.
 */
import type { CSSProperties, MouseEvent } from "react";
import toast from "react-hot-toast";
import type { Toast } from "react-hot-toast";
import type { Level, MessageFrame } from "../shared/protocol";
import { navigationHref, resolveNavigation } from "./navigation";
import type { NavigationTarget } from "./navigation";

/** Per-level style overrides, merged over the defaults. */
export type LevelStyles = Partial<Record<Level, CSSProperties>>;

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

const ICONS: Record<Level, string> = { info: "ℹ", success: "✓", warning: "!", error: "✕" };

const BASE_STYLE: CSSProperties = {
  display: "flex",
  alignItems: "flex-start",
  gap: "0.6rem",
  maxWidth: "24rem",
  padding: "0.75rem 0.9rem",
  border: "1px solid",
  borderRadius: "0.5rem",
  boxShadow: "0 4px 12px rgba(0, 0, 0, 0.12)",
  font: "inherit",
  lineHeight: 1.4,
  transition: "opacity 150ms ease-out",
};

const RESET_BUTTON: CSSProperties = {
  background: "none",
  border: 0,
  padding: 0,
  color: "inherit",
  font: "inherit",
  cursor: "pointer",
};

export interface NotificationToastProps {
  /** The react-hot-toast record (id, visibility). */
  toast: Pick<Toast, "id" | "visible">;
  frame: MessageFrame;
  /** Page origin the URLs are judged against. */
  origin: string;
  /** Performs a safe navigation (router push or location.assign). */
  navigate: (target: NavigationTarget) => void;
  levelStyles?: LevelStyles;
}

function isPlainLeftClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/**
 * One notification toast. Exported so apps can reuse it from their own renderer.
 *
 * @example
 * toast.custom((t) => (
 *   <NotificationToast toast={t} frame={frame} origin={location.origin} navigate={go} />
 * ));
 */
export function NotificationToast({ toast: record, frame, origin, navigate, levelStyles }: NotificationToastProps) {
  const level = frame.cssClass;
  const click = resolveNavigation(frame.clickURL, origin);
  const close = resolveNavigation(frame.closeURL, origin);
  const dismiss = () => toast.dismiss(record.id);
  const urgent = level === "error" || level === "warning";

  const onLinkClick = (event: MouseEvent<HTMLAnchorElement>) => {
    dismiss();
    // Modified clicks (new tab, new window) are the browser's job; a plain click stays in the SPA.
    if (!click || !isPlainLeftClick(event)) return;
    event.preventDefault();
    navigate(click);
  };

  const onClose = () => {
    dismiss();
    if (close) navigate(close);
  };

  return (
    <div
      data-testid="notification-toast"
      data-level={level}
      data-notification-id={frame.id}
      data-visible={record.visible ? "true" : "false"}
      className={`ncb-toast ncb-toast--${level}`}
      role={urgent ? "alert" : "status"}
      aria-live={urgent ? "assertive" : "polite"}
      style={{ ...BASE_STYLE, ...DEFAULT_LEVEL_STYLES[level], ...levelStyles?.[level], opacity: record.visible ? 1 : 0 }}
    >
      <span aria-hidden="true" style={{ fontWeight: 700 }}>
        {ICONS[level]}
      </span>
      {click ? (
        <a
          href={navigationHref(click)}
          onClick={onLinkClick}
          data-testid="notification-toast-link"
          style={{ ...RESET_BUTTON, flex: 1, textDecoration: "underline" }}
        >
          {frame.text}
        </a>
      ) : (
        <span style={{ flex: 1 }}>{frame.text}</span>
      )}
      {frame.hideCloseOption ? null : (
        <button type="button" aria-label="Dismiss notification" onClick={onClose} style={{ ...RESET_BUTTON, fontSize: "1.1em" }}>
          ×
        </button>
      )}
    </div>
  );
}
