/**
 * One contract for the notification store, run against PGlite (temp directory) and against a
 * throwaway PostgreSQL server, both migrated with the project's real migrations (drizzle/).
 * Time is the store's clock, moved by the tests: no sleeping.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDrizzleStore, storedWireText, type NotificationStore, type StorableFrame, type StoreSettings } from "../../packages/next-channels-broadcast/src/server/store";
import { createRevocationList } from "../../packages/next-channels-broadcast/src/server/auth/revocation";
import { IdempotencyConflictError } from "../../packages/next-channels-broadcast/src/shared/errors";
import type { ProgressFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { describeWithPostgres, startPostgresServer, type PostgresServer } from "../helpers/postgres-server";
import { openPgliteDatabase, openPostgresDatabase, type TestDatabase } from "./databases";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function message(text: string): StorableFrame {
  return { type: "message", text, cssClass: "info", clickURL: null, closeURL: null, hideCloseOption: false };
}

function progress(group: string, percent: string): ProgressFrame {
  return { type: "progress", progress: true, percent, channel: group };
}

function texts(rows: { text: string }[]): string[] {
  return rows.map((row) => (JSON.parse(row.text) as { text?: string; url?: string }).text ?? (JSON.parse(row.text) as { url: string }).url);
}

function storeContract(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase;
  let now = 0;
  const clock = () => new Date(now);
  const makeStore = (settings: Partial<StoreSettings> = {}): NotificationStore => createDrizzleStore(database.db, { env: {}, settings, clock });

  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.reset();
    now = Date.UTC(2030, 0, 1, 12, 0, 0);
  });

  describe("ids", () => {
    it("increase with every save, across groups and kinds, and the watermark follows", async () => {
      const store = makeStore();
      expect(await store.currentWatermark()).toBe(0);
      const first = await store.save("all", message("a"), { inbox: false });
      const second = await store.save("user:alice", message("b"), { inbox: true });
      const third = await store.save("job-1", { type: "redirect", url: "/done" }, { inbox: false });
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first);
      expect(third).toBeGreaterThan(second);
      expect(await store.currentWatermark()).toBe(third);
    });

    it("stay distinct and ordered under concurrent saves", async () => {
      const store = makeStore();
      const ids = await Promise.all(Array.from({ length: 25 }, (_, i) => store.save("all", message(`m${i}`), { inbox: false })));
      expect(new Set(ids).size).toBe(25);
      expect(await store.currentWatermark()).toBe(Math.max(...ids));
      const replayed = await store.missedSince(["all"], 0);
      expect(replayed.map((row) => row.id)).toEqual([...ids].sort((a, b) => a - b));
    });

    it("are written into the replayed frame, right after its type", async () => {
      const store = makeStore();
      const id = await store.save("user:alice", message("hello"), { inbox: true });
      const [row] = await store.pendingInbox("user:alice");
      expect(row?.text).toBe(`{"type":"message","id":${id},"ack":true,"text":"hello","cssClass":"info","clickURL":null,"closeURL":null,"hideCloseOption":false}`);
      expect(row).toMatchObject({ id, group: "user:alice", inbox: true });
    });
  });

  describe("idempotency keys", () => {
    /** Rows stored under `key` (all rows when null). */
    const rowCount = async (key?: string): Promise<number> => {
      const result = await database.db.execute(
        key === undefined ? sql`select count(*)::int as n from ncb_notifications` : sql`select count(*)::int as n from ncb_notifications where idempotency_key = ${key}`,
      );
      const rows = (Array.isArray(result) ? result : (result as { rows: { n: number }[] }).rows) as { n: number }[];
      return Number(rows[0]!.n);
    };

    it("the same key twice stores one row and answers the same id", async () => {
      const store = makeStore();
      const first = await store.save("user:alice", message("once"), { inbox: true, idempotencyKey: "k-1" });
      const again = await store.save("user:alice", message("once"), { inbox: true, idempotencyKey: "k-1" });
      expect(again).toBe(first);
      expect(await rowCount()).toBe(1);
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["once"]);
      // A later keyless save still gets a larger id.
      expect(await store.save("user:alice", message("next"), { inbox: true })).toBeGreaterThan(first);
    });

    it("different keys store different rows", async () => {
      const store = makeStore();
      const a = await store.save("all", message("a"), { inbox: false, idempotencyKey: "k-a" });
      const b = await store.save("all", message("b"), { inbox: false, idempotencyKey: "k-b" });
      expect(b).toBeGreaterThan(a);
      expect(await rowCount()).toBe(2);
      expect(texts(await store.missedSince(["all"], 0))).toEqual(["a", "b"]);
    });

    it("concurrent saves with one key store exactly one row, and all answer its id", async () => {
      const store = makeStore();
      const ids = await Promise.all(Array.from({ length: 10 }, () => store.save("all", message("raced"), { inbox: false, idempotencyKey: "k-race" })));
      expect(new Set(ids).size).toBe(1);
      expect(await rowCount("k-race")).toBe(1);
      expect(await rowCount()).toBe(1);
      expect(await store.currentWatermark()).toBe(ids[0]);
    });

    it("concurrent keyed and keyless saves keep ids distinct and ordered", async () => {
      const store = makeStore();
      const saves = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? store.save("all", message(`k-${i % 4}`), { inbox: false, idempotencyKey: `k-${i % 4}` }) : store.save("all", message(`m${i}`), { inbox: false }),
      );
      const ids = await Promise.all(saves);
      // Keys k-0 and k-2 were each used five times: 2 keyed rows + 10 keyless ones.
      expect(await rowCount()).toBe(12);
      expect(new Set(ids.filter((_, i) => i % 2 === 1)).size).toBe(10);
      const replayed = (await store.missedSince(["all"], 0)).map((row) => row.id);
      expect(replayed).toEqual([...new Set(ids)].sort((a, b) => a - b));
    });

    it("null and absent keys are unaffected: every save is a row", async () => {
      const store = makeStore();
      const ids = [
        await store.save("all", message("x"), { inbox: false }),
        await store.save("all", message("x"), { inbox: false, idempotencyKey: null }),
        await store.save("all", message("x"), { inbox: false, idempotencyKey: undefined }),
      ];
      expect(new Set(ids).size).toBe(3);
      expect(await rowCount()).toBe(3);
    });

    it("is scoped to the recipient and the kind: the same key for another user or kind is another send", async () => {
      const store = makeStore();
      const alice = await store.save("user:alice", message("shipped"), { inbox: true, idempotencyKey: "order-1" });
      const bob = await store.save("user:bob", message("shipped"), { inbox: true, idempotencyKey: "order-1" });
      const redirect = await store.save("user:alice", { type: "redirect", url: "/orders/1" }, { inbox: true, idempotencyKey: "order-1" });
      expect(new Set([alice, bob, redirect]).size).toBe(3);
      expect(await rowCount("order-1")).toBe(3);
      expect(texts(await store.pendingInbox("user:bob"))).toEqual(["shipped"]);
    });

    it("refuses a reuse with different content, naming the existing row, and stores nothing", async () => {
      const store = makeStore();
      const first = await store.save("user:alice", message("Order 1 shipped"), { inbox: true, idempotencyKey: "order-1" });
      const refused = await store.save("user:alice", message("Order 2 shipped"), { inbox: true, idempotencyKey: "order-1" }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(IdempotencyConflictError);
      expect(refused).toMatchObject({ code: "IDEMPOTENCY_CONFLICT", existingId: first });
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["Order 1 shipped"]);
      expect(await rowCount()).toBe(1);
    });

    it("expires with its row: after the cleanup the key stores a new row", async () => {
      const store = makeStore({ recoveryWindowMs: MINUTE });
      const first = await store.save("all", message("old"), { inbox: false, idempotencyKey: "k-expiring" });
      now += 2 * MINUTE;
      expect(await store.deleteExpired()).toBe(1);
      const second = await store.save("all", message("new"), { inbox: false, idempotencyKey: "k-expiring" });
      expect(second).toBeGreaterThan(first);
      expect(await rowCount("k-expiring")).toBe(1);
    });
  });

  describe("inbox", () => {
    it("stays pending, oldest first, until acknowledged; then it is gone for every tab", async () => {
      const store = makeStore();
      const a = await store.save("user:alice", message("a"), { inbox: true });
      const b = await store.save("user:alice", message("b"), { inbox: true });
      await store.save("user:bob", message("for bob"), { inbox: true });
      await store.save("all", message("broadcast"), { inbox: false });
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["a", "b"]);
      expect(await store.pendingInbox("user:alice")).toHaveLength(2); // reading does not consume

      expect(await store.ackInbox([{ group: "user:alice", id: a }])).toBe(1);
      expect((await store.pendingInbox("user:alice")).map((row) => row.id)).toEqual([b]);
      // A second ack (another tab, or a retry) changes nothing.
      expect(await store.ackInbox([{ group: "user:alice", id: a }])).toBe(0);
      expect((await store.pendingInbox("user:alice")).map((row) => row.id)).toEqual([b]);
      expect(texts(await store.pendingInbox("user:bob"))).toEqual(["for bob"]);
    });

    it("is bounded, oldest first", async () => {
      const store = makeStore({ inboxReplayMax: 3 });
      for (let i = 0; i < 5; i++) await store.save("user:alice", message(`m${i}`), { inbox: true });
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["m0", "m1", "m2"]);
      expect(texts(await store.pendingInbox("user:alice", { limit: 1 }))).toEqual(["m0"]);
    });

    it("is not replayed once expired", async () => {
      const store = makeStore({ inboxRetentionMs: DAY });
      await store.save("user:alice", message("old"), { inbox: true });
      now += DAY / 2;
      await store.save("user:alice", message("new"), { inbox: true });
      now += DAY / 2 + 1;
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["new"]);
    });

    it("keeps broadcast rows out of the inbox and inbox rows out of recovery", async () => {
      const store = makeStore();
      await store.save("user:alice", message("inbox"), { inbox: true });
      await store.save("all", message("broadcast"), { inbox: false });
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["inbox"]);
      expect(texts(await store.missedSince(["all", "user:alice"], 0))).toEqual(["broadcast"]);
    });
  });

  describe("ackInbox", () => {
    it("marks many rows of many users in one call, each only in its own group", async () => {
      const store = makeStore();
      const a1 = await store.save("user:alice", message("a1"), { inbox: true });
      const a2 = await store.save("user:alice", message("a2"), { inbox: true });
      const b1 = await store.save("user:bob", message("b1"), { inbox: true });
      const marked = await store.ackInbox([
        { group: "user:alice", id: a1 },
        { group: "user:bob", id: b1 },
        { group: "user:bob", id: a2 }, // alice's row acked as bob's: ignored
      ]);
      expect(marked).toBe(2);
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["a2"]);
      expect(await store.pendingInbox("user:bob")).toEqual([]);
    });

    it("changes nothing for another user's row, unknown or malformed ids, or an empty batch", async () => {
      const store = makeStore();
      const id = await store.save("user:alice", message("private"), { inbox: true });
      expect(await store.ackInbox([{ group: "user:bob", id }])).toBe(0);
      expect(await store.ackInbox([{ group: "user:alice2", id }])).toBe(0);
      expect(await store.ackInbox([])).toBe(0);
      for (const bad of [id + 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2, "1" as unknown as number, null as unknown as number]) {
        expect({ bad, marked: await store.ackInbox([{ group: "user:alice", id: bad }]) }).toEqual({ bad, marked: 0 });
      }
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["private"]);
    });

    it("never hides a broadcast row (only inbox rows take acks)", async () => {
      const store = makeStore();
      const id = await store.save("all", message("news"), { inbox: false });
      expect(await store.ackInbox([{ group: "all", id }])).toBe(0);
      expect(texts(await store.missedSince(["all"], 0))).toEqual(["news"]);
    });

    it("is one statement for a large batch", async () => {
      const store = makeStore();
      const ids: number[] = [];
      for (let i = 0; i < 300; i++) ids.push(await store.save("user:alice", message(`m${i}`), { inbox: true }));
      expect(await store.ackInbox(ids.map((id) => ({ group: "user:alice", id })))).toBe(300);
      expect(await store.pendingInbox("user:alice")).toEqual([]);
    });
  });

  describe("wire text", () => {
    it("puts id after type and asks for an ack on inbox rows only", async () => {
      const store = makeStore();
      const inbox = await store.save("user:alice", message("mine"), { inbox: true });
      const broadcast = await store.save("all", message("ours"), { inbox: false });
      const [pending] = await store.pendingInbox("user:alice");
      const [missed] = await store.missedSince(["all"], 0);
      expect(pending!.text).toBe(`{"type":"message","id":${inbox},"ack":true,"text":"mine","cssClass":"info","clickURL":null,"closeURL":null,"hideCloseOption":false}`);
      expect(missed!.text).toBe(`{"type":"message","id":${broadcast},"text":"ours","cssClass":"info","clickURL":null,"closeURL":null,"hideCloseOption":false}`);
      expect(pending!.text).toBe(storedWireText(message("mine"), inbox, true));
    });
  });

  describe("revocations", () => {
    it("records sessions and users, answers only what is revoked and not expired, and only moves forward", async () => {
      const store = makeStore();
      const revokedAt = now;
      await store.revoke({ sessionId: "s-1" }, { expiresAt: new Date(now + DAY) });
      await store.revoke({ userId: "42" }, { at: new Date(now - MINUTE), expiresAt: new Date(now + DAY) });
      // An older revocation of the same subject does not move it back.
      await store.revoke({ userId: "42" }, { at: new Date(now - DAY), expiresAt: new Date(now + MINUTE) });
      const found = await store.revocations([{ sessionId: "s-1" }, { sessionId: "s-2" }, { userId: "42" }, { userId: "7" }]);
      expect(Object.fromEntries(found)).toEqual({ "session:s-1": revokedAt, "user:42": revokedAt - MINUTE });
      expect((await store.revocations([])).size).toBe(0);

      now += DAY + 1;
      expect((await store.revocations([{ sessionId: "s-1" }, { userId: "42" }])).size).toBe(0);
      expect(await store.deleteExpired()).toBe(2);
    });

    it("a storm of handshakes checks revocation in a few queries, each handshake answered for its own session", async () => {
      const store = makeStore();
      await store.revoke({ sessionId: "signed-out" }, { expiresAt: new Date(now + DAY) });
      let queries = 0;
      const counting: NotificationStore = { ...store, revocations: (subjects) => ((queries += 1), store.revocations(subjects)) };
      const list = createRevocationList({ store: counting });
      const users = Array.from({ length: 300 }, (_, index) => ({ id: `u${index}`, sessionId: index === 123 ? "signed-out" : `s${index}`, expiresAt: null, issuedAt: now }));
      const answers = await Promise.all(users.map((user) => list.isRevoked(user)));
      expect(answers.flatMap((revoked, index) => (revoked ? [index] : []))).toEqual([123]);
      // All made in the same run: one query for the 300.
      expect(queries).toBe(1);
      expect(await list.isRevoked(users[5]!)).toBe(false);
      expect(queries).toBe(2);
    });
  });

  describe("replay reads under a reconnect storm", () => {
    it("are a few statements for 200 sockets at once, each socket answered with its own rows", async () => {
      let statements = 0;
      const counted = new Proxy(database.db, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (key !== "execute" || typeof value !== "function") return value;
          return (...args: unknown[]) => ((statements += 1), (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
      const store = createDrizzleStore(counted, { env: {}, clock, settings: { recoveryMaxMessages: 2 } });
      const users = Array.from({ length: 200 }, (_, index) => index);
      const position = await store.currentWatermark();
      for (const user of users) await store.save(`user:u${user}`, message(`for u${user}`), { inbox: true });
      for (let channel = 0; channel < 3; channel++) {
        for (let n = 0; n < 3; n++) await store.save(`chan-${channel}`, message(`chan-${channel} #${n}`), { inbox: false });
        await store.saveProgress(`job-${channel}`, progress(`job-${channel}`, `${channel * 10}%`));
      }
      const acked = await store.save("user:u7", message("already acked"), { inbox: true });
      await store.ackInbox([{ group: "user:u7", id: acked }]);

      statements = 0;
      const answers = await Promise.all(
        users.map((user) =>
          Promise.all([
            store.pendingInbox(`user:u${user}`),
            store.missedSince([`chan-${user % 3}`, "nobody"], position),
            store.latestProgress([`job-${user % 3}`, "job-none"]),
          ]),
        ),
      );
      answers.forEach(([inbox, missed, latest], user) => {
        expect(texts(inbox)).toEqual([`for u${user}`]);
        // The newest two of its own channel (recoveryMaxMessages), oldest of them first.
        expect(texts(missed)).toEqual([`chan-${user % 3} #1`, `chan-${user % 3} #2`]);
        expect(latest.map((frame) => [frame.channel, frame.percent])).toEqual([[`job-${user % 3}`, `${(user % 3) * 10}%`]]);
      });
      // The 600 reads of three kinds were made in the same run: one statement for all of them.
      expect(statements).toBe(1);

      // A lone join's three reads: one statement too; and two recovery windows in one batch each
      // keep their own window.
      now += 10_000;
      statements = 0;
      const [inbox, narrow, wide, latest] = await Promise.all([
        store.pendingInbox("user:u3"),
        store.missedSince(["chan-0"], position, { windowMs: 5_000, limit: 5 }),
        store.missedSince(["chan-0"], position, { limit: 5 }),
        store.latestProgress(["job-1"]),
      ]);
      expect(statements).toBe(1);
      expect(texts(inbox)).toEqual(["for u3"]);
      // Stored 10 s ago: outside a 5 s window, inside the default 2 minutes.
      expect(texts(narrow)).toEqual([]);
      expect(texts(wide)).toEqual(["chan-0 #0", "chan-0 #1", "chan-0 #2"]);
      expect(latest.map((frame) => frame.percent)).toEqual(["10%"]);
    });
  });

  describe("notification center", () => {
    async function seed(store: NotificationStore, group: string, count: number): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) ids.push(await store.save(group, message(`${group} #${i}`), { inbox: true }));
      return ids;
    }
    const textsOf = (rows: { frame: string }[]) => rows.map((row) => (JSON.parse(row.frame) as { text: string }).text);

    it("lists a user's messages newest first, page by page, with states; other users, redirects and broadcasts are not in it", async () => {
      const store = makeStore();
      const center = store.center!;
      const ids = await seed(store, "user:alice", 5);
      await seed(store, "user:bob", 2);
      await store.save("user:alice", { type: "redirect", url: "/x" }, { inbox: true });
      await store.save("all", message("broadcast"), { inbox: false });
      const first = await center.list("user:alice", { filter: "all", limit: 3 });
      expect(textsOf(first)).toEqual(["user:alice #4", "user:alice #3", "user:alice #2"]);
      const second = await center.list("user:alice", { filter: "all", limit: 3, beforeId: first.at(-1)!.id });
      expect(textsOf(second)).toEqual(["user:alice #1", "user:alice #0"]);
      expect(first[0]).toMatchObject({ id: ids[4], seenAt: null, readAt: null, archivedAt: null });
      expect(first[0]!.createdAt.getTime()).toBe(now);
      expect(await center.countUnread("user:alice")).toBe(5);
      expect(await center.countUnread("user:bob")).toBe(2);
    });

    it("read, unread, seen, archived: one user's rows only, all or nothing, and the count follows", async () => {
      const store = makeStore();
      const center = store.center!;
      const [a0, a1, a2] = await seed(store, "user:alice", 3);
      const [b0] = await seed(store, "user:bob", 1);
      expect(await center.mark("user:alice", [a0!, a1!], "read")).toEqual({ changed: 2, missing: [] });
      expect(await center.countUnread("user:alice")).toBe(1);
      const read = await center.list("user:alice", { filter: "all", limit: 10 });
      expect(read.find((row) => row.id === a0)).toMatchObject({ readAt: new Date(now), seenAt: new Date(now) });
      expect(textsOf(await center.list("user:alice", { filter: "unread", limit: 10 }))).toEqual(["user:alice #2"]);

      // Bob's id among alice's: nothing changes, and it is named.
      expect(await center.mark("user:alice", [a2!, b0!], "read")).toEqual({ changed: 0, missing: [b0] });
      expect(await center.countUnread("user:alice")).toBe(1);
      expect(await center.countUnread("user:bob")).toBe(1);
      expect(await center.mark("user:alice", [999_999], "archived")).toEqual({ changed: 0, missing: [999_999] });

      expect(await center.mark("user:alice", [a0!], "unread")).toEqual({ changed: 1, missing: [] });
      expect(await center.countUnread("user:alice")).toBe(2);
      expect(await center.mark("user:alice", [a2!], "archived")).toEqual({ changed: 1, missing: [] });
      expect(textsOf(await center.list("user:alice", { filter: "archived", limit: 10 }))).toEqual(["user:alice #2"]);
      expect(textsOf(await center.list("user:alice", { filter: "all", limit: 10 }))).toEqual(["user:alice #1", "user:alice #0"]);
      expect(await center.countUnread("user:alice")).toBe(1);
      expect(await center.mark("user:alice", "all", "read")).toEqual({ changed: 3, missing: [] });
      expect(await center.countUnread("user:alice")).toBe(0);
      expect(await center.countUnread("user:bob")).toBe(1);
      // Seen is not read; a delivery ack is neither.
      const [c0] = await seed(store, "user:carol", 1);
      await store.ackInbox([{ group: "user:carol", id: c0! }]);
      expect(await center.mark("user:carol", [c0!], "seen")).toEqual({ changed: 1, missing: [] });
      expect(await center.countUnread("user:carol")).toBe(1);
    });

    it("keeps messages for the center's retention, past the inbox's, then the cleanup deletes them", async () => {
      const store = makeStore({ inboxRetentionMs: DAY, centerRetentionMs: 10 * DAY });
      const center = store.center!;
      await seed(store, "user:alice", 1);
      now += 2 * DAY;
      expect(await store.pendingInbox("user:alice")).toEqual([]); // no longer replayed…
      expect(await store.deleteExpired()).toBe(0); // …but kept…
      expect(await center.countUnread("user:alice")).toBe(1); // …and still in the center
      now += 9 * DAY;
      expect(await center.countUnread("user:alice")).toBe(0);
      expect(await store.deleteExpired()).toBe(1);
    });
  });

  describe("missedSince", () => {
    it("returns only rows after afterId, of the given groups, in id order", async () => {
      const store = makeStore();
      const first = await store.save("all", message("one"), { inbox: false });
      await store.save("all", message("two"), { inbox: false });
      await store.save("job-1", message("job"), { inbox: false });
      await store.save("job-2", message("other job"), { inbox: false });
      expect(texts(await store.missedSince(["all", "job-1"], first))).toEqual(["two", "job"]);
      expect(texts(await store.missedSince(["all", "job-1"], 0))).toEqual(["one", "two", "job"]);
      expect(await store.missedSince(["all"], await store.currentWatermark())).toEqual([]);
      expect(await store.missedSince([], 0)).toEqual([]);
    });

    it("respects the recovery window", async () => {
      const store = makeStore({ recoveryWindowMs: 2 * MINUTE });
      await store.save("all", message("too old"), { inbox: false });
      now += 2 * MINUTE + 1;
      await store.save("all", message("recent"), { inbox: false });
      now += MINUTE;
      expect(texts(await store.missedSince(["all"], 0))).toEqual(["recent"]);
      expect(texts(await store.missedSince(["all"], 0, { windowMs: 10 * MINUTE }))).toEqual(["too old", "recent"]);
      expect(await store.missedSince(["all"], 0, { windowMs: 0 })).toEqual([]);
    });

    it("returns at most the count setting: the newest rows, oldest of them first", async () => {
      const store = makeStore({ recoveryMaxMessages: 3 });
      for (let i = 0; i < 6; i++) await store.save("all", message(`m${i}`), { inbox: false });
      expect(texts(await store.missedSince(["all"], 0))).toEqual(["m3", "m4", "m5"]);
      expect(texts(await store.missedSince(["all"], 0, { limit: 2 }))).toEqual(["m4", "m5"]);
    });

    it("ignores a malformed afterId", async () => {
      const store = makeStore();
      await store.save("all", message("x"), { inbox: false });
      for (const bad of [-1, 1.5, Number.NaN, "0" as unknown as number]) expect(await store.missedSince(["all"], bad)).toEqual([]);
    });
  });

  describe("progress", () => {
    it("keeps only the latest value per group", async () => {
      const store = makeStore();
      await store.saveProgress("job-1", progress("job-1", "10%"));
      await store.saveProgress("job-1", progress("job-1", "60%"));
      await store.saveProgress("user:alice", progress("user:alice", "5%"));
      const latest = await store.latestProgress(["job-1", "user:alice", "job-2"]);
      expect(latest.sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
        { ...progress("job-1", "60%"), v: 2 },
        { ...progress("user:alice", "5%"), v: 1 },
      ]);
      expect(await store.latestProgress(["job-2"])).toEqual([]);
      expect(await store.latestProgress([])).toEqual([]);
      // Progress never takes an id.
      expect(await store.currentWatermark()).toBe(0);
    });

    it("answers a version that grows with every update, also under concurrent updates", async () => {
      const store = makeStore();
      expect(await store.saveProgress("job-1", progress("job-1", "1%"))).toBe(1);
      const versions = await Promise.all(Array.from({ length: 10 }, (_, i) => store.saveProgress("job-1", progress("job-1", `${i + 2}%`))));
      expect([...versions].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      const [latest] = await store.latestProgress(["job-1"]);
      expect(latest!.v).toBe(11);
      // The stored value is the one that got the highest version.
      expect(latest!.percent).toBe(`${versions.indexOf(11) + 2}%`);
    });
  });

  describe("deleteExpired", () => {
    it("removes expired rows only", async () => {
      const store = makeStore({ inboxRetentionMs: DAY, recoveryWindowMs: 2 * MINUTE, centerRetentionMs: DAY }) // the center keeps them no longer than the inbox;
      const oldInbox = await store.save("user:alice", message("old inbox"), { inbox: true });
      await store.save("all", message("old broadcast"), { inbox: false });
      await store.saveProgress("job-old", progress("job-old", "100%"));
      now += DAY - MINUTE;
      await store.save("user:alice", message("fresh inbox"), { inbox: true });
      await store.save("all", message("fresh broadcast"), { inbox: false });
      await store.saveProgress("job-new", progress("job-new", "50%"));
      now += MINUTE; // old inbox: exactly at its expiry; old broadcast: long past it

      expect(await store.deleteExpired()).toBe(3); // old inbox, old broadcast, old progress
      expect(texts(await store.pendingInbox("user:alice"))).toEqual(["fresh inbox"]);
      expect(texts(await store.missedSince(["all"], 0))).toEqual(["fresh broadcast"]);
      expect((await store.latestProgress(["job-old", "job-new"])).map((frame) => frame.channel)).toEqual(["job-new"]);
      expect(await store.ackInbox([{ group: "user:alice", id: oldInbox }])).toBe(0);
      expect(await store.deleteExpired()).toBe(0);
      // An explicit time works too.
      expect(await store.deleteExpired(new Date(now + 2 * DAY))).toBe(3);
    });

    it("runs periodically once started, and stops", async () => {
      const store = makeStore({ recoveryWindowMs: MINUTE });
      await store.save("all", message("short-lived"), { inbox: false });
      now += 2 * MINUTE;
      const deleted = await new Promise<number>((resolve, reject) => {
        const stop = store.startCleanup({
          intervalMs: 10,
          onRun: (count) => {
            stop();
            resolve(count);
          },
          onError: reject,
        });
      });
      expect(deleted).toBe(1);
      await store.close();
    });
  });
}

describe("notification store on PGlite", () => {
  storeContract(() => openPgliteDatabase());
});

describeWithPostgres("notification store on PostgreSQL", () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgresServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  storeContract(() => openPostgresDatabase(server!.url));
});
