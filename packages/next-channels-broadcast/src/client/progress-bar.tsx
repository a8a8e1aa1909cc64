"use client";
import type { CSSProperties } from "react";
import { useProgress } from "./hooks.js";

export interface ProgressBarProps {
  /** Channel to follow; omitted → whichever channel reported last. */
  channel?: string;
  /** Accessible name. Default "Progress". */
  label?: string;
  /** Render nothing until progress arrives. Default false (an empty bar at 0%). */
  hideWhenIdle?: boolean;
  className?: string;
  style?: CSSProperties;
}

const TRACK: CSSProperties = {
  position: "relative",
  height: "1.25rem",
  borderRadius: "0.375rem",
  background: "#e5e7eb",
  overflow: "hidden",
};
const FILL: CSSProperties = { position: "absolute", inset: 0, right: "auto", background: "#2563eb", transition: "width 200ms ease-out" };
const TEXT: CSSProperties = {
  position: "relative",
  display: "block",
  textAlign: "center",
  fontSize: "0.75rem",
  lineHeight: "1.25rem",
  fontVariantNumeric: "tabular-nums",
  color: "#111827",
};

/**
 * An accessible progress bar fed by progress notifications.
 *
 * @example
 * <ProgressBar channel={job.channel} label="Import progress" />
 */
export function ProgressBar({ channel, label = "Progress", hideWhenIdle = false, className, style }: ProgressBarProps) {
  const progress = useProgress(channel);
  if (progress === null && hideWhenIdle) return null;
  const percent = progress?.percent ?? 0;
  const text = progress?.label ?? "0%";
  return (
    <div
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={text}
      aria-label={label}
      data-testid="progress-bar"
      data-channel={progress?.channel ?? channel}
      className={className}
      style={{ ...TRACK, ...style }}
    >
      <div style={{ ...FILL, width: `${percent}%` }} />
      <span style={TEXT}>{text}</span>
    </div>
  );
}
