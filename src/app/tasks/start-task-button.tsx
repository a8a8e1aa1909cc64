"use client";

import { useActionState } from "react";
import { startTask, type StartTaskState } from "./actions";

/** "Start long task": the action returns at once; progress and the redirect arrive over the socket. */
export function StartTaskButton() {
  const [state, formAction, pending] = useActionState(startTask, { status: "idle" } as StartTaskState);
  return (
    <form action={formAction} className="task-form">
      <button type="submit" className="button" disabled={pending} data-testid="start-task">
        {pending ? "Starting…" : "Start long task"}
      </button>
      <output className="muted" data-testid="task-status" aria-live="polite">
        {state.status === "started" && (
          <>
            Task <code>{state.taskId.slice(0, 8)}</code> started — watch the bar, then you will be taken to its result.
          </>
        )}
        {state.status === "error" && <span className="result-error">{state.message}</span>}
      </output>
    </form>
  );
}
