"use server";
/**
 * The background-job demo: a job whose progress stream lives on its own UUID channel. Only the
 * pages that hold a token for that channel (the job's page, see [id]/page.tsx) see it.
 */
import { randomUUID } from "node:crypto";
import { headers } from "next/headers";
import { currentUser } from "@/auth";
import { clientAddressFrom } from "@/demo/client-ip";
import { demoLimiters, takeSendToken } from "@/demo/rate-limit";
import { createEventEmitter, getClientSettings, issueSubscriptionToken, progressChannel, redirectChannel } from "next-channels-broadcast/server";
import { events } from "@/events";
import { createJob, findJobFor, JOB_STEPS, updateJob } from "./registry";

export type StartJobState = { status: "idle" } | { status: "started"; jobId: string } | { status: "error"; message: string };

/** Time for the browser to open /jobs/<id> and subscribe before the first progress. */
const FIRST_PROGRESS_DELAY_MS = 1_000;
const STEP_MS = 300;
const STEP_PERCENT = 10;

/** The demo's typed events (src/events): `job.status` data is checked against its schema. */
const { emit } = createEventEmitter(events);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runJob(jobId: string): Promise<void> {
  // Progress needs no head start: the store keeps the latest value per channel and hands it to
  // the page the moment it subscribes. The final redirect does: a page that subscribes after it
  // was sent would wait forever (a finished job's page redirects when rendered, but not one
  // rendered just before the end). A second's head start makes that window practically empty.
  await sleep(FIRST_PROGRESS_DELAY_MS);
  const steps = JOB_STEPS;
  for (let percent = 0, step = 1; percent <= 100; percent += STEP_PERCENT, step += 1) {
    updateJob(jobId, { percent, step });
    // The bar follows `progress`; the status row follows a typed event (live only: a page that
    // opens later renders the job's current step from the registry).
    await emit({ channel: jobId }, "job.status", { phase: "running", step, of: steps });
    await progressChannel(jobId, percent);
    if (percent < 100) await sleep(STEP_MS);
  }
  updateJob(jobId, { finishedAt: new Date() });
  await emit({ channel: jobId }, "job.status", { phase: "done", step: steps, of: steps });
  await redirectChannel(jobId, `/jobs/${jobId}/result`);
}

/**
 * Starts a job and returns its id at once; the work continues in the background. Anyone may
 * start one when anonymous visitors are enabled, otherwise only signed-in users. A job sends a
 * dozen frames: starting one counts against the send budget of the user (or, for an anonymous
 * visitor, of their address).
 */
export async function startJob(_previous: StartJobState): Promise<StartJobState> {
  const user = await currentUser();
  if (!user && !getClientSettings().anonymousEnabled) return { status: "error", message: "Sign in to start a job." };
  const tooFast = takeSendToken(demoLimiters(), user ? user.id : `ip:${clientAddressFrom(await headers())}`);
  if (tooFast) return { status: "error", message: tooFast };
  const jobId = randomUUID();
  createJob(jobId, user?.id ?? null);
  // Deliberately not awaited: the action answers now, the job page follows the job over the socket.
  void runJob(jobId).catch((error: unknown) => {
    console.error(`[demo] job ${jobId} failed`, error);
  });
  return { status: "started", jobId };
}

/**
 * A fresh subscription token for job `jobId`'s channel (bound by the job's page), only for the
 * viewer the job belongs to: `<ChannelSubscription getToken>` calls it after the page's token expired.
 */
export async function jobSubscriptionToken(jobId: string): Promise<string> {
  const user = await currentUser();
  if (!findJobFor(jobId, user?.id ?? null)) throw new Error("No such job.");
  return issueSubscriptionToken({ user: user ?? null, channels: [jobId] });
}
