"use client";
/**
 * The demo's toast preferences: mute levels or channels for toasts. Muted messages still arrive
 * in the bell and the history below; only the toast is skipped. Stored in this browser (every
 * tab follows at once) through the kit's `useToastPreferences`.
 */
import { useToastPreferences } from "next-channels-broadcast/client";

const LEVELS = ["info", "success", "warning", "error"] as const;
const CHANNELS = [
  { name: "all", label: "Announcements to everyone" },
  { name: "articles-*", label: "Comments on articles I read" },
] as const;

export function ToastPreferencesForm() {
  const { preferences, setLevelMuted, setChannelMuted } = useToastPreferences();
  return (
    <fieldset className="toast-preferences" data-testid="toast-preferences">
      <legend>Toasts</legend>
      <p className="hint">Muted notifications still appear in the bell and in the list below.</p>
      <div className="row">
        <span>Mute levels:</span>
        {LEVELS.map((level) => (
          <label key={level}>
            <input type="checkbox" name={`mute-level-${level}`} checked={preferences.mutedLevels.includes(level)} onChange={(event) => setLevelMuted(level, event.target.checked)} /> {level}
          </label>
        ))}
      </div>
      <div className="row">
        <span>Mute:</span>
        {CHANNELS.map((channel) => (
          <label key={channel.name}>
            <input type="checkbox" name={`mute-channel-${channel.name}`} checked={preferences.mutedChannels.includes(channel.name)} onChange={(event) => setChannelMuted(channel.name, event.target.checked)} /> {channel.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
