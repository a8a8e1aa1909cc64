"use server";
/**
 * Sign-in and sign-up server actions (credentials provider). Both are limited per client address:
 * failed sign-ins in `authorize` (src/auth.ts), sign-up attempts here — every attempt, since a
 * refused one says the name is taken.
 */
import { AuthError, CredentialsSignin } from "next-auth";
import { headers } from "next/headers";
import { signIn } from "@/auth";
import { createUser, UserError } from "@/db";
import { clientAddressFrom } from "@/demo/client-ip";
import { demoLimiters, formatRetryAfter } from "@/demo/rate-limit";
import { signUpOptions } from "@/demo/roles";
import { getDemoSettings } from "@/demo/settings";
import { safeRedirectPath } from "./safe-redirect";

export interface AuthFormState {
  error: string | null;
  /** Echoed back so the form keeps what was typed (never the password). */
  username: string;
}

function text(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

async function signInOrError(username: string, password: string, redirectTo: string): Promise<AuthFormState> {
  try {
    // On success this throws Next's redirect, which must propagate.
    await signIn("credentials", { username, password, redirectTo });
  } catch (error) {
    if (error instanceof AuthError) {
      if (error instanceof CredentialsSignin && error.code === "rate_limited") {
        const wait = demoLimiters().signInFailures.retryAfterMs(clientAddressFrom(await headers()));
        return { error: `Too many failed sign-ins from your address: try again in ${formatRetryAfter(wait)}.`, username };
      }
      if (error.type === "CredentialsSignin") return { error: "Wrong username or password", username };
      console.error("[demo] sign-in failed", error);
      return { error: "Could not sign in right now; try again.", username };
    }
    throw error;
  }
  return { error: null, username };
}

/** Signs in with username + password, then goes to `redirectTo` (a same-site path) or home. */
export async function signInAction(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  const username = text(formData, "username").trim();
  const password = text(formData, "password");
  if (!username || !password) return { error: "Enter your username and password.", username };
  return signInOrError(username, password, safeRedirectPath(text(formData, "redirectTo")));
}

/**
 * Creates an account, then signs in with it. The first account of an empty database becomes the
 * admin unless `DEMO_ADMIN_USERNAMES` names the admins (src/demo/roles.ts).
 */
export async function signUpAction(_previous: AuthFormState, formData: FormData): Promise<AuthFormState> {
  const username = text(formData, "username").trim();
  const password = text(formData, "password");
  const decision = demoLimiters().signUps.take(clientAddressFrom(await headers()));
  if (!decision.allowed) {
    return { error: `Too many sign-ups from your address: try again in ${formatRetryAfter(decision.retryAfterMs)}.`, username };
  }
  try {
    await createUser(username, password, signUpOptions(getDemoSettings()));
  } catch (error) {
    if (error instanceof UserError) return { error: error.message, username };
    console.error("[demo] sign-up failed", error);
    return { error: "Could not create the account right now; try again.", username };
  }
  return signInOrError(username, password, safeRedirectPath(text(formData, "redirectTo")));
}
