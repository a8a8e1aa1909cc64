import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { currentUser } from "@/auth";
import { ChannelSubscription, ProgressBar } from "next-channels-broadcast/client";
import { currentWatermark, issueSubscriptionToken } from "next-channels-broadcast/server";
import { jobSubscriptionToken } from "../actions";
import { findJobFor, JOB_STEPS } from "../registry";
import { JobStatus } from "./job-status";

export const metadata: Metadata = { title: "Job in progress" };
export const dynamic = "force-dynamic";

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // Before reading the job: a redirect sent after this point reaches the page when it subscribes.
  const since = await currentWatermark();
  const user = await currentUser();
  const job = findJobFor(id, user?.id ?? null);
  if (!job) notFound();
  if (job.finishedAt) redirect(`/jobs/${id}/result`);

  // The job's channel is its id. The token lets this viewer's socket (signed in or anonymous)
  // hold it while the page is open; the authorizer is not consulted.
  const token = issueSubscriptionToken({ user: user ?? null, channels: [id] });

  return (
    <section className="card narrow" data-testid="job" data-job-id={id}>
      <ChannelSubscription token={token} since={since} getToken={jobSubscriptionToken.bind(null, id)} />
      <h1>Job running…</h1>
      <p>
        Progress arrives on the channel <code>{id}</code>. When the job is done the server redirects this page to the result.
      </p>
      <JobStatus jobId={id} initial={{ phase: job.step === 0 ? "queued" : "running", step: job.step, of: JOB_STEPS }} />
      <div className="progress-wrap">
        <ProgressBar channel={id} label="Job progress" />
      </div>
      <p className="muted small">Started {job.startedAt.toLocaleTimeString("en-GB", { timeZone: "UTC" })} UTC.</p>
    </section>
  );
}
