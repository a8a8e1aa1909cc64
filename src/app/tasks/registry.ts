/**
 * Tasks started in this process (demo only; forgotten on restart). Kept on `globalThis` so
 * every module graph and hot reload sees the same map.
 */
export interface TaskRecord {
  userId: string;
  startedAt?: Date;
  finishedAt?: Date;
}

const KEY = Symbol.for("next-channels-broadcast.demo-tasks");
const MAX_TASKS = 1000;

function tasks(): Map<string, TaskRecord> {
  const g = globalThis as { [KEY]?: Map<string, TaskRecord> };
  return (g[KEY] ??= new Map());
}

export function recordTask(taskId: string, update: TaskRecord): void {
  const map = tasks();
  map.set(taskId, { ...map.get(taskId), ...update });
  if (map.size > MAX_TASKS) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

export function getTask(taskId: string): TaskRecord | undefined {
  return tasks().get(taskId);
}
