/**
 * How the demo turns publish-request references into notification targets: usernames into
 * user ids, `<table>:<primary key>` into the row's page channel. Used by the HTTP publish
 * endpoint (`src/app/api/notifications/publish/route.ts`) and by the `send-notification` CLI
 * when it sends in-process.
 */
import { getTableName } from "drizzle-orm";
import { objectChannel } from "next-channels-broadcast/server";
import { findObjectByChannel } from "next-channels-broadcast/drizzle";
import type { ObjectResolution, TargetResolvers } from "next-channels-broadcast/server";
import { getReadyDb } from "./client";
import { articles, users } from "./schema";
import { findUserByUsername } from "./users";

/** The demo tables whose rows have page channels, by SQL table name. */
export const OBJECT_TABLES = [articles, users] as const;

/**
 * Resolvers over the demo database.
 *
 * @example
 * const { resolveUser } = demoTargetResolvers;
 * await resolveUser!("alice"); // "3f0c…" or null
 */
export const demoTargetResolvers: Required<TargetResolvers> = {
  async resolveUser(username: string) {
    return (await findUserByUsername(username))?.id ?? null;
  },
  async resolveObject(table: string, key: string): Promise<ObjectResolution> {
    const found = OBJECT_TABLES.find((candidate) => getTableName(candidate) === table);
    if (!found) return { error: "unknown-table" };
    // Throws InvalidNotificationError for a key the column cannot hold ("articles:abc").
    const channel = objectChannel(found, key);
    const row = await findObjectByChannel(await getReadyDb(), [found], channel);
    return row.ok ? { channel } : null;
  },
};
