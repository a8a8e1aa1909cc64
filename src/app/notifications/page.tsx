/**
 * /notifications: the signed-in user's notification history (read, unread), page by page, live,
 * and their toast preferences.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { currentUser } from "@/auth";
import { listNotifications } from "next-channels-broadcast/server";
import { History } from "./history";
import { ToastPreferencesForm } from "./toast-preferences-form";

export const metadata: Metadata = { title: "Notifications" };
export const dynamic = "force-dynamic";

export default async function NotificationsPage() {
  const user = await currentUser();
  if (!user) {
    return (
      <section className="card narrow">
        <h1>Notifications</h1>
        <p>
          <Link href="/signin?callbackUrl=%2Fnotifications">Sign in</Link> to see your notifications.
        </p>
      </section>
    );
  }
  const initial = await listNotifications(user.id, { limit: 50 });
  return (
    <section className="card" data-testid="notifications-page">
      <h1>Notifications</h1>
      <ToastPreferencesForm />
      <History initial={initial} />
    </section>
  );
}
