"use client";
/**
 * Toast preferences: a user mutes levels (`info`) or channels (`all`, `articles-*`) for toasts.
 * A muted message is still delivered: listeners get it, and a user's message still lands in the
 * notification center (`useInbox`) and its unread count. Only the toast (and its chime) is skipped.
 *
 * Kept in the browser's `localStorage` by default (one key, shared by the tabs of the browser and
 * followed live through the `storage` event); an app that stores them per user on its server
 * passes them to `<NotificationsProvider toastPreferences={…}>` instead.
 */
import { useSyncExternalStore } from "react";
import { LEVELS } from "../shared/protocol.js";
import type { Level, MessageFrame } from "../shared/protocol.js";

/** What is muted. Channels are public audience names (`all`, `authenticated`, `user:7`, `articles-42`); a trailing `*` matches a prefix (`articles-*`). */
export interface ToastPreferences {
  mutedLevels: readonly Level[];
  mutedChannels: readonly string[];
}

/** Nothing muted. */
export const DEFAULT_TOAST_PREFERENCES: ToastPreferences = Object.freeze({ mutedLevels: Object.freeze([]) as readonly Level[], mutedChannels: Object.freeze([]) as readonly string[] });

/** The `localStorage` key the preferences live under. */
export const TOAST_PREFERENCES_KEY = "ncb:toast-preferences";

/** Most muted channels kept (a bound on what a page stores and checks per message). */
const MAX_MUTED_CHANNELS = 100;

function channelMatches(pattern: string, channel: string): boolean {
  return pattern.endsWith("*") ? channel.startsWith(pattern.slice(0, -1)) : channel === pattern;
}

/**
 * True when `frame`'s toast is muted by `preferences` (its level, or its channel).
 *
 * @example
 * isToastMuted({ ...frame, cssClass: "info" }, { mutedLevels: ["info"], mutedChannels: [] })              // true
 * isToastMuted({ ...frame, channel: "articles-4" }, { mutedLevels: [], mutedChannels: ["articles-*"] })  // true
 */
export function isToastMuted(frame: Pick<MessageFrame, "cssClass" | "channel">, preferences: ToastPreferences): boolean {
  if (preferences.mutedLevels.includes(frame.cssClass)) return true;
  const channel = frame.channel;
  return channel !== undefined && preferences.mutedChannels.some((pattern) => channelMatches(pattern, channel));
}

/** Reads untrusted input (storage, an app's JSON) into preferences, dropping what is not understood. */
export function parseToastPreferences(value: unknown): ToastPreferences {
  if (typeof value !== "object" || value === null) return DEFAULT_TOAST_PREFERENCES;
  const { mutedLevels, mutedChannels } = value as Record<string, unknown>;
  const levels = Array.isArray(mutedLevels) ? LEVELS.filter((level) => mutedLevels.includes(level)) : [];
  const channels = Array.isArray(mutedChannels)
    ? [...new Set(mutedChannels.filter((name): name is string => typeof name === "string" && name.length > 0 && name.length <= 130))].slice(0, MAX_MUTED_CHANNELS)
    : [];
  return levels.length === 0 && channels.length === 0 ? DEFAULT_TOAST_PREFERENCES : { mutedLevels: levels, mutedChannels: channels };
}

/* ------------------------------------------------------------------ the browser's stored copy */

const listeners = new Set<() => void>();
let cachedRaw: string | null | undefined;
let cached: ToastPreferences = DEFAULT_TOAST_PREFERENCES;

function storage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null; // blocked (privacy settings, sandboxed frames)
  }
}

/** The stored preferences (the same object until they change). */
export function readStoredToastPreferences(): ToastPreferences {
  const raw = storage()?.getItem(TOAST_PREFERENCES_KEY) ?? null;
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    try {
      cached = raw === null ? DEFAULT_TOAST_PREFERENCES : parseToastPreferences(JSON.parse(raw));
    } catch {
      cached = DEFAULT_TOAST_PREFERENCES;
    }
  }
  return cached;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab of the browser changed them.
  const onStorage = (event: StorageEvent) => {
    if (event.key === TOAST_PREFERENCES_KEY || event.key === null) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

/**
 * Stores new preferences for this browser (every tab follows).
 *
 * @example
 * writeStoredToastPreferences({ mutedLevels: ["info"], mutedChannels: ["all"] });
 */
export function writeStoredToastPreferences(preferences: ToastPreferences): void {
  const clean = parseToastPreferences(preferences);
  try {
    storage()?.setItem(TOAST_PREFERENCES_KEY, JSON.stringify(clean));
  } catch {
    // Full or blocked storage: the change holds for this page only.
    cachedRaw = JSON.stringify(clean);
    cached = clean;
  }
  for (const listener of [...listeners]) listener();
}

export interface ToastPreferencesControls {
  preferences: ToastPreferences;
  /** Mutes (true) or unmutes a level's toasts. */
  setLevelMuted(level: Level, muted: boolean): void;
  /** Mutes (true) or unmutes a channel's toasts (a name, or a prefix ending in `*`). */
  setChannelMuted(channel: string, muted: boolean): void;
  /** Replaces them all. */
  setPreferences(preferences: ToastPreferences): void;
}

/**
 * The browser's stored toast preferences, live across its tabs, with setters for a settings form.
 * The provider applies them unless it is given `toastPreferences`.
 *
 * @example
 * const { preferences, setLevelMuted } = useToastPreferences();
 * <input type="checkbox" checked={preferences.mutedLevels.includes("info")} onChange={(e) => setLevelMuted("info", e.target.checked)} />
 */
export function useToastPreferences(): ToastPreferencesControls {
  const preferences = useSyncExternalStore(subscribe, readStoredToastPreferences, () => DEFAULT_TOAST_PREFERENCES);
  const toggle = <T,>(list: readonly T[], value: T, on: boolean) => (on ? [...new Set([...list, value])] : list.filter((item) => item !== value));
  return {
    preferences,
    setLevelMuted: (level, muted) => writeStoredToastPreferences({ ...readStoredToastPreferences(), mutedLevels: toggle(readStoredToastPreferences().mutedLevels, level, muted) }),
    setChannelMuted: (channel, muted) => writeStoredToastPreferences({ ...readStoredToastPreferences(), mutedChannels: toggle(readStoredToastPreferences().mutedChannels, channel, muted) }),
    setPreferences: writeStoredToastPreferences,
  };
}
