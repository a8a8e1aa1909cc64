"use server";
/**
 * Server actions of the demo home page: send a notification (within what the account may do),
 * sign out (ending this session everywhere, sockets included), delete one's account.
 */
import { redirect } from "next/navigation";
import { after } from "next/server";
import { auth, signOut } from "@/auth";
import { deleteUser } from "@/db";
import { sendFromForm, type SendFields } from "@/demo/send";
import { reauthenticateUser, revokeSession, revokeUserSessions } from "next-channels-broadcast/server";

export interface SendState {
  status: "idle" | "sent" | "noop" | "error";
  message: string;
  /** Changes on every submission so the UI can re-announce identical results. */
  at: number;
}

const FIELDS = ["audience", "target", "kind", "text", "level", "url", "percent", "clickURL"] as const;

/**
 * Sends what the home page's form describes. Requires a session; what may be sent to whom is
 * decided by src/demo/send-policy.ts, whatever the form offered.
 */
export async function sendNotification(_previous: SendState, formData: FormData): Promise<SendState> {
  const at = Date.now();
  const session = await auth();
  if (!session?.user?.id) return { status: "error", message: "Sign in to send notifications.", at };
  const fields: SendFields = {};
  for (const name of FIELDS) fields[name] = formData.get(name) ?? undefined;
  return { ...(await sendFromForm(session.user.id, fields)), at };
}

/**
 * Signs out and goes home, and revokes this session: its sockets (every tab of this browser) are
 * closed at once, and a copy of its cookie is refused from now on, by pages (see the jwt callback
 * in src/auth.ts) and by the websocket gateway alike. The user's other devices keep their own
 * sessions and stay connected.
 */
export async function signOutAction(): Promise<void> {
  const session = await auth();
  const userId = session?.user?.id;
  const sessionId = session?.sessionId;
  await signOut({ redirect: false });
  if (userId) {
    // After the response: by then the browser has the cookie-clearing headers, so the tabs whose
    // sockets are closed reconnect without the old session cookie (see sessions.ts).
    after(async () => {
      try {
        // A session from before session ids (no `sid`) cannot be revoked alone: make every
        // socket of the user authenticate again instead.
        if (sessionId) await revokeSession({ userId, sessionId });
        else await reauthenticateUser(userId);
      } catch (error) {
        console.error("[demo] could not revoke the signed-out session", error);
      }
    });
  }
  redirect("/");
}

export interface DeleteAccountState {
  error: string | null;
  /** Changes on every submission so the UI can re-announce identical results. */
  at: number;
}

/**
 * Deletes the signed-in user's account after they typed their username to confirm, signs them out
 * and revokes every session they have: all their sockets close, and no copy of any of their
 * cookies opens a page or a socket again.
 */
export async function deleteAccountAction(_previous: DeleteAccountState, formData: FormData): Promise<DeleteAccountState> {
  const at = Date.now();
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) return { error: "Sign in to delete your account.", at };
  const confirmation = formData.get("confirm");
  if (typeof confirmation !== "string" || confirmation.trim().toLowerCase() !== session.user.name) {
    return { error: `Type your username (${session.user.name}) to confirm.`, at };
  }
  await deleteUser(userId);
  await signOut({ redirect: false });
  after(async () => {
    try {
      await revokeUserSessions(userId);
    } catch (error) {
      console.error("[demo] could not revoke the deleted user's sessions", error);
    }
  });
  redirect("/");
}
