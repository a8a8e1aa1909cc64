/**
 * Type tests of presence: `usePresence` / `<PresenceBadge>` from `next-channels-broadcast/client`
 * and the `presence` option and API from `next-channels-broadcast/node`. Checked, never run.
 */
"use client";
import { PresenceBadge, usePresence, type PresenceMember, type PresenceState } from "next-channels-broadcast/client";
import { createGateway, startNotificationsServer, type PresenceEvent, type PresenceView } from "next-channels-broadcast/node";
import { expectType } from "./assert";

export function Readers() {
  const presence = usePresence("articles-1");
  expectType<PresenceState>()(presence);
  expectType<number>()(presence.count);
  expectType<boolean>()(presence.connected);
  expectType<readonly PresenceMember[]>()(presence.members);
  // @ts-expect-error members are read-only.
  presence.members.push({ key: "k", profile: {} });
  // @ts-expect-error a channel name is a string.
  usePresence(1);
  // @ts-expect-error the channel is required.
  return <PresenceBadge label="reading" />;
}

export async function server(): Promise<void> {
  const gateway = createGateway({
    presence: {
      channels: (channel) => channel.startsWith("articles-"),
      identify: async (user) => ({ name: user.id }),
      onJoin: (event) => expectType<PresenceEvent>()(event),
    },
  });
  expectType<Promise<PresenceView>>()(gateway.presence("articles-1"));
  await startNotificationsServer({ presence: { channels: () => true } });
  // @ts-expect-error presence needs to know which channels have it.
  createGateway({ presence: { identify: () => ({}) } });
  // @ts-expect-error identify answers a profile object, not a string.
  createGateway({ presence: { channels: () => true, identify: () => "Ada" } });
}
