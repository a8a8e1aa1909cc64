"use client";

import { useState } from "react";
import { useEvent } from "@/events/hooks";

export interface JobStatusProps {
  jobId: string;
  /** What the server knew when it rendered the page. */
  initial: { phase: "queued" | "running" | "done"; step: number; of: number };
}

/** The job's status row, kept current by the typed `job.status` event on the job's channel. */
export function JobStatus({ jobId, initial }: JobStatusProps) {
  const [status, setStatus] = useState(initial);
  // `data` is typed from the schema in src/events: phase, step and of, already validated.
  useEvent("job.status", (data) => setStatus(data), { channel: jobId });
  return (
    <p className="muted" data-testid="job-phase" data-phase={status.phase} data-step={status.step}>
      {status.phase === "queued" ? "Queued…" : status.phase === "done" ? "Done." : `Running: step ${status.step} of ${status.of}`}
    </p>
  );
}
