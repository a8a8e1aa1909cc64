import type { Metadata } from "next";
import Link from "next/link";
import { currentUser } from "@/auth";
import { getClientSettings } from "next-channels-broadcast/server";
import { StartJobButton } from "./start-job-button";

export const metadata: Metadata = { title: "Background job" };
export const dynamic = "force-dynamic";

export default async function JobsPage() {
  const user = await currentUser();
  const { anonymousEnabled } = getClientSettings();
  const allowed = user !== null || anonymousEnabled;

  return (
    <section className="card narrow">
      <h1>Background job</h1>
      <p>
        <strong>Start job</strong> runs a server action that picks a random UUID, starts a loop in the background and answers at
        once. The tab then opens <code>/jobs/&lt;id&gt;</code>, whose server component issues a subscription token for the channel{" "}
        <code>&lt;id&gt;</code>. The loop calls <code>progressChannel(id, percent)</code> from 0 to 100, then{" "}
        <code>redirectChannel(id, &quot;/jobs/&lt;id&gt;/result&quot;)</code>.
      </p>
      <p className="muted">
        Nobody else sees the bar: the channel name is unguessable and the token is bound to this browser&apos;s session
        {anonymousEnabled ? " (or to anonymous)" : ""}.
      </p>
      {allowed ? (
        <StartJobButton />
      ) : (
        <div className="prompt" data-testid="jobs-signin-prompt">
          <p>Sign in to start a job. (Anonymous visitors can too when the server runs with <code>ENABLE_ANONYMOUS=true</code>.)</p>
          <p className="actions">
            <Link className="button" href="/signin?callbackUrl=%2Fjobs">
              Sign in
            </Link>
          </p>
        </div>
      )}
    </section>
  );
}
