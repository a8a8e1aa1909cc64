"use client";

import { startTransition, useActionState, useState, type FormEvent } from "react";
import { sendNotification, type SendState } from "./actions";

const initialState: SendState = { status: "idle", message: "", at: 0 };

type Audience = "all" | "authenticated" | "anonymous" | "user" | "object" | "channel";
type Kind = "message" | "redirect" | "progress";

const TARGET_HELP: Partial<Record<Audience, { label: string; placeholder: string }>> = {
  user: { label: "Username", placeholder: "alice" },
  object: { label: "Object channel", placeholder: "articles-1" },
  channel: { label: "Channel name", placeholder: "my-channel" },
};

/** The home page's form: audience × kind → `sendNotification`. */
export function SendForm() {
  const [state, formAction, pending] = useActionState(sendNotification, initialState);
  const [audience, setAudience] = useState<Audience>("all");
  const [kind, setKind] = useState<Kind>("message");
  const target = TARGET_HELP[audience];

  // Submit without React's automatic form reset, so the same notification can be sent again
  // with one click. Without JavaScript the plain form action still works.
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formData = new FormData(event.currentTarget);
    startTransition(() => formAction(formData));
  }

  return (
    <form action={formAction} onSubmit={onSubmit} className="form" data-testid="send-form">
      <div className="row">
        <label className="field">
          <span>Audience</span>
          <select name="audience" value={audience} onChange={(event) => setAudience(event.target.value as Audience)}>
            <option value="all">all</option>
            <option value="authenticated">authenticated</option>
            <option value="anonymous">anonymous</option>
            <option value="user">user</option>
            <option value="object">object</option>
            <option value="channel">channel</option>
          </select>
        </label>
        <label className="field">
          <span>Kind</span>
          <select name="kind" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            <option value="message">message</option>
            <option value="redirect">redirect</option>
            <option value="progress">progress</option>
          </select>
        </label>
      </div>

      <label className="field" hidden={!target}>
        <span>{target?.label ?? "Target"}</span>
        <input name="target" type="text" placeholder={target?.placeholder} disabled={!target} autoComplete="off" />
      </label>

      <div hidden={kind !== "message"} className="stack">
        <label className="field">
          <span>Text</span>
          <textarea name="text" rows={2} placeholder="Hello from the server!" disabled={kind !== "message"} />
        </label>
        <div className="row">
          <label className="field">
            <span>Level</span>
            <select name="level" defaultValue="info" disabled={kind !== "message"}>
              <option value="info">info</option>
              <option value="success">success</option>
              <option value="warning">warning</option>
              <option value="error">error</option>
            </select>
          </label>
          <label className="field">
            <span>
              Click URL <span className="muted">(optional)</span>
            </span>
            <input name="clickURL" type="text" placeholder="/articles/1" disabled={kind !== "message"} autoComplete="off" />
          </label>
        </div>
      </div>

      <label className="field" hidden={kind !== "redirect"}>
        <span>URL</span>
        <input name="url" type="text" placeholder="/articles/2" disabled={kind !== "redirect"} autoComplete="off" />
      </label>

      <label className="field" hidden={kind !== "progress"}>
        <span>Percent</span>
        <input name="percent" type="text" inputMode="decimal" placeholder="42" disabled={kind !== "progress"} autoComplete="off" />
      </label>

      <div className="form-footer">
        <button type="submit" className="button" disabled={pending} data-testid="send-submit">
          {pending ? "Sending…" : "Send"}
        </button>
        <output
          key={state.at}
          className={`result result-${state.status}`}
          data-testid="send-result"
          data-status={state.status}
          data-at={state.at}
          aria-live="polite"
        >
          {state.message}
        </output>
      </div>
    </form>
  );
}
