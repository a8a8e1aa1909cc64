"use client";
/**
 * The "Delete my account" form: typing the username is the confirmation, checked again on the
 * server (deleteAccountAction), so a stray click deletes nothing.
 */

import { useActionState } from "react";
import { deleteAccountAction, type DeleteAccountState } from "../actions";

/** "Delete my account", confirmed by typing the username. */
export function DeleteAccountForm({ username }: { username: string }) {
  const [state, formAction, pending] = useActionState(deleteAccountAction, { error: null, at: 0 } as DeleteAccountState);
  return (
    <form action={formAction} className="form" data-testid="delete-account-form">
      <label className="field">
        <span>
          Type <code>{username}</code> to confirm
        </span>
        <input name="confirm" type="text" required autoComplete="off" autoCapitalize="none" spellCheck={false} />
      </label>
      {state.error && (
        <p className="form-error" role="alert" data-testid="delete-account-error" key={state.at}>
          {state.error}
        </p>
      )}
      <button type="submit" className="button button-danger" disabled={pending} data-testid="delete-account">
        {pending ? "Deleting…" : "Delete my account"}
      </button>
    </form>
  );
}
