/**
 * Who is an admin in the demo: a user whose stored role is `admin` (the first account of an empty
 * database, or one created with `create-user --admin`), or one named in `DEMO_ADMIN_USERNAMES`.
 * When that setting names anyone, the "first account" rule is off: on a public deployment the
 * first stranger to sign up would otherwise become the admin.
 */
import type { CreateUserOptions, PublicUser } from "@/db";
import type { DemoSettings } from "./settings";

/**
 * Whether `user` may send anything to anyone.
 *
 * @example
 * isAdmin(await findUserById(id), getDemoSettings())
 */
export function isAdmin(user: Pick<PublicUser, "username" | "role">, settings: Pick<DemoSettings, "adminUsernames">): boolean {
  return user.role === "admin" || settings.adminUsernames.has(user.username);
}

/**
 * The options for `createUser` when someone signs up (or is created by the CLI without `--admin`).
 *
 * @example
 * await createUser(username, password, signUpOptions(getDemoSettings()));
 */
export function signUpOptions(settings: Pick<DemoSettings, "adminUsernames">): CreateUserOptions {
  return { adminIfFirst: settings.adminUsernames.size === 0 };
}
