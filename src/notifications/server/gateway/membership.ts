/**
 * Which groups a socket is in: joining and leaving them on the channel layer, and granting the
 * channels a client asks for (by name through the authorizer, or by a signed token), within
 * the per-socket limit, held per subscribe `ref`.
 */
import { authorizeChannels, type AuthorizeOptions } from "../auth/authorizer";
import { verifySubscriptionToken } from "../auth/tokens";
import type { NotificationSettings } from "../settings";
import type { Connection, Holder } from "./connection";
import type { GroupRegistry } from "./groups";

export class Membership {
  constructor(
    private readonly settings: NotificationSettings,
    private readonly registry: GroupRegistry<Connection>,
    private readonly authorize: AuthorizeOptions,
    private readonly tokenSecret: string | undefined,
  ) {}

  /** Joins `groups` one by one; stops (and undoes the last) if the socket closes meanwhile. */
  async join(connection: Connection, groups: readonly string[]): Promise<void> {
    for (const group of groups) {
      if (connection.closing || connection.groups.has(group)) continue;
      connection.groups.add(group);
      await this.registry.join(group, connection);
      // The socket may have closed while we waited for the layer.
      if (connection.closing) this.registry.leave(group, connection);
    }
  }

  /** Leaves every group and forgets every channel (closing, flooding, session ended). */
  leaveAll(connection: Connection): void {
    for (const group of connection.groups) this.registry.leave(group, connection);
    connection.groups.clear();
    connection.clearChannels();
  }

  /** Channels a subscription token grants this socket; none when it is not valid for it. */
  tokenChannels(connection: Connection, token: string | null): string[] {
    if (!token) return [];
    return verifySubscriptionToken(token, connection.user?.id ?? null, { secret: this.tokenSecret }) ?? [];
  }

  /**
   * Grants what the authorizer allows (or, for channels carried by a verified token, what the
   * token names), within the per-socket limit of distinct channels, holds it for `holder` and
   * joins what is new. A channel the socket already holds is shared with `holder` (it takes no
   * room; a name is still put to the authorizer). Returns what `holder` was granted.
   */
  async addChannels(connection: Connection, requested: readonly string[], holder: Holder, viaToken = false): Promise<string[]> {
    const { settings } = this;
    if (!settings.enablePageChannels || requested.length === 0) return [];
    let room = settings.maxChannelsPerSocket - connection.channels.size;
    const candidates: string[] = [];
    for (const name of new Set(requested)) {
      if (connection.channels.has(name)) candidates.push(name);
      else if (room > 0) {
        candidates.push(name);
        room -= 1;
      }
    }
    if (candidates.length === 0) return [];
    const allowed = viaToken
      ? candidates.filter((name) => name.length <= settings.maxChannelNameLength)
      : await authorizeChannels(this.authorize, connection.principal, candidates);
    if (connection.closing) return [];
    const granted: string[] = [];
    const fresh: string[] = [];
    for (const name of allowed) {
      const held = connection.channels.has(name);
      // Trusted groups are never channels; the limit is re-checked (the answer may have taken time).
      if (!held && (connection.groups.has(name) || connection.channels.size >= settings.maxChannelsPerSocket)) continue;
      if (connection.hold(name, holder)) fresh.push(name);
      granted.push(name);
    }
    await this.join(connection, fresh);
    return granted;
  }

  /** The original `channels` unsubscribe: drops them outright, whichever requests held them. */
  dropChannels(connection: Connection, names: readonly string[]): void {
    for (const name of names) if (connection.dropChannel(name)) this.leaveChannel(connection, name);
  }

  /** Releases the holds of the subscribe `ref`; leaves only what no other request still holds. */
  releaseRef(connection: Connection, ref: string): void {
    for (const name of connection.release(ref)) this.leaveChannel(connection, name);
  }

  private leaveChannel(connection: Connection, name: string): void {
    connection.groups.delete(name);
    this.registry.leave(name, connection);
  }
}
