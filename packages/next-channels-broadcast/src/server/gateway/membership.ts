/**
 * Which client-requested channels a socket may hold: by name through the authorizer, or by a
 * signed token, within the per-socket limits — and why the others were refused. Joining the
 * granted channels is the join path's job (`join.ts`); this module only decides and keeps the
 * per-request holds.
 */
import { isValidChannelName, MAX_CHANNEL_NAME_LENGTH } from "../../shared/channels.js";
import type { SubscriptionRefusal } from "../../shared/protocol.js";
import { authorizeChannels, type AuthorizeOptions } from "../auth/authorizer.js";
import { checkSubscriptionToken } from "../auth/tokens.js";
import type { NotificationSettings } from "../settings.js";
import type { Connection, Holder } from "./connection.js";

/** What a subscription asks for. */
export interface GrantRequest {
  channels: readonly string[];
  token?: string | null;
}

/** The decision on a subscription. */
export interface Grant {
  /** Every channel the request may hold: ones the socket already holds (shared) and new ones. */
  granted: string[];
  /** Of `granted`, those the socket does not hold yet: they must be joined. */
  fresh: string[];
  refused: SubscriptionRefusal[];
}

/** The decision on a request for no channel and no token: nothing granted, nothing refused. */
export const NOTHING_REQUESTED: Readonly<Grant> = Object.freeze({ granted: [], fresh: [], refused: [] });

export class Membership {
  constructor(
    private readonly settings: NotificationSettings,
    private readonly authorize: AuthorizeOptions,
    private readonly tokenSecret: string | undefined,
  ) {}

  /**
   * Decides `request` for `connection`: token channels (no authorizer), then named channels put
   * to the authorizer, within the per-socket limit of distinct channels (a channel already held
   * takes no room). Holds nothing yet: `hold` does, once the fresh channels are joined.
   */
  async grant(connection: Connection, request: GrantRequest): Promise<Grant> {
    const { settings } = this;
    const refused: SubscriptionRefusal[] = [];
    const hasToken = typeof request.token === "string" && request.token !== "";
    if (!settings.enablePageChannels) {
      if (hasToken) refused.push({ reason: "disabled" });
      for (const name of new Set(request.channels)) refused.push({ reason: "disabled", channel: name });
      return { granted: [], fresh: [], refused };
    }

    let room = settings.maxChannelsPerSocket - connection.channels.size;
    const fitsRoom = (name: string): boolean => {
      if (connection.channels.has(name)) return true;
      if (room <= 0) return false;
      room -= 1;
      return true;
    };

    const granted: string[] = [];
    if (hasToken) {
      const checked = checkSubscriptionToken(request.token, connection.user?.id ?? null, { secret: this.tokenSecret });
      if (!checked.ok) refused.push({ reason: checked.reason });
      else {
        for (const name of checked.channels) {
          if (name.length > settings.maxChannelNameLength || !fitsRoom(name)) refused.push({ reason: "limit", channel: name });
          else granted.push(name);
        }
      }
    }

    const candidates: string[] = [];
    for (const name of new Set(request.channels)) {
      if (granted.includes(name)) continue;
      if (typeof name !== "string" || !isValidChannelName(name, MAX_CHANNEL_NAME_LENGTH)) refused.push({ reason: "denied", channel: String(name) });
      else if (name.length > settings.maxChannelNameLength || !fitsRoom(name)) refused.push({ reason: "limit", channel: name });
      else candidates.push(name);
    }
    const allowed = new Set(candidates.length > 0 ? await authorizeChannels(this.authorize, connection.principal, candidates) : []);
    for (const name of candidates) {
      if (allowed.has(name)) granted.push(name);
      else refused.push({ reason: "denied", channel: name });
    }

    // Trusted groups are never channels (names cannot collide; checked anyway), and the limit is
    // re-checked: the authorizer may have taken time.
    const kept: string[] = [];
    const fresh: string[] = [];
    for (const name of granted) {
      if (connection.channels.has(name)) kept.push(name);
      else if (connection.inGroup(name)) refused.push({ reason: "denied", channel: name });
      else if (connection.channels.size + fresh.length >= settings.maxChannelsPerSocket) refused.push({ reason: "limit", channel: name });
      else {
        kept.push(name);
        fresh.push(name);
      }
    }
    return { granted: kept, fresh, refused };
  }

  /** Records that `holder` holds each of `names` (after the fresh ones were joined). */
  hold(connection: Connection, names: readonly string[], holder: Holder): void {
    for (const name of names) connection.hold(name, holder);
  }

  /** The original `channels` unsubscribe: drops them outright, whichever requests held them. Returns what to leave. */
  dropChannels(connection: Connection, names: readonly string[]): string[] {
    return names.filter((name) => typeof name === "string" && connection.dropChannel(name));
  }

  /** Releases the holds of the subscribe `ref`; returns what no other request still holds (to leave). */
  releaseRef(connection: Connection, ref: string): string[] {
    return connection.release(ref);
  }
}
