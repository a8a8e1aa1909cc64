"use client";
import type { CSSProperties } from "react";
import { describeConnectionState } from "./display-defaults.js";
import { useConnectionState } from "./hooks.js";
import type { ConnectionState, ConnectionStatus } from "./socket.js";

const COLORS: Record<ConnectionStatus, string> = {
  idle: "#9ca3af",
  connecting: "#f59e0b",
  open: "#16a34a",
  reconnecting: "#f59e0b",
  failed: "#dc2626",
  closed: "#9ca3af",
};


export interface ConnectionIndicatorProps {
  className?: string;
  style?: CSSProperties;
  /** Replace the text shown for a state. */
  describe?: (state: ConnectionState) => string;
}

/**
 * A dot and a word for the socket's state.
 *
 * @example
 * <header>My app <ConnectionIndicator /></header>
 */
export function ConnectionIndicator({ className, style, describe = describeConnectionState }: ConnectionIndicatorProps) {
  const state = useConnectionState();
  return (
    <span
      data-testid="connection-state"
      data-state={state.status}
      role="status"
      aria-live="polite"
      className={className}
      style={{ display: "inline-flex", alignItems: "center", gap: "0.4rem", ...style }}
    >
      <span
        aria-hidden="true"
        style={{ width: "0.6rem", height: "0.6rem", borderRadius: "50%", background: COLORS[state.status], display: "inline-block" }}
      />
      {describe(state)}
    </span>
  );
}
