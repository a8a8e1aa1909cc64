import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { currentUser } from "@/auth";
import { findJobFor } from "../../registry";

export const metadata: Metadata = { title: "Job result" };
export const dynamic = "force-dynamic";

function formatTime(date: Date): string {
  return `${date.toLocaleTimeString("en-GB", { timeZone: "UTC" })} UTC`;
}

export default async function JobResultPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await currentUser();
  const job = findJobFor(id, user?.id ?? null);
  if (!job) notFound();

  return (
    <section className="card narrow">
      <h1>{job.finishedAt ? "Job finished" : "Job still running"}</h1>
      <p>The job sent a redirect to its channel when it was done; every page holding that channel came here.</p>
      <dl className="facts" data-testid="job-result" data-job-id={id} data-finished={String(Boolean(job.finishedAt))}>
        <dt>Job id</dt>
        <dd>
          <code>{id}</code>
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(job.startedAt)}</dd>
        {job.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>{formatTime(job.finishedAt)}</dd>
          </>
        )}
        <dt>Progress</dt>
        <dd>{job.percent}%</dd>
      </dl>
      <p className="actions">
        <Link className="button" href="/jobs">
          Start another
        </Link>
      </p>
    </section>
  );
}
