/**
 * The publish request: one JSON object naming kind, audience, target and payload. Shared by the
 * HTTP publish endpoint (`publish-handler.ts`) and the `send-notification` CLI, so both accept
 * exactly the same thing and report the same problems.
 *
 * Shape and cross-field rules are checked here (which field, what is expected); the values
 * themselves (level, percent, URL safety, channel names, text length) are checked by the send
 * API's own rules in `payload.ts` / `audience.ts`, so nothing is validated twice with two sets
 * of messages.
 */
import { z } from "zod";
import type { Target } from "../audience.js";
import type { Payload } from "../send.js";

/** Kinds of notification a publish request can carry. */
export const PUBLISH_KINDS = ["message", "redirect", "progress", "refresh"] as const;
/** Audiences a publish request can address. */
export const PUBLISH_AUDIENCES = ["all", "authenticated", "anonymous", "user", "object", "channel"] as const;
/** Audiences without a target field. */
export const BROADCAST_AUDIENCES = ["all", "authenticated", "anonymous"] as const;

export type PublishKind = (typeof PUBLISH_KINDS)[number];
export type PublishAudience = (typeof PUBLISH_AUDIENCES)[number];

/** `<table>:<primary key>`: a table name (letters, digits, `_`) and a non-empty key. */
export const OBJECT_REF_PATTERN = /^([A-Za-z_][A-Za-z0-9_]*):(\S+)$/;

/** The JSON body of a publish request. Unknown keys are refused so a typo cannot pass silently. */
export const publishRequestSchema = z
  .object({
    kind: z.enum(PUBLISH_KINDS).default("message"),
    audience: z.enum(PUBLISH_AUDIENCES, { error: `expected one of ${PUBLISH_AUDIENCES.join(", ")}` }),
    user: z.union([z.string(), z.number()], { error: "expected a user id (string or integer)" }).optional(),
    username: z.string().optional(),
    object: z.string().optional(),
    channel: z.string().optional(),
    text: z.string().optional(),
    level: z.string().optional(),
    clickURL: z.string().nullable().optional(),
    closeURL: z.string().nullable().optional(),
    hideCloseOption: z.boolean().optional(),
    url: z.string().optional(),
    percent: z.union([z.number(), z.string()], { error: 'expected a number from 0 to 100 or a string like "42%"' }).optional(),
  })
  .strict();

/** A publish request after its shape was checked. */
export type PublishRequest = z.output<typeof publishRequestSchema>;

/** Error codes of a refused publish request (also the `error` field of the HTTP answer). */
export type PublishRequestErrorCode =
  | "invalid_request"
  | "invalid_notification"
  | "unknown_user"
  | "unknown_table"
  | "missing_row"
  | "lookup_unavailable";

/** A publish request that cannot be sent as given; `field` names the culprit when there is one. */
export class PublishRequestError extends Error {
  constructor(
    readonly code: PublishRequestErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "PublishRequestError";
  }
}

const KIND_FIELDS: Record<PublishKind, readonly string[]> = {
  message: ["text", "level", "clickURL", "closeURL", "hideCloseOption"],
  redirect: ["url"],
  progress: ["percent"],
  refresh: [],
};
/** The payload field each kind needs (a refresh needs none: it only says "render again"). */
const KIND_REQUIRED: Record<PublishKind, string | null> = { message: "text", redirect: "url", progress: "percent", refresh: null };
const TARGET_FIELDS = ["user", "username", "object", "channel"] as const;
const AUDIENCE_FIELDS: Record<PublishAudience, readonly string[]> = {
  all: [],
  authenticated: [],
  anonymous: [],
  user: ["user", "username"],
  object: ["object"],
  channel: ["channel"],
};

/**
 * Checks a parsed JSON body: shape first, then the rules between fields (each audience's
 * target, each kind's payload, nothing that belongs to another kind or audience).
 * Throws `PublishRequestError` (`invalid_request`) naming the field and what is expected.
 *
 * @example
 * parsePublishRequest({ audience: "user", username: "alice", text: "Hi" }) // { kind: "message", … }
 * parsePublishRequest({ audience: "user", text: "Hi" })  // throws: "audience user needs user (an id) or username"
 */
export function parsePublishRequest(body: unknown): PublishRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new PublishRequestError("invalid_request", "The body must be a JSON object.");
  }
  const parsed = publishRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((key) => JSON.stringify(key)).join(", ");
      throw new PublishRequestError(
        "invalid_request",
        `Unknown field ${keys}: expected kind, audience, user, username, object, channel, text, level, clickURL, closeURL, hideCloseOption, url, percent.`,
        issue.keys[0],
      );
    }
    const field = issue.path.map(String).join(".");
    const missing = issue.path.length === 1 && (body as Record<string, unknown>)[String(issue.path[0])] === undefined;
    const message = missing ? "is required" : issue.message.replace(/^Invalid (input|option): /, "");
    throw new PublishRequestError("invalid_request", `${field || "body"}: ${message}.`, field || undefined);
  }
  const request = parsed.data;
  const present = (field: string) => (request as Record<string, unknown>)[field] !== undefined;

  for (const field of TARGET_FIELDS) {
    if (present(field) && !AUDIENCE_FIELDS[request.audience].includes(field)) {
      const owner = field === "username" ? "user" : field;
      throw new PublishRequestError("invalid_request", `${field}: only used with audience ${owner}, not ${request.audience}.`, field);
    }
  }
  if (request.audience === "user") {
    if (present("user") === present("username")) {
      throw new PublishRequestError("invalid_request", "audience user needs exactly one of user (an id) or username.", "user");
    }
  } else if (request.audience === "object" || request.audience === "channel") {
    if (!present(request.audience)) {
      const what = request.audience === "object" ? '"<table>:<primary key>" or a channel name such as "articles-42"' : "a channel name";
      throw new PublishRequestError("invalid_request", `${request.audience}: is required for audience ${request.audience} (${what}).`, request.audience);
    }
  }

  for (const kind of PUBLISH_KINDS) {
    if (kind === request.kind) continue;
    for (const field of KIND_FIELDS[kind]) {
      if (present(field)) throw new PublishRequestError("invalid_request", `${field}: only used with kind ${kind}, not ${request.kind}.`, field);
    }
  }
  const required = KIND_REQUIRED[request.kind];
  if (required !== null && !present(required)) {
    throw new PublishRequestError("invalid_request", `${required}: is required for kind ${request.kind}.`, required);
  }
  return request;
}

