/**
 * Presence as a client sees it: the state after applying a socket's presence frames in order,
 * and a wait for a state that matches (awaiting frames, no polling).
 */
import type { PresenceMember } from "../../packages/next-channels-broadcast/src/shared/presence";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import type { TestClient } from "./gateway-server";

export interface SeenPresence {
  count: number;
  members: Map<string, PresenceMember>;
  more: boolean;
  /** Presence frames of the channel applied so far. */
  frames: number;
}

/** Applies `frames` (up to and including `upTo`) to an empty state for `channel`. */
export function presenceState(frames: readonly ServerFrame[], channel: string, upTo = frames.length - 1): SeenPresence {
  const state: SeenPresence = { count: 0, members: new Map(), more: false, frames: 0 };
  for (const frame of frames.slice(0, upTo + 1)) {
    if ((frame.type !== "presence" && frame.type !== "presence_diff") || frame.channel !== channel) continue;
    state.frames += 1;
    state.count = frame.count;
    state.more = frame.more;
    if (frame.type === "presence") state.members = new Map(frame.members.map((member) => [member.key, member]));
    else {
      for (const key of frame.left) state.members.delete(key);
      for (const member of frame.joined) state.members.set(member.key, member);
    }
  }
  return state;
}

/** Resolves with the first state of `channel` on `client` that satisfies `predicate`. */
export async function presenceUntil(client: TestClient, channel: string, predicate: (state: SeenPresence) => boolean, timeoutMs = 5_000): Promise<SeenPresence> {
  const frame = await client.next((candidate) => {
    if ((candidate.type !== "presence" && candidate.type !== "presence_diff") || candidate.channel !== channel) return false;
    return predicate(presenceState(client.frames, channel, client.frames.indexOf(candidate)));
  }, timeoutMs);
  return presenceState(client.frames, channel, client.frames.indexOf(frame));
}

/** Names of the listed members (their `profile.name`), sorted. */
export function names(state: SeenPresence): string[] {
  return [...state.members.values()].map((member) => String(member.profile.name)).sort();
}
