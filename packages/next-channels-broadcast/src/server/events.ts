/**
 * Typed events on the server: `createEventEmitter(events)` gives `emit(target, name, data)`,
 * type-checked against the event's schema and validated with it at runtime before anything is
 * stored or published. Events go through the same path as every send (`notify`): the six
 * audiences, their gates, page-channel authorization and tokens, the store, replay by position
 * and the size limits all apply unchanged.
 */
import { checkEventName, eventSchema, type EventDefinitions, type EventInput, type EventName } from "../shared/events.js";
import { InvalidNotificationError } from "../shared/errors.js";
import { notify as notifyDefault, type SendOptions, type SendResult, type Target } from "./send.js";

/** Options of `emit`. */
export interface EmitOptions extends SendOptions {
  /**
   * Store it and replay it like a message (by position; a user's until a tab acks it). Default
   * false: live only, for state a page can always re-read (statuses, counters).
   */
  durable?: boolean;
}

/** What `createEventEmitter` returns. */
export interface EventEmitter<Definitions extends EventDefinitions> {
  /**
   * Sends event `name` with `data` to `target`. Throws `InvalidNotificationError` (code
   * `INVALID_EVENT`) when the event is not declared or `data` does not match its schema; then
   * nothing is sent.
   */
  emit<Name extends EventName<Definitions>>(target: Target, name: Name, data: EventInput<Definitions, Name>, options?: EmitOptions): Promise<SendResult>;
}

/**
 * The typed `emit` for an app's events (declared with `defineEvents`), through the default
 * instance or the given one (`createNotifications()`).
 *
 * @example
 * import { createEventEmitter } from "next-channels-broadcast/server";
 * import { events } from "@/events";
 * const { emit } = createEventEmitter(events);
 * await emit({ channel: `jobs-${job.id}` }, "job.status", { status: "running" });
 * await emit({ user: order.userId }, "order.changed", { id: order.id }, { durable: true });
 */
export function createEventEmitter<Definitions extends EventDefinitions>(
  definitions: Definitions,
  options: { notifications?: { notify: typeof notifyDefault } } = {},
): EventEmitter<Definitions> {
  const notify = options.notifications?.notify ?? notifyDefault;
  return {
    async emit(target, name, data, emitOptions = {}) {
      checkEventName(name);
      const schema = eventSchema(definitions, name);
      if (schema === null) throw new InvalidNotificationError("INVALID_EVENT", `Event ${JSON.stringify(name)} is not declared in the events given to createEventEmitter().`);
      const parsed = schema.safeParse(data);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "data"}: ${issue.message}`).join("; ");
        throw new InvalidNotificationError("INVALID_EVENT", `Data of event ${JSON.stringify(name)} does not match its schema: ${issues}.`, { cause: parsed.error });
      }
      const { durable, ...sendOptions } = emitOptions;
      // The data as given, not the schema's output: the browser parses it with the same schema,
      // so defaults and transforms apply there exactly once.
      return notify(target, { event: name, data, durable: durable === true }, sendOptions);
    },
  };
}
