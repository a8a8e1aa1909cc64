/**
 * Typed events: an app declares its events once, as zod schemas, in a module both the server
 * (`createEventEmitter`) and the browser (`createEventHooks`) import. The schema is the contract:
 * the sender's `data` is type-checked against its input type and validated at runtime; the
 * receiving hook parses it again and hands the handler the schema's output type.
 *
 * Runs anywhere (no server or DOM imports), so `import { defineEvents } from
 * "next-channels-broadcast/events"` works in a shared module.
 */
import type { z } from "zod";
import { InvalidNotificationError } from "./errors.js";
import { EVENT_NAME_PATTERN, MAX_EVENT_NAME_LENGTH } from "./protocol.js";

/** An app's events: name → zod schema of its data. */
export type EventSchemas = Record<string, z.ZodType>;

/** The declared events, as returned by `defineEvents`. */
export interface EventDefinitions<Schemas extends EventSchemas = EventSchemas> {
  readonly schemas: Schemas;
}

/** Names of the events in `Definitions`. */
export type EventName<Definitions extends EventDefinitions> = Extract<keyof Definitions["schemas"], string>;
/** What a sender passes for event `Name` (the schema's input type). */
export type EventInput<Definitions extends EventDefinitions, Name extends EventName<Definitions>> = z.input<Definitions["schemas"][Name]>;
/** What a receiver gets for event `Name` (the schema's output type). */
export type EventData<Definitions extends EventDefinitions, Name extends EventName<Definitions>> = z.output<Definitions["schemas"][Name]>;

/**
 * Throws `InvalidNotificationError` (`INVALID_EVENT`) unless `name` is a valid event name: 1 to
 * 100 characters of letters, digits, `_`, `-`, `:`, separated by dots.
 *
 * @example
 * checkEventName("comment.created") // "comment.created"
 * checkEventName("no spaces")       // throws
 */
export function checkEventName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_EVENT_NAME_LENGTH || !EVENT_NAME_PATTERN.test(name)) {
    throw new InvalidNotificationError(
      "INVALID_EVENT",
      `Event name ${JSON.stringify(name)} is invalid: use 1 to ${MAX_EVENT_NAME_LENGTH} characters of letters, digits, "_", "-", ":", separated by dots (e.g. "comment.created").`,
    );
  }
  return name;
}

/**
 * Declares an app's events. Import the result on both sides: `createEventEmitter(events)` on the
 * server, `createEventHooks(events)` in the browser.
 *
 * @example
 * // src/events.ts (no "use client", no "server-only": both sides import it)
 * import { z } from "zod";
 * import { defineEvents } from "next-channels-broadcast/events";
 * export const events = defineEvents({
 *   "comment.created": z.object({ id: z.number(), author: z.string() }),
 *   "job.status": z.object({ status: z.enum(["queued", "running", "done"]) }),
 * });
 */
export function defineEvents<const Schemas extends EventSchemas>(schemas: Schemas): EventDefinitions<Schemas> {
  if (typeof schemas !== "object" || schemas === null) throw new InvalidNotificationError("INVALID_EVENT", "defineEvents takes an object of zod schemas.");
  for (const [name, schema] of Object.entries(schemas)) {
    checkEventName(name);
    if (typeof (schema as { safeParse?: unknown } | null)?.safeParse !== "function") {
      throw new InvalidNotificationError("INVALID_EVENT", `Event ${JSON.stringify(name)} needs a zod schema.`);
    }
  }
  return Object.freeze({ schemas });
}

/** The schema of `name`, or null when the app declared no such event. */
export function eventSchema(definitions: EventDefinitions, name: string): z.ZodType | null {
  return Object.hasOwn(definitions.schemas, name) ? definitions.schemas[name]! : null;
}
