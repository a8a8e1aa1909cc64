/**
 * The notification center's server API end to end: real PGlite store, real gateway, real
 * sockets. Pages and counts; typed errors for bad cursors and other users' ids (nothing
 * changed); every change reaches all of the user's tabs as a live `ncb:center` event, and no one
 * else's.
 */
import { describe, expect, it } from "vitest";
import * as api from "../../packages/next-channels-broadcast/src/server";
import { CENTER_EVENT, createCenterApi } from "../../packages/next-channels-broadcast/src/server/center";
import { InvalidNotificationError, StoreError, UnknownNotificationError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { startTestGateway, type TestClient } from "../helpers/gateway-server";
import { replayServerPerTest } from "../replay/harness";

const replay = replayServerPerTest();

const centerEvents = (client: TestClient) => client.frames.filter((frame): frame is Extract<ServerFrame, { type: "event" }> => frame.type === "event" && frame.event === CENTER_EVENT);

async function sendAndWait(client: TestClient, user: string, text: string): Promise<number> {
  await api.sendToUser(user, text);
  const frame = (await client.next((candidate) => candidate.type === "message" && candidate.text === text)) as { id: number };
  return frame.id;
}

describe("notification center API", () => {
  it("pages a user's messages newest first with the unread count; a bad cursor is a typed error", async () => {
    const server = await replay.start();
    const alice = await server.connect({ userId: "alice" });
    for (const text of ["one", "two", "three"]) await sendAndWait(alice, "alice", text);

    const first = await api.listNotifications("alice", { limit: 2 });
    expect(first.items.map((item) => item.text)).toEqual(["three", "two"]);
    expect(first.unread).toBe(3);
    expect(first.items[0]).toMatchObject({ level: "info", clickURL: null, readAt: null, seenAt: null, archivedAt: null });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await api.listNotifications("alice", { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((item) => item.text)).toEqual(["one"]);
    expect(second.nextCursor).toBeNull();

    for (const cursor of ["garbage", "YzEuLTE", btoa("c2.5")]) {
      const error = await api.listNotifications("alice", { cursor }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidNotificationError);
      expect((error as InvalidNotificationError).code).toBe("INVALID_CURSOR");
    }
    await expect(api.listNotifications("alice", { limit: 0 })).rejects.toThrow(InvalidNotificationError);
    await expect(api.listNotifications("alice", { filter: "starred" as never })).rejects.toThrow(/filter/);
  });

  it("a change reaches every tab of the user live, not another user's; foreign ids change nothing", async () => {
    const server = await replay.start();
    const [tab1, tab2, bob] = await Promise.all([server.connect({ userId: "alice" }), server.connect({ userId: "alice" }), server.connect({ userId: "bob" })]);
    const first = await sendAndWait(tab1, "alice", "first");
    await sendAndWait(tab1, "alice", "second");
    const bobs = await sendAndWait(bob, "bob", "bob's");

    await expect(api.markRead("alice", [first])).resolves.toEqual({ changed: 1, unread: 1 });
    for (const tab of [tab1, tab2]) {
      const event = await tab.next((frame) => frame.type === "event" && frame.event === CENTER_EVENT);
      expect(event).toEqual({ type: "event", event: CENTER_EVENT, channel: "user:alice", data: { change: "read", ids: [first], unread: 1 } });
    }

    const error = await api.markRead("alice", [bobs, first]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownNotificationError);
    expect((error as UnknownNotificationError).ids).toEqual([bobs]);
    expect(await api.countUnread("bob")).toBe(1);

    await expect(api.markRead("alice", "all")).resolves.toEqual({ changed: 2, unread: 0 });
    await tab2.next((frame) => frame.type === "event" && frame.event === CENTER_EVENT && (frame.data as { ids: unknown }).ids === "all");
    await expect(api.markUnread("alice", [first])).resolves.toEqual({ changed: 1, unread: 1 });
    await expect(api.archive("alice", [first])).resolves.toEqual({ changed: 1, unread: 0 });
    expect((await api.listNotifications("alice", { filter: "archived" })).items.map((item) => item.id)).toEqual([first]);
    await expect(api.unarchive("alice", [first])).resolves.toEqual({ changed: 1, unread: 1 });

    // Bob was told nothing about alice's changes: a marker on his own group came after them all.
    await sendAndWait(bob, "bob", "marker");
    expect(centerEvents(bob)).toEqual([]);
    await expect(api.markRead("alice", "everything" as never)).rejects.toThrow(InvalidNotificationError);
    await expect(api.markUnread("alice", "all" as never)).rejects.toThrow(InvalidNotificationError);
  });

  it("without a store it says so with StoreError", async () => {
    const gateway = await startTestGateway();
    try {
      const center = createCenterApi(() => gateway.runtime);
      await expect(center.countUnread("alice")).rejects.toBeInstanceOf(StoreError);
    } finally {
      await gateway.close();
    }
  });
});
