"use server";
/**
 * The long-task demo: a background job that streams progress to its user's tabs, then
 * redirects them to its result page.
 */
import { randomUUID } from "node:crypto";
import { auth } from "@/auth";
import { demoLimiters, takeSendToken } from "@/demo/rate-limit";
import { progressUser, redirectUser } from "next-channels-broadcast/server";
import { recordTask } from "./registry";

export type StartTaskState = { status: "idle" } | { status: "started"; taskId: string } | { status: "error"; message: string };

const STEP_MS = 400;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runTask(userId: string, taskId: string): Promise<void> {
  for (let percent = 0; percent <= 100; percent += 10) {
    await progressUser(userId, percent);
    await sleep(STEP_MS);
  }
  recordTask(taskId, { userId, finishedAt: new Date() });
  await redirectUser(userId, `/tasks/${taskId}`);
}

/** Starts a task for the signed-in user and returns at once; the work continues in the background. */
export async function startTask(_previous: StartTaskState): Promise<StartTaskState> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) return { status: "error", message: "Sign in to start a task." };
  // A task sends a dozen frames: starting one counts against the user's send budget.
  const tooFast = takeSendToken(demoLimiters(), userId);
  if (tooFast) return { status: "error", message: tooFast };
  const taskId = randomUUID();
  recordTask(taskId, { userId, startedAt: new Date() });
  // Deliberately not awaited: the action answers now, the tabs follow the task over the socket.
  void runTask(userId, taskId).catch((error: unknown) => {
    console.error(`[demo] task ${taskId} failed`, error);
  });
  return { status: "started", taskId };
}
