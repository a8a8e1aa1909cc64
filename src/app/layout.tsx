import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { auth } from "@/auth";
import { ConnectionIndicator, NotificationsProvider } from "next-channels-broadcast/client";
import { currentWatermark, getClientSettings, listNotifications } from "next-channels-broadcast/server";
import { HeaderInbox } from "./header-inbox";
import { signOutAction } from "./actions";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "next-channels-broadcast demo", template: "%s · next-channels-broadcast" },
  description: "Real-time notifications for Next.js: one call on the server, a toast in the right browser tabs.",
  // Social previews need absolute URLs; the demo's own address when it is deployed somewhere.
  metadataBase: new URL(process.env.AUTH_URL ?? "http://localhost:3000"),
  icons: { icon: "/icon.svg" },
  openGraph: { images: [{ url: "/og.png", width: 1200, height: 630, alt: "One call on the server, a toast in the right tabs." }] },
};

// The header and the provider depend on the session cookie.
export const dynamic = "force-dynamic";

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await auth();
  const user = session?.user?.id ? { id: session.user.id, name: session.user.name ?? "" } : null;
  const { path, anonymousEnabled } = getClientSettings();
  // The newest notification id as this page is rendered: the socket connects with ?lastId= set
  // to it, so a broadcast sent between this render and the subscription is recovered, not lost.
  // Only for tabs that will connect; a database problem costs the recovery, not the page.
  const watermark =
    user || anonymousEnabled
      ? await currentWatermark().catch((error: unknown) => {
          console.error("[notifications] could not read the watermark", error);
          return null;
        })
      : null;
  // The bell's count and first page, rendered here: no loading flash, no request from the browser.
  const inbox = user
    ? await listNotifications(user.id).catch((error: unknown) => {
        console.error("[demo] could not read the notification center", error);
        return null;
      })
    : null;

  return (
    <html lang="en">
      <body>
        <NotificationsProvider
          userId={user?.id ?? null}
          anonymousEnabled={anonymousEnabled}
          path={path}
          initialLastId={watermark ?? undefined}
          toaster={{ containerStyle: { top: 72 } }}
        >
          <header className="site-header">
            <div className="container header-row">
              <Link href="/" className="brand">
                <span className="brand-mark" aria-hidden="true">
                  ◉
                </span>
                next-channels-broadcast
              </Link>
              <nav className="main-nav" aria-label="Main">
                <Link href="/">Home</Link>
                <Link href="/articles">Articles</Link>
                <Link href="/jobs">Jobs</Link>
                <Link href="/tasks">Long task</Link>
              </nav>
              <div className="header-side">
                <ConnectionIndicator />
                {user && inbox ? <HeaderInbox initial={inbox} /> : null}
                {user ? (
                  <div className="account">
                    <Link href="/account" className="current-user" data-testid="current-user" title="Your account">
                      {user.name}
                    </Link>
                    <form action={signOutAction}>
                      <button type="submit" className="button button-quiet" data-testid="sign-out">
                        Sign out
                      </button>
                    </form>
                  </div>
                ) : (
                  <div className="account">
                    <Link href="/signin" className="button button-quiet" data-testid="sign-in-link">
                      Sign in
                    </Link>
                    <Link href="/signup" className="button" data-testid="sign-up-link">
                      Sign up
                    </Link>
                  </div>
                )}
              </div>
            </div>
          </header>
          <main className="container main">{children}</main>
          <footer className="container footer">
            Demo of next-channels-broadcast · Tip: open a private window side by side to watch who gets what.
          </footer>
        </NotificationsProvider>
      </body>
    </html>
  );
}
