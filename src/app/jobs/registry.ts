/**
 * Background jobs started in this process (demo only: forgotten on restart, and not shared
 * between server processes). Kept on `globalThis` so every module graph sees the same map.
 */
export interface JobRecord {
  id: string;
  /** The user who started it, or null for an anonymous visitor. */
  ownerId: string | null;
  startedAt: Date;
  finishedAt?: Date;
  /** Last progress sent, 0–100. */
  percent: number;
  /** The step it is on (0 until the first one starts). */
  step: number;
}

/** Steps of every demo job: 0 %, 10 %, …, 100 %. */
export const JOB_STEPS = 11;

const KEY = Symbol.for("next-channels-broadcast.demo-jobs");
const MAX_JOBS = 1000;

function jobs(): Map<string, JobRecord> {
  const g = globalThis as { [KEY]?: Map<string, JobRecord> };
  return (g[KEY] ??= new Map());
}

export function createJob(id: string, ownerId: string | null): JobRecord {
  const map = jobs();
  const job: JobRecord = { id, ownerId, startedAt: new Date(), percent: 0, step: 0 };
  map.set(id, job);
  if (map.size > MAX_JOBS) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  return job;
}

export function updateJob(id: string, update: Partial<Omit<JobRecord, "id" | "ownerId">>): void {
  const job = jobs().get(id);
  if (job) Object.assign(job, update);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The job if `viewerId` may see it: a signed-in user's job is theirs alone; an anonymous
 * visitor's job is reachable by whoever holds its (unguessable) id. Otherwise undefined, as for
 * a job that does not exist — the page does not say which.
 */
export function findJobFor(id: string, viewerId: string | null): JobRecord | undefined {
  if (!UUID.test(id)) return undefined;
  const job = jobs().get(id);
  if (!job) return undefined;
  return job.ownerId === null || job.ownerId === viewerId ? job : undefined;
}

/**
 * Whether `userId` started the job `id` (anonymous visitors' jobs belong to nobody). A normal user
 * may send to the channel of their own jobs only (src/demo/send-policy.ts).
 *
 * @example
 * isJobOwnedBy(jobId, session.user.id) // true for the job this user started
 */
export function isJobOwnedBy(id: string, userId: string): boolean {
  if (typeof id !== "string" || !UUID.test(id)) return false;
  return jobs().get(id)?.ownerId === userId;
}
