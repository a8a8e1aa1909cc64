/**
 * A recording runtime for an app's unit tests: install it, call the server action under test,
 * and assert what it sent to whom — no server, no sockets, no database.
 */
import { resolveTarget, type Target } from "../server/audience.js";
import type { ChannelLayer } from "../server/layer/types.js";
import { installRuntime, uninstallRuntime, type NotificationsRuntime } from "../server/runtime.js";
import { readSettings, type NotificationSettings } from "../server/settings.js";
import { parseControlMessage } from "../server/gateway/control.js";
import type { NotificationFrame } from "../shared/protocol.js";

/** One recorded send: the group it went to and the frame, parsed. */
export interface RecordedSend {
  group: string;
  frame: NotificationFrame;
}

export interface Recorder {
  /** Every send since install (or the last `clear()`), in order. */
  readonly sends: readonly RecordedSend[];
  /** The frames sent to `target` (the same targets `notify` takes: "all", `{ user }`, `{ channel }`, …). */
  sentTo(target: Target): NotificationFrame[];
  /** The message texts sent to `target`. */
  textsTo(target: Target): string[];
  /** Forgets what was recorded. */
  clear(): void;
  /** Removes the recorder; the send API then has no runtime again. */
  uninstall(): void;
}

/**
 * Installs a runtime whose layer records instead of delivering. Gates and validation behave as
 * in production (a send to a disabled audience records nothing and returns `false`).
 *
 * @example
 * import { installRecorder } from "next-channels-broadcast/testing";
 * const recorder = installRecorder();
 * await finishImport(alice.id);                 // the server action under test
 * expect(recorder.textsTo({ user: alice.id })).toEqual(["Your import finished!"]);
 * recorder.uninstall();
 */
export function installRecorder(settings: Partial<NotificationSettings> = {}): Recorder {
  const sends: RecordedSend[] = [];
  const layer: ChannelLayer = {
    kind: "recorder",
    async publish(group, text) {
      if (parseControlMessage(text) !== null) return;
      sends.push({ group, frame: JSON.parse(text) as NotificationFrame });
    },
    async subscribe() {
      return () => undefined;
    },
    async close() {},
  };
  const runtime: NotificationsRuntime = installRuntime({ settings: readSettings({}, settings), layer });
  const sentTo = (target: Target) => {
    const { group } = resolveTarget(target);
    return sends.filter((send) => send.group === group).map((send) => send.frame);
  };
  return {
    sends,
    sentTo,
    textsTo: (target) => sentTo(target).flatMap((frame) => (frame.type === "message" ? [frame.text] : [])),
    clear: () => void sends.splice(0),
    uninstall: () => uninstallRuntime(runtime),
  };
}
