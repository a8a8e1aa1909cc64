"use client";

import { useActionState } from "react";
import { RefreshOriginField } from "next-channels-broadcast/client";
import { postComment, type CommentState } from "./actions";

const initialState: CommentState = { status: "idle", message: "", at: 0 };

/** The comment box of an article page; the server action notifies everyone reading the article. */
export function CommentForm({ articleId, maxLength }: { articleId: number; maxLength: number }) {
  const [state, formAction, pending] = useActionState(postComment.bind(null, articleId), initialState);
  return (
    <form action={formAction} className="form comment-form" data-testid="comment-form">
      {/* This tab re-renders after its own action: the refresh it triggers skips it. */}
      <RefreshOriginField />
      <label className="field">
        <span>Add a comment</span>
        <textarea name="body" rows={3} required maxLength={maxLength} placeholder="Everyone reading this article sees a toast." />
      </label>
      <div className="form-footer">
        <button type="submit" className="button" disabled={pending}>
          {pending ? "Posting…" : "Post comment"}
        </button>
        <output
          data-testid="comment-result"
          data-status={state.status}
          data-at={state.at}
          aria-live="polite"
          className={state.status === "error" ? "result-error" : "muted"}
        >
          {state.message}
        </output>
      </div>
    </form>
  );
}
