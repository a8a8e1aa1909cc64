import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { signUpAction } from "../auth-actions";
import { AuthForm } from "../auth-form";
import { safeRedirectPath } from "../safe-redirect";

export const metadata: Metadata = { title: "Sign up" };
export const dynamic = "force-dynamic";

export default async function SignUpPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const redirectTo = safeRedirectPath(typeof params.callbackUrl === "string" ? params.callbackUrl : "/");
  if ((await auth())?.user?.id) redirect(redirectTo);

  return (
    <section className="card narrow">
      <h1>Create an account</h1>
      <p className="muted">A demo account: username and password, stored in the app&apos;s database.</p>
      <AuthForm mode="signup" action={signUpAction} redirectTo={redirectTo} />
    </section>
  );
}
