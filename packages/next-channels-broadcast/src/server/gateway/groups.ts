/**
 * Local group membership for one gateway process. The channel layer is subscribed to a group
 * only while this process holds at least one socket in it, and unsubscribed when the last
 * one leaves, so a process listens only for what it can deliver.
 */
import type { ChannelLayer } from "../layer/types.js";
import { parseControlMessage } from "./control.js";
import { prepareTextFrame, readStoredId } from "./frame.js";

/** Anything that can receive a frame: a gateway connection. */
export interface GroupMember {
  /**
   * Delivers one pre-serialised frame. `wire`, when given, is the same frame already framed
   * for the websocket (built once per message, see `frame.ts`); `id` and `ack` are the frame's
   * stored id and ack request (read once per message). Must not throw.
   */
  deliver(frame: Buffer, wire?: Buffer, id?: number | null, ack?: boolean): void;
  /** Handles a control message (see `control.ts`). Must not throw. */
  control(action: string): void;
}

interface GroupRecord<M extends GroupMember> {
  /** The group's name as first joined: members keep this one string rather than copies. */
  name: string;
  members: Set<M>;
  /** Resolves to the layer unsubscribe function once the layer subscription is active. */
  ready: Promise<() => void>;
  /** `ready` has resolved: a publish to the group reaches every member from now on. */
  live: boolean;
}

export class GroupRegistry<M extends GroupMember> {
  private readonly groups = new Map<string, GroupRecord<M>>();

  /**
   * @param onFanOut called once per published frame (not per socket) with the group, the frame
   *   and how many local members it was handed to: the hook metrics count deliveries with.
   */
  constructor(
    private readonly layer: ChannelLayer,
    private readonly onFanOut?: (group: string, frame: string, members: number) => void,
  ) {}

  /**
   * Adds `member` to `group`. Returns undefined when a publish to the group already reaches it (the
   * layer subscription is live: the usual case, a group other sockets of this process hold), else a
   * promise that resolves once it will. That promise rejects if the layer cannot subscribe (the
   * member is not left half-joined). No promise in the usual case: a reconnect storm joins
   * thousands of sockets a second to groups the process already holds.
   *
   * @example
   * const pending = registry.join("user:42", connection);
   * if (pending) await pending;
   */
  join(group: string, member: M): Promise<void> | undefined {
    let record = this.groups.get(group);
    if (!record) {
      const members = new Set<M>();
      const created: GroupRecord<M> = { name: group, members, ready: this.layer.subscribe(group, (frame) => this.fanOut(group, members, frame)), live: false };
      this.groups.set(group, created);
      created.ready.then(
        () => void (created.live = true),
        () => {
          if (this.groups.get(group) === created) this.groups.delete(group);
        },
      );
      record = created;
    }
    record.members.add(member);
    if (record.live) return undefined;
    return this.untilLive(record, member);
  }

  private async untilLive(record: GroupRecord<M>, member: M): Promise<void> {
    try {
      await record.ready;
    } catch (error) {
      record.members.delete(member);
      throw error;
    }
  }

  /** Removes `member` from `group`; the last member out unsubscribes the layer. */
  leave(group: string, member: M): void {
    const record = this.groups.get(group);
    if (!record || !record.members.delete(member)) return;
    if (record.members.size > 0) return;
    this.groups.delete(group);
    record.ready.then((unsubscribe) => unsubscribe()).catch(() => undefined);
  }

  /**
   * `group` as the registry already stores it, when some member is in it: a socket that keeps this
   * one shares the string with every other member (`user:42` made per handshake would be a copy
   * per socket).
   */
  intern(group: string): string {
    return this.groups.get(group)?.name ?? group;
  }

  /** Number of local members of `group` (0 when none). */
  size(group: string): number {
    return this.groups.get(group)?.members.size ?? 0;
  }

  /** Names of the groups this process currently listens to. */
  names(): string[] {
    return [...this.groups.keys()];
  }

  /** Unsubscribes everything (shutdown). */
  async clear(): Promise<void> {
    const records = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(records.map((record) => record.ready.then((unsubscribe) => unsubscribe()).catch(() => undefined)));
  }

  /**
   * Fan-out hot path: the frame is turned into bytes and framed as a websocket frame once
   * here, and the same buffers are handed to every member, instead of each socket encoding
   * and framing its own copy.
   */
  private fanOut(group: string, members: Set<M>, frame: string): void {
    if (members.size === 0) return;
    const action = parseControlMessage(frame);
    if (action !== null) {
      for (const member of [...members]) member.control(action);
      return;
    }
    const { payload, wire } = prepareTextFrame(frame);
    const stored = readStoredId(frame);
    const id = stored?.id ?? null;
    const ack = stored?.ack ?? false;
    for (const member of members) member.deliver(payload, wire, id, ack);
    this.onFanOut?.(group, frame, members.size);
  }

  /** Every group this process listens to, with its number of local members. */
  *sizes(): IterableIterator<[string, number]> {
    for (const [group, record] of this.groups) yield [group, record.members.size];
  }
}
