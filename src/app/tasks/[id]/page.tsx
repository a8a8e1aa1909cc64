import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getTask } from "../registry";

export const metadata: Metadata = { title: "Task result" };
export const dynamic = "force-dynamic";

function formatTime(date: Date): string {
  return `${date.toLocaleTimeString("en-GB", { timeZone: "UTC" })} UTC`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function TaskResultPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const task = getTask(id);

  return (
    <section className="card narrow">
      <h1>Task finished</h1>
      <p>The server redirected every tab of yours here when the job was done.</p>
      <dl className="facts" data-testid="task-result" data-task-id={id}>
        <dt>Task id</dt>
        <dd>
          <code>{id}</code>
        </dd>
        {task?.startedAt && (
          <>
            <dt>Started</dt>
            <dd>{formatTime(task.startedAt)}</dd>
          </>
        )}
        {task?.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>{formatTime(task.finishedAt)}</dd>
          </>
        )}
      </dl>
      <p className="actions">
        <Link className="button" href="/tasks">
          Start another
        </Link>
      </p>
    </section>
  );
}
