"use server";
/**
 * The notification center's server actions for the signed-in user: the thin wrappers `useInbox`
 * calls. The user is always the session's, never an id from the browser.
 */
import { currentUser } from "@/auth";
import { archive, listNotifications, markRead, type CenterChangeResult, type CenterPage } from "next-channels-broadcast/server";

async function userId(): Promise<string> {
  const user = await currentUser();
  if (!user) throw new Error("Sign in to see your notifications.");
  return user.id;
}

/** A page of the signed-in user's notifications (`cursor`: the previous page's `nextCursor`). */
export async function loadInbox(cursor: string | null): Promise<CenterPage> {
  return listNotifications(await userId(), { cursor });
}

/** Marks the signed-in user's notifications read (`"all"` for every one). */
export async function markInboxRead(ids: number[] | "all"): Promise<CenterChangeResult> {
  return markRead(await userId(), ids);
}

/** Archives the signed-in user's notifications. */
export async function archiveInbox(ids: number[]): Promise<CenterChangeResult> {
  return archive(await userId(), ids);
}
