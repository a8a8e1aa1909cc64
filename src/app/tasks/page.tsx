import type { Metadata } from "next";
import Link from "next/link";
import { auth } from "@/auth";
import { ProgressBar } from "next-channels-broadcast/client";
import { StartTaskButton } from "./start-task-button";

export const metadata: Metadata = { title: "Long task" };
export const dynamic = "force-dynamic";

export default async function TasksPage() {
  const session = await auth();
  const userId = session?.user?.id;

  if (!userId) {
    return (
      <section className="card narrow" data-testid="tasks-signin-prompt">
        <h1>Long task</h1>
        <p>Sign in to start a background task that reports its progress to all your tabs.</p>
        <p className="actions">
          <Link className="button" href="/signin?callbackUrl=%2Ftasks">
            Sign in
          </Link>
          <Link className="button button-quiet" href="/signup?callbackUrl=%2Ftasks">
            Create an account
          </Link>
        </p>
      </section>
    );
  }

  return (
    <section className="card">
      <h1>Long task</h1>
      <p>
        The button starts a job on the server and returns at once. The job calls <code>progressUser(userId, percent)</code>{" "}
        every 400 ms, then <code>redirectUser(userId, &quot;/tasks/&lt;id&gt;&quot;)</code>. Open this page in a second tab: both
        follow along.
      </p>
      <div className="progress-wrap">
        <ProgressBar channel={`user:${userId}`} />
      </div>
      <StartTaskButton />
    </section>
  );
}
