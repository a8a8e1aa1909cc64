/**
 * The home page's send form, on the server: validate the fields, check the sender still exists
 * and what they may do (src/demo/send-policy.ts), take a token from their send budget, send.
 * Kept apart from the server action (src/app/actions.ts) so it runs under test without Next.
 */
import { z } from "zod";
import { findUserById } from "@/db";
import { notify, NotificationError, type Payload } from "next-channels-broadcast/server";
import { demoLimiters, takeSendToken, type DemoLimiters } from "./rate-limit";
import { isAdmin } from "./roles";
import { AUDIENCES, decideSend, KINDS } from "./send-policy";
import { getDemoSettings, type DemoSettings } from "./settings";

export interface SendOutcome {
  status: "sent" | "noop" | "error";
  message: string;
}

const LEVELS = ["info", "success", "warning", "error"] as const;

/** Empty form fields become undefined. */
const optionalText = z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), z.string().max(10_000).optional());

const sendSchema = z
  .object({
    audience: z.enum(AUDIENCES, { error: "Choose an audience." }),
    target: optionalText,
    kind: z.enum(KINDS, { error: "Choose a kind: message, redirect or progress." }),
    text: optionalText,
    level: z.preprocess((value) => (value === "" || value == null ? "info" : value), z.enum(LEVELS, { error: "Choose a level." })),
    url: optionalText,
    percent: optionalText,
    clickURL: optionalText,
  })
  .superRefine((data, ctx) => {
    const needsTarget = data.audience === "user" || data.audience === "object" || data.audience === "channel";
    if (needsTarget && !data.target) {
      const what = data.audience === "user" ? "a username" : data.audience === "object" ? "an object channel such as articles-1" : "a channel name";
      ctx.addIssue({ code: "custom", path: ["target"], message: `Enter ${what} for the ${data.audience} audience.` });
    }
    if (data.kind === "message" && !data.text) ctx.addIssue({ code: "custom", path: ["text"], message: "Enter the message text." });
    if (data.kind === "redirect" && !data.url) ctx.addIssue({ code: "custom", path: ["url"], message: "Enter the URL to redirect to." });
    if (data.kind === "progress" && !data.percent) ctx.addIssue({ code: "custom", path: ["percent"], message: "Enter a percentage (0–100)." });
  });

/** The form's fields as submitted (strings, or missing). */
export type SendFields = Partial<Record<"audience" | "target" | "kind" | "text" | "level" | "url" | "percent" | "clickURL", unknown>>;

export interface SendContext {
  settings: Pick<DemoSettings, "adminUsernames">;
  limiters: Pick<DemoLimiters, "sends">;
}

/**
 * Sends what the form describes as the user `senderId`, if they may. Never throws for bad input:
 * the outcome's message says what went wrong, fit to show to the sender.
 *
 * @example
 * const outcome = await sendFromForm(session.user.id, { audience: "user", target: "bob", kind: "message", text: "Hi" });
 * // { status: "sent", message: "Sent to user:…" } or { status: "error", message: "You can send to the user audience only to yourself." }
 */
export async function sendFromForm(senderId: string, fields: SendFields, context: SendContext = { settings: getDemoSettings(), limiters: demoLimiters() }): Promise<SendOutcome> {
  // Read the account now, not from the session: a deleted user or a changed role counts at once.
  const sender = await findUserById(senderId);
  if (!sender) return { status: "error", message: "Sign in to send notifications." };

  const parsed = sendSchema.safeParse(fields);
  if (!parsed.success) return { status: "error", message: parsed.error.issues[0]?.message ?? "Invalid form." };
  const data = parsed.data;

  // Before the permission check, so refused attempts (e.g. guessing usernames) are limited too.
  const tooFast = takeSendToken(context.limiters, sender.id);
  if (tooFast) return { status: "error", message: tooFast };

  const decision = await decideSend(
    { id: sender.id, username: sender.username, admin: isAdmin(sender, context.settings) },
    { audience: data.audience, target: data.target, kind: data.kind, clickURL: data.kind === "message" ? data.clickURL : undefined },
  );
  if (!decision.allowed) return { status: "error", message: decision.message };

  let payload: Payload;
  if (data.kind === "message") payload = { message: data.text ?? "", level: data.level, ...(data.clickURL ? { clickURL: data.clickURL } : {}) };
  else if (data.kind === "redirect") payload = { redirect: data.url ?? "" };
  else payload = { progress: data.percent ?? "" };

  try {
    const result = await notify(decision.target, payload);
    if (result.sent) return { status: "sent", message: `Sent to ${result.group}` };
    return { status: "noop", message: `No-op: ${result.setting} is off` };
  } catch (error) {
    if (error instanceof NotificationError) return { status: "error", message: error.message };
    console.error("[demo] send failed", error);
    return { status: "error", message: "Could not send: unexpected server error (see the server log)." };
  }
}
