"use client";

import Link from "next/link";
import { useActionState } from "react";
import type { AuthFormState } from "./auth-actions";

interface AuthFormProps {
  mode: "signin" | "signup";
  action: (previous: AuthFormState, formData: FormData) => Promise<AuthFormState>;
  redirectTo: string;
  initialError?: string | null;
}

/** The sign-in and sign-up forms (same fields: `username`, `password`). */
export function AuthForm({ mode, action, redirectTo, initialError = null }: AuthFormProps) {
  const [state, formAction, pending] = useActionState(action, { error: initialError, username: "" });
  const signin = mode === "signin";
  const query = redirectTo !== "/" ? `?callbackUrl=${encodeURIComponent(redirectTo)}` : "";

  return (
    <form action={formAction} className="form" data-testid={signin ? "signin-form" : "signup-form"}>
      <input type="hidden" name="redirectTo" value={redirectTo} />
      <label className="field">
        <span>Username</span>
        <input
          name="username"
          type="text"
          required
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          defaultValue={state.username}
          key={state.username}
          {...(signin ? {} : { minLength: 3, maxLength: 32, pattern: "[A-Za-z0-9_.\\-]{3,32}", title: "3–32 characters: letters, digits, _ . -" })}
        />
      </label>
      <label className="field">
        <span>Password</span>
        <input
          name="password"
          type="password"
          required
          autoComplete={signin ? "current-password" : "new-password"}
          {...(signin ? {} : { minLength: 8 })}
        />
        {!signin && <small className="muted">At least 8 characters.</small>}
      </label>
      {state.error && (
        <p className="form-error" role="alert" data-testid={signin ? "signin-error" : "signup-error"}>
          {state.error}
        </p>
      )}
      <button type="submit" className="button button-wide" disabled={pending}>
        {pending ? (signin ? "Signing in…" : "Creating account…") : signin ? "Sign in" : "Create account"}
      </button>
      <p className="muted center">
        {signin ? (
          <>
            No account yet? <Link href={`/signup${query}`}>Sign up</Link>
          </>
        ) : (
          <>
            Already have an account? <Link href={`/signin${query}`}>Sign in</Link>
          </>
        )}
      </p>
    </form>
  );
}
