"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import { startJob, type StartJobState } from "./actions";

/** "Start job": the action returns the new job's id, then the tab moves to the job's page. */
export function StartJobButton() {
  const router = useRouter();
  const [state, formAction, pending] = useActionState(startJob, { status: "idle" } as StartJobState);
  const jobId = state.status === "started" ? state.jobId : null;

  useEffect(() => {
    if (jobId) router.push(`/jobs/${jobId}`);
  }, [jobId, router]);

  return (
    <form action={formAction} className="task-form">
      <button type="submit" className="button" disabled={pending || jobId !== null} data-testid="start-job">
        {pending ? "Starting…" : jobId ? "Opening the job…" : "Start job"}
      </button>
      <output className="muted" data-testid="job-status" aria-live="polite">
        {state.status === "error" && <span className="result-error">{state.message}</span>}
      </output>
    </form>
  );
}
