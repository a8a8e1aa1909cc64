/**
 * The ONE way a socket comes to hold groups — the handshake's own groups, a `subscribe` frame
 * (channels or token), and the catch-up after a channel-layer outage all go through `join`:
 *
 *   1. subscribe the layer for the groups the socket does not hold yet (ref-counted per process);
 *      on failure undo what this join did and throw `JoinError`;
 *   2. hold the socket's live frames back (they wait in its join buffer);
 *   3. send what the store owes for these groups: inbox rows, rows missed since the client's
 *      position (within the recovery window), the latest progress of each group;
 *   4. send the held frames in id order, skipping ids already sent in 3 and progress older than
 *      what 3 sent.
 *
 * An inbox backlog longer than `inboxReplayMax` goes out one page per join: when the client acks
 * the last row of a full page, the gateway joins again with no new groups and the page's last id
 * as the position (`nextInboxPage`), so later pages keep the same order and once-only rules.
 *
 * Why this order closes every gap: the store is read only once the layer subscription is live,
 * so a row is either committed before the read (and in the replay) or published after the
 * subscription (and in the buffer) — or both, and then sent once. Frames of groups the socket
 * already held are held back too, so nothing live overtakes the replay.
 */
import type { NotificationStore } from "../store/types.js";
import type { Connection } from "./connection.js";
import type { GroupRegistry } from "./groups.js";
import { fetchReplay, type ReplayBatch } from "./replay-step.js";

/** Who is on each presence channel (`server/presence/`): told of every join and leave made here. */
export interface PresenceHooks {
  enter(connection: Connection, group: string): Promise<void>;
  exit(connection: Connection, group: string): void;
}

/** The channel layer could not be joined; nothing of the join was kept. */
export class JoinError extends Error {
  constructor(group: string, options: { cause: unknown }) {
    super(`Could not join ${group} on the channel layer.`, options);
    this.name = "JoinError";
  }
}

export interface JoinRequest {
  /** Groups to hold and to send stored rows for (held ones are not subscribed again). */
  groups: readonly string[];
  /** The client's position: stored rows of these groups above it are owed. Null = only the inbox and progress. */
  since: number | null;
  /** The user's inbox group when its pending rows are owed (connect, catch-up), else null. */
  inbox: string | null;
  /** Owe only inbox rows above `since` (catch-up: the others were delivered before the outage). */
  inboxAfterSince?: boolean;
  /**
   * Called after the replay went out and before the held live frames do: where `hello` or the
   * `subscribed` answer is sent, so a client sees replay, then the answer, then live frames.
   * Not called when the join fails.
   */
  onReplayed?: (joined: readonly string[]) => void;
}

export interface JoinPathOptions {
  store?: NotificationStore;
  /** How long a join waits for the store before going on without its replay. */
  replayTimeoutMs: number;
  logger: Pick<Console, "warn" | "error">;
  /** Presence of the groups that have it; none when absent. */
  presence?: PresenceHooks;
  /** Told how many rows each replay sent and how long fetching them took. */
  onReplayed?: (rows: number, seconds: number) => void;
}

export class JoinPath {
  constructor(
    private readonly registry: GroupRegistry<Connection>,
    private readonly options: JoinPathOptions,
  ) {}

  /**
   * Joins `request.groups` for `connection` and sends what it is owed, before any live frame of
   * them. Returns the groups newly joined. Throws `JoinError` (having undone its own joins) when
   * the layer cannot subscribe; the socket keeps what it held before.
   */
  async join(connection: Connection, request: JoinRequest): Promise<string[]> {
    connection.startBuffering();
    const sentIds = new Set<number>();
    const versions = new Map<string, number>();
    let corked = false;
    try {
      const joined = await this.subscribe(connection, request.groups);
      if (connection.closing) return joined;
      const batch = await this.owed(request);
      if (connection.closing) return joined;
      // The replay, the answer (`hello` / `subscribed`) and the held live frames all go out below,
      // in this one turn: one write to the socket for all of them instead of one each.
      corked = connection.cork();
      // The replay may be older than what this socket already got (an outage catch-up).
      for (const row of batch.rows) {
        connection.sendStored(row.text, row.id, row.inbox);
        sentIds.add(row.id);
      }
      for (const frame of batch.progress) {
        connection.sendStored(JSON.stringify(frame), null, false);
        if (frame.v !== undefined) versions.set(frame.channel, frame.v);
      }
      // A backlog longer than one page: the next page follows the client's ack of this one's last row.
      if (batch.inboxMoreAfter !== null) connection.inboxPageEnd = batch.inboxMoreAfter;
      request.onReplayed?.(joined);
      // After the answer: a socket is counted (and sent the presence) only once it holds the channel.
      const { presence, logger } = this.options;
      if (presence) {
        for (const group of joined) presence.enter(connection, group).catch((error: unknown) => logger.error(`[notifications] presence of ${group} failed`, error));
      }
      return joined;
    } finally {
      connection.finishBuffering(sentIds, versions);
      if (corked) connection.uncork();
    }
  }

  /**
   * Sends the next page of `connection`'s inbox backlog if `ackedIds` (acks just counted)
   * include the last row of the page it was sent; otherwise does nothing. Resolves when sent.
   */
  async nextInboxPage(connection: Connection, inbox: string, ackedIds: readonly number[]): Promise<void> {
    const end = connection.inboxPageEnd;
    if (end === null || !ackedIds.includes(end)) return;
    connection.inboxPageEnd = null;
    await this.join(connection, { groups: [], since: end, inbox, inboxAfterSince: true });
  }

  /** Leaves `group` (no replay involved). */
  leave(connection: Connection, group: string): void {
    connection.removeGroup(group);
    this.registry.leave(group, connection);
    this.options.presence?.exit(connection, group);
  }

  private async subscribe(connection: Connection, groups: readonly string[]): Promise<string[]> {
    const joined: string[] = [];
    for (const group of new Set(groups)) {
      if (connection.closing) break;
      if (!connection.addGroup(this.registry.intern(group))) continue;
      try {
        const pending = this.registry.join(group, connection);
        if (pending) await pending;
      } catch (error) {
        connection.removeGroup(group);
        for (const done of joined) this.leave(connection, done);
        throw new JoinError(group, { cause: error });
      }
      joined.push(group);
    }
    // The socket closed while the layer answered: it must not stay in the registry.
    if (connection.closing) for (const done of joined) this.leave(connection, done);
    return joined;
  }

  private async owed(request: JoinRequest): Promise<ReplayBatch> {
    const { store, replayTimeoutMs, logger, onReplayed } = this.options;
    if (!store) return { rows: [], progress: [], inboxMoreAfter: null };
    const started = performance.now();
    const batch = await fetchReplay(
      store,
      { groups: request.groups, userGroup: request.inbox, lastId: request.since, inboxAfterLastId: request.inboxAfterSince ?? false },
      { timeoutMs: replayTimeoutMs, logger },
    );
    onReplayed?.(batch.rows.length, (performance.now() - started) / 1_000);
    return batch;
  }
}