/** What a resolver answers for an object reference: its channel, or why there is none (`null` = no such row). */
export type ObjectResolution = { channel: string } | { error: "unknown-table" | "missing-row" } | null;

/**
 * Look-ups the kit cannot do itself (it never imports the app's database): usernames to user
 * ids, and `<table>:<primary key>` references to the row's channel.
 */
export interface TargetResolvers {
  /** The id of the user called `username`, or null when there is none. */
  resolveUser?: (username: string) => Promise<string | number | null> | string | number | null;
  /** The channel of row `key` of `table` (e.g. via `objectChannel` + `findObjectByChannel`). */
  resolveObject?: (table: string, key: string) => Promise<ObjectResolution> | ObjectResolution;
}

/** A checked request turned into send-API arguments, with a one-line description for logs and the CLI. */
export interface ResolvedPublish {
  target: Target;
  payload: Payload;
  /** e.g. `user alice`, `object articles:42`, `all` */
  description: string;
}

async function resolveObjectTarget(object: string, resolvers: TargetResolvers): Promise<Target> {
  if (!object.includes(":")) return { object };
  const match = OBJECT_REF_PATTERN.exec(object);
  if (!match) {
    throw new PublishRequestError("invalid_request", `object: expected "<table>:<primary key>" (e.g. "articles:42") or a channel name, got ${JSON.stringify(object.slice(0, 100))}.`, "object");
  }
  const [, table, key] = match as unknown as [string, string, string];
  if (!resolvers.resolveObject) {
    throw new PublishRequestError("lookup_unavailable", "object: this server cannot look up \"<table>:<primary key>\" references; send the channel name instead.", "object");
  }
  const found = await resolvers.resolveObject(table, key);
  if (found && "channel" in found) return { object: found.channel };
  if (found?.error === "unknown-table") throw new PublishRequestError("unknown_table", `Unknown table ${JSON.stringify(table)}.`, "object");
  throw new PublishRequestError("missing_row", `No such row: ${table} ${JSON.stringify(key)}.`, "object");
}

/**
 * Turns a checked request into the send API's `(target, payload)`, looking usernames and
 * object references up through `resolvers`. Throws `PublishRequestError` (`unknown_user`,
 * `unknown_table`, `missing_row`, `lookup_unavailable`).
 *
 * @example
 * const { target, payload } = await resolvePublishRequest(request, { resolveUser: async (name) => (await findUserByUsername(name))?.id ?? null });
 * await notify(target, payload);
 */
export async function resolvePublishRequest(request: PublishRequest, resolvers: TargetResolvers = {}): Promise<ResolvedPublish> {
  let target: Target;
  let description: string;
  switch (request.audience) {
    case "all":
    case "authenticated":
    case "anonymous":
      target = request.audience;
      description = request.audience;
      break;
    case "user": {
      if (request.username !== undefined) {
        if (!resolvers.resolveUser) {
          throw new PublishRequestError("lookup_unavailable", "username: this server cannot look up usernames; send user (the id) instead.", "username");
        }
        const id = await resolvers.resolveUser(request.username);
        if (id === null || id === undefined) throw new PublishRequestError("unknown_user", `Unknown user ${JSON.stringify(request.username.slice(0, 100))}.`, "username");
        target = { user: id };
        description = `user ${request.username}`;
      } else {
        target = { user: request.user! };
        description = `user ${request.user}`;
      }
      break;
    }
    case "object":
      target = await resolveObjectTarget(request.object!, resolvers);
      description = `object ${request.object}`;
      break;
    case "channel":
      target = { channel: request.channel! };
      description = `channel ${request.channel}`;
      break;
  }

  let payload: Payload;
  if (request.kind === "message") {
    const { text, level, clickURL, closeURL, hideCloseOption } = request;
    payload = { message: text!, level: level as Extract<Payload, { message: string }>["level"] };
    if (clickURL !== undefined) payload.clickURL = clickURL;
    if (closeURL !== undefined) payload.closeURL = closeURL;
    if (hideCloseOption !== undefined) payload.hideCloseOption = hideCloseOption;
    if (level === undefined) delete payload.level;
  } else if (request.kind === "redirect") {
    payload = { redirect: request.url! };
  } else if (request.kind === "refresh") {
    payload = { refresh: true };
  } else {
    payload = { progress: request.percent! };
  }
  return { target, payload, description };
}
