/**
 * How a stored notification looks on the wire, in one place: the live publish of a send and
 * every replay of it produce the same text, so a browser sees one frame whichever path it took.
 */
import type { RevocationSubject, StorableFrame } from "./types.js";

/**
 * The wire text of a stored frame: `type`, then `id`, then `"ack":true` for a user's inbox row
 * (the one kind of frame a client must acknowledge), then the frame's own fields.
 *
 * @example
 * storedWireText({ type: "redirect", url: "/done" }, 18, true) // '{"type":"redirect","id":18,"ack":true,"url":"/done"}'
 */
export function storedWireText(frame: StorableFrame, id: number, inbox: boolean): string {
  const { type, ...fields } = frame as StorableFrame & { id?: unknown; ack?: unknown };
  delete (fields as { id?: unknown }).id;
  delete (fields as { ack?: unknown }).ack;
  return JSON.stringify(inbox ? { type, id, ack: true, ...fields } : { type, id, ...fields });
}

/**
 * The store key of a revocation subject.
 *
 * @example
 * revocationKey({ sessionId: "3f1c…" }) // "session:3f1c…"
 * revocationKey({ userId: "42" })       // "user:42"
 */
export function revocationKey(subject: RevocationSubject): string {
  return "sessionId" in subject ? `session:${subject.sessionId}` : `user:${subject.userId}`;
}
