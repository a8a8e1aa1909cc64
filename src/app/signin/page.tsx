import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { signInAction } from "../auth-actions";
import { AuthForm } from "../auth-form";
import { safeRedirectPath } from "../safe-redirect";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const redirectTo = safeRedirectPath(typeof params.callbackUrl === "string" ? params.callbackUrl : "/");
  if ((await auth())?.user?.id) redirect(redirectTo);
  // Auth.js sends people here with ?error=CredentialsSignin (and &code=rate_limited when this
  // address failed too often, see src/auth.ts) when its own endpoints refuse them.
  const initialError =
    params.error === "CredentialsSignin"
      ? params.code === "rate_limited"
        ? "Too many failed sign-ins from your address: try again later."
        : "Wrong username or password"
      : params.error
        ? "Could not sign in; try again."
        : null;

  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <p className="muted">
        Create users here with <Link href="/signup">Sign up</Link> or from a terminal: <code>npm run create-user -- alice</code>
      </p>
      <AuthForm mode="signin" action={signInAction} redirectTo={redirectTo} initialError={initialError} />
    </section>
  );
}
