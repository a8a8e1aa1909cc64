/**
 * The demo's typed events, declared once and imported by both sides: the job runner emits them
 * (`createEventEmitter(events)` in src/app/jobs/actions.ts), the job page receives them
 * (`useEvent` from ./hooks). The schema is the contract both sides check.
 */
import { z } from "zod";
import { defineEvents } from "next-channels-broadcast/events";

export const JOB_PHASES = ["queued", "running", "done"] as const;

export const events = defineEvents({
  /** Where a background job stands: its phase and the step it is on (of how many). */
  "job.status": z.object({
    phase: z.enum(JOB_PHASES),
    step: z.number().int().min(0),
    of: z.number().int().min(1),
  }),
});
