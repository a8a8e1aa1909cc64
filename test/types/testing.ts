/**
 * Type tests of `next-channels-broadcast/testing`: the recorder an app's unit tests use.
 * Checked, never run.
 */
import type { NotificationFrame } from "next-channels-broadcast/client";
import { installRecorder, startTestGateway, type Recorder, type TestGatewayServer } from "next-channels-broadcast/testing";
import { expectType } from "./assert";

export async function recorder(): Promise<void> {
  const recorder = installRecorder({ enableAnonymous: true });
  expectType<Recorder>()(recorder);
  expectType<string[]>()(recorder.textsTo({ user: "42" }));
  expectType<NotificationFrame[]>()(recorder.sentTo("all"));
  expectType<string>()(recorder.sends[0]!.group);
  expectType<Promise<TestGatewayServer>>()(startTestGateway({ settings: { enablePageChannels: true } }));

  // @ts-expect-error "everyone" is not a target.
  recorder.sentTo("everyone");
  // @ts-expect-error what was recorded is read-only.
  recorder.sends.push({ group: "all", frame: recorder.sentTo("all")[0]! });
  // @ts-expect-error settings are typed.
  installRecorder({ enableAll: "yes" });
}
