/**
 * Type tests of `next-channels-broadcast/server`: the send API's signatures, `notify`'s payloads
 * and options, and instances. Checked by `tsc -p test/types/tsconfig.json`, never run.
 */
import {
  createNotifications,
  defaultNotifications,
  notify,
  progressUser,
  redirectAll,
  sendToAll,
  sendToUser,
  type Notifications,
  type SendResult,
} from "next-channels-broadcast/server";
import { expectType } from "./assert";

/** What an Auth.js v5 session looks like by default: `id` may be missing. */
declare const session: { user: { id?: string; name?: string | null } };

export async function sendApi(): Promise<void> {
  // What compiles: the shortcuts answer whether they sent.
  expectType<Promise<boolean>>()(sendToAll("Deploy in 5 minutes", { level: "warning" }));
  expectType<Promise<boolean>>()(sendToUser("42", "Done", { level: "success", clickURL: "/reports/7", closeURL: null, hideCloseOption: true }));
  expectType<Promise<boolean>>()(sendToUser(42, "A numeric users.id is an id too"));
  expectType<Promise<boolean>>()(sendToUser({ id: "42" }, "A session user or a users row"));
  expectType<Promise<boolean>>()(progressUser("42", "73%"));
  expectType<Promise<boolean>>()(redirectAll("/maintenance"));
  if (session.user.id) await sendToUser(session.user.id, "Narrowed first: fine");

  // What must not.
  // @ts-expect-error "danger" is not a level (info, success, warning, error).
  await sendToAll("Hi", { level: "danger" });
  // @ts-expect-error an unknown option key is refused, not ignored.
  await sendToAll("Hi", { levle: "error" });
  // @ts-expect-error Auth.js's session.user.id may be undefined: check it before sending.
  await sendToUser(session.user.id, "Hi");
  // @ts-expect-error a user is an id (string or number) or an object with an id.
  await sendToUser(true, "Hi");
  // @ts-expect-error an object without an id is not a user.
  await sendToUser({ name: "alice" }, "Hi");
  // @ts-expect-error null is no user.
  await sendToUser(null, "Hi");
  // @ts-expect-error the text is a string.
  await sendToAll(42);
  // @ts-expect-error progress is a number or a string like "42%".
  await progressUser("42", { percent: 42 });
}

export async function notifyApi(): Promise<void> {
  expectType<Promise<SendResult>>()(notify({ user: "42" }, { message: "Import finished", level: "success" }));
  expectType<Promise<SendResult>>()(notify("all", { redirect: "/maintenance" }));
  expectType<Promise<SendResult>>()(notify({ channel: "jobs-7" }, { progress: 40 }, { idempotencyKey: "job-7-40" }));
  const result = await notify("authenticated", { message: "Hi" });
  if (result.sent) expectType<string>()(result.group);
  else expectType<string>()(result.setting);

  // @ts-expect-error "everyone" is not an audience.
  await notify("everyone", { message: "Hi" });
  // @ts-expect-error a target names one audience kind.
  await notify({ usr: "42" }, { message: "Hi" });
  // @ts-expect-error a payload is {message}, {redirect} or {progress}.
  await notify("all", { text: "Hi" });
  // @ts-expect-error "danger" is not a level.
  await notify("all", { message: "Hi", level: "danger" });
  // @ts-expect-error the idempotency key is a string.
  await notify("all", { message: "Hi" }, { idempotencyKey: 42 });
  // @ts-expect-error unknown send options are refused.
  await notify("all", { message: "Hi" }, { retries: 3 });
}

export async function instances(): Promise<void> {
  const admin = createNotifications({ settings: { enableAnonymous: false }, authorizer: (user, channel) => user !== null && channel.startsWith("admin-") });
  expectType<Notifications>()(admin);
  expectType<Notifications>()(defaultNotifications);
  expectType<Promise<boolean>>()(admin.sendToUser("42", "Hi", { level: "error" }));
  expectType<Promise<SendResult>>()(admin.notify({ object: "articles-42" }, { progress: "50%" }));
  expectType<{ path: string; anonymousEnabled: boolean }>()(admin.getClientSettings());
  expectType<string>()(admin.issueSubscriptionToken({ user: "42", channels: ["jobs-7"] }));
  expectType<(request: Request) => Promise<Response>>()(admin.createPublishHandler({ resolveUser: async () => null }));
  expectType<Promise<void>>()(admin.close());

  // @ts-expect-error an unknown option of createNotifications.
  createNotifications({ leyer: null });
  // @ts-expect-error settings are typed: enableAnonymous is a boolean.
  createNotifications({ settings: { enableAnonymous: "yes" } });
  // @ts-expect-error an unknown setting.
  createNotifications({ settings: { enableEverything: true } });
  // @ts-expect-error the instance's publish handler always sends through the instance: no `runtime` option.
  admin.createPublishHandler({ runtime: () => defaultNotifications.runtime });
  // @ts-expect-error the level is checked on instances too.
  await admin.sendToAll("Hi", { level: "fatal" });
}
