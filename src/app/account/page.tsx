/**
 * /account: the signed-in user's role and "Delete my account" (which revokes every session they
 * have, see deleteAccountAction). Reads the stored account, so a deleted user sees the sign-in prompt.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { auth } from "@/auth";
import { findUserById } from "@/db";
import { isAdmin } from "@/demo/roles";
import { getDemoSettings } from "@/demo/settings";
import { DeleteAccountForm } from "./delete-account-form";

export const metadata: Metadata = { title: "Your account" };
export const dynamic = "force-dynamic";

/** The signed-in user's account: their role, and "Delete my account". */
export default async function AccountPage() {
  const session = await auth();
  const account = session?.user?.id ? await findUserById(session.user.id) : null;
  if (!account) {
    return (
      <section className="card narrow" data-testid="account-signin-prompt">
        <h1>Your account</h1>
        <p>
          <Link href="/signin?callbackUrl=%2Faccount">Sign in</Link> to see your account.
        </p>
      </section>
    );
  }
  const admin = isAdmin(account, getDemoSettings());
  return (
    <section className="card narrow" data-testid="account">
      <h1>Your account</h1>
      <p>
        Signed in as <strong>{account.username}</strong>, a{" "}
        <span data-testid="account-role">{admin ? "admin" : "normal user"}</span>
        {admin ? ": you may send any kind to any audience." : ": you may send to yourself, to articles you wrote and to your own jobs."}
      </p>
      {admin ? (
        <p>
          <Link href="/admin" data-testid="admin-link">
            Admin page
          </Link>
          : live sockets, channels, recent sends and inbox backlogs of this server.
        </p>
      ) : null}
      <h2>Delete my account</h2>
      <p className="muted">
        Deletes the account and its comments, signs you out here and ends every other session of yours at once: their pages
        and live notifications stop, and copies of their cookies no longer work.
      </p>
      <DeleteAccountForm username={account.username} />
    </section>
  );
}
