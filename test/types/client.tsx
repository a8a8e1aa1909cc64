/**
 * Type tests of `next-channels-broadcast/client`: the hooks' return types and their misuse.
 * Checked by `tsc -p test/types/tsconfig.json`, never run (and never rendered).
 */
"use client";
import {
  NotificationsProvider,
  ProgressBar,
  useConnectionState,
  useNotifications,
  useProgress,
  useSubscribedChannels,
  useSubscription,
  type ChannelSubscriptionState,
  type ConnectionState,
  type NotificationFrame,
  type ProgressInfo,
} from "next-channels-broadcast/client";
import { expectType } from "./assert";

export function Hooks() {
  const progress = useProgress("jobs-7");
  expectType<ProgressInfo | null>()(progress);
  expectType<ProgressInfo | null>()(useProgress());
  expectType<ConnectionState>()(useConnectionState());
  expectType<readonly string[]>()(useSubscribedChannels());
  useNotifications((frame) => expectType<NotificationFrame>()(frame));
  const subscription = useSubscription("jobs-7");
  expectType<ChannelSubscriptionState>()(subscription);
  expectType<"idle" | "subscribing" | "subscribed" | "refused" | "error">()(subscription.status);

  // @ts-expect-error useProgress answers null until progress arrives: check before reading.
  const percent: number = progress.percent;
  // @ts-expect-error a channel name is a string.
  useProgress(7);
  // @ts-expect-error percent is a number, not a label.
  const label: string = progress?.percent ?? "";
  // @ts-expect-error useProgress's result is read-only data, not a setter.
  progress?.set(50);

  return (
    <NotificationsProvider userId={null}>
      <ProgressBar channel="jobs-7" />
      {percent}
      {label}
    </NotificationsProvider>
  );
}
