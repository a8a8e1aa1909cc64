"use client";

import Link from "next/link";
import { startTransition, useActionState, useState, type FormEvent } from "react";
import { sendNotification, type SendState } from "./actions";

const initialState: SendState = { status: "idle", message: "", at: 0 };

type Audience = "all" | "authenticated" | "anonymous" | "user" | "object" | "channel";
type Kind = "message" | "redirect" | "progress";

interface AudienceOption {
  value: Audience;
  label: string;
}

const ADMIN_AUDIENCES: AudienceOption[] = [
  { value: "all", label: "all" },
  { value: "authenticated", label: "authenticated" },
  { value: "anonymous", label: "anonymous" },
  { value: "user", label: "user" },
  { value: "object", label: "object" },
  { value: "channel", label: "channel" },
];

/** What a normal user may address (src/demo/send-policy.ts decides on the server, whatever this offers). */
const USER_AUDIENCES: AudienceOption[] = [
  { value: "user", label: "user (yourself)" },
  { value: "object", label: "object (an article you wrote)" },
  { value: "channel", label: "channel (one of your jobs)" },
];

const TARGET_HELP: Partial<Record<Audience, { label: string; placeholder: string }>> = {
  user: { label: "Username", placeholder: "alice" },
  object: { label: "Object channel", placeholder: "articles-1" },
  channel: { label: "Channel name", placeholder: "my-channel" },
};

const USER_TARGET_HELP: Partial<Record<Audience, { label: string; placeholder: string }>> = {
  user: { label: "Username (yours)", placeholder: "" },
  object: { label: "Object channel of an article you wrote", placeholder: "articles-4" },
  channel: { label: "Job id (the UUID in /jobs/<id>)", placeholder: "0b7c…" },
};

export interface SendFormProps {
  /** Admins may send any kind to any audience; everyone else gets the reduced form. */
  admin: boolean;
  /** The signed-in user's username: a normal user's only `user` target. */
  username: string;
}

/** The home page's form: audience × kind → `sendNotification`, showing only what this account may do. */
export function SendForm({ admin, username }: SendFormProps) {
  const [state, formAction, pending] = useActionState(sendNotification, initialState);
  const [audience, setAudience] = useState<Audience>(admin ? "all" : "user");
  const [kind, setKind] = useState<Kind>("message");
  const target = (admin ? TARGET_HELP : USER_TARGET_HELP)[audience];
  const ownName = !admin && audience === "user";

  // Submit without React's automatic form reset, so the same notification can be sent again
  // with one click. Without JavaScript the plain form action still works.
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formData = new FormData(event.currentTarget);
    startTransition(() => formAction(formData));
  }

  return (
    <form action={formAction} onSubmit={onSubmit} className="form" data-testid="send-form" data-role={admin ? "admin" : "user"}>
      {admin ? (
        <p className="muted small" data-testid="send-permissions">
          You are an <strong>admin</strong>: you may send any kind to any audience.
        </p>
      ) : (
        <p className="muted small" data-testid="send-permissions">
          You may send messages and progress to yourself, to an article you wrote and to your own <Link href="/jobs">jobs</Link>.
          Redirects and the audiences all, authenticated, anonymous and other users are for admins.
        </p>
      )}
      <div className="row">
        <label className="field">
          <span>Audience</span>
          <select name="audience" value={audience} onChange={(event) => setAudience(event.target.value as Audience)}>
            {(admin ? ADMIN_AUDIENCES : USER_AUDIENCES).map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Kind</span>
          <select name="kind" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            <option value="message">message</option>
            {admin && <option value="redirect">redirect</option>}
            <option value="progress">progress</option>
          </select>
        </label>
      </div>

      <label className="field" hidden={!target}>
        <span>{target?.label ?? "Target"}</span>
        <input
          // A fresh input per audience, so the read-only own name never lingers in another field.
          key={ownName ? "own-name" : "target"}
          name="target"
          type="text"
          placeholder={target?.placeholder}
          disabled={!target}
          readOnly={ownName}
          defaultValue={ownName ? username : undefined}
          autoComplete="off"
        />
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
              Click URL <span className="muted">(optional{admin ? "" : ", a path on this site"})</span>
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
