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
 * @example
 * await signOut({ redirect: false });
 * await reauthenticateUser(session.user.id);
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
