"use server";
/**
 * Server actions of the demo home page: send a notification to any audience, sign out.
 */
import { redirect } from "next/navigation";
import { after } from "next/server";
import { z } from "zod";
import { auth, signOut } from "@/auth";
import { findUserByUsername } from "@/db";
import { notify, NotificationError, reauthenticateUser, type Payload, type Target } from "next-channels-broadcast/server";

export interface SendState {
  status: "idle" | "sent" | "noop" | "error";
  message: string;
  /** Changes on every submission so the UI can re-announce identical results. */
  at: number;
}

const AUDIENCES = ["all", "authenticated", "anonymous", "user", "object", "channel"] as const;
const KINDS = ["message", "redirect", "progress"] as const;
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

function field(formData: FormData, name: string): FormDataEntryValue | undefined {
  return formData.get(name) ?? undefined;
}

/** Sends what the home page's form describes. Requires a session. */
export async function sendNotification(_previous: SendState, formData: FormData): Promise<SendState> {
  const at = Date.now();
  const session = await auth();
  if (!session?.user?.id) return { status: "error", message: "Sign in to send notifications.", at };

  const parsed = sendSchema.safeParse({
    audience: field(formData, "audience"),
    target: field(formData, "target"),
    kind: field(formData, "kind"),
    text: field(formData, "text"),
    level: field(formData, "level"),
    url: field(formData, "url"),
    percent: field(formData, "percent"),
    clickURL: field(formData, "clickURL"),
  });
  if (!parsed.success) return { status: "error", message: parsed.error.issues[0]?.message ?? "Invalid form.", at };
  const data = parsed.data;

  let target: Target;
  switch (data.audience) {
    case "user": {
      const user = await findUserByUsername(data.target ?? "");
      if (!user) return { status: "error", message: `Unknown user ${JSON.stringify(data.target)}.`, at };
      target = { user: user.id };
      break;
    }
    case "object":
      target = { object: data.target ?? "" };
      break;
    case "channel":
      target = { channel: data.target ?? "" };
      break;
    default:
      target = data.audience;
  }

  let payload: Payload;
  if (data.kind === "message") payload = { message: data.text ?? "", level: data.level, ...(data.clickURL ? { clickURL: data.clickURL } : {}) };
  else if (data.kind === "redirect") payload = { redirect: data.url ?? "" };
  else payload = { progress: data.percent ?? "" };

  try {
    const result = await notify(target, payload);
    if (result.sent) return { status: "sent", message: `Sent to ${result.group}`, at };
    return { status: "noop", message: `No-op: ${result.setting} is off`, at };
  } catch (error) {
    if (error instanceof NotificationError) return { status: "error", message: error.message, at };
    console.error("[demo] send failed", error);
    return { status: "error", message: "Could not send: unexpected server error (see the server log).", at };
  }
}

/**
 * Signs out and goes home. The user's open sockets were authenticated with the old session and
 * would keep receiving that user's notifications, so they are asked to reconnect: this browser's
 * other tabs come back anonymous (or not at all when anonymous is off), the user's other devices
 * re-authenticate with their own, still valid, sessions.
 */
export async function signOutAction(): Promise<void> {
  const session = await auth();
  const userId = session?.user?.id;
  await signOut({ redirect: false });
  if (userId) {
    // After the response: by then the browser has the cookie-clearing headers, so its tabs
    // reconnect without the old session cookie.
    after(async () => {
      try {
        await reauthenticateUser(userId);
      } catch (error) {
        console.error("[demo] could not close the signed-out user's sockets", error);
      }
    });
  }
  redirect("/");
}
