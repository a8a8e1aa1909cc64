/**
 * Session changes the gateway must hear about.
 */
import { userGroup } from "../shared/channels";
import { PublishError } from "../shared/errors";
import { userIdOf, type UserRef } from "./audience";
import { CONTROL_REAUTHENTICATE, controlMessage } from "./gateway/control";
import { getRuntime } from "./runtime";

/**
 * Makes every open socket of `user`, in every server process, reconnect and authenticate
 * again. Call it after signing a user out: the signed-out browser comes back anonymous (or
 * not at all when anonymous is off), while the user's other devices, whose sessions are still
 * valid, reconnect as before and lose nothing.
 *
 * Call it inside `after()` (next/server), as `src/app/actions.ts` does, so it runs once the
 * response that clears the session cookie has been sent: the closed sockets reconnect within
 * about a second, and by then the browser must no longer have the cookie. Called before the
 * response, a tab could reconnect with the old cookie still set and be let back in as the user
 * who just signed out.
 *
 * @example
 * "use server";
 * import { after } from "next/server";
 *
 * export async function signOutAction() {
 *   const userId = (await auth())?.user?.id;
 *   await signOut({ redirect: false });
 *   if (userId) after(() => reauthenticateUser(userId).catch((error) => console.error(error)));
 *   redirect("/");
 * }
 */
export async function reauthenticateUser(user: UserRef): Promise<void> {
  const runtime = getRuntime();
  const group = userGroup(userIdOf(user));
  try {
    await runtime.layer.publish(group, controlMessage(CONTROL_REAUTHENTICATE));
  } catch (error) {
    throw new PublishError(`Could not ask ${group} to re-authenticate through the ${runtime.layer.kind} layer.`, { cause: error });
  }
}
