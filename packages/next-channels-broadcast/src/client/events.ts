"use client";
/**
 * Typed events in the browser: `createEventHooks(events)` gives `useEvent(name, handler)`, whose
 * handler receives the event's data parsed with its schema (the schema's output type). Data that
 * does not parse, or an event the app never declared, is dropped with a development warning:
 * a sender on a newer deploy must not throw into this page's React tree.
 */
import { useEffect, useEffectEvent } from "react";
import { eventSchema, type EventData, type EventDefinitions, type EventName } from "../shared/events.js";
import type { EventFrame } from "../shared/protocol.js";
import { useNotificationsApiContext } from "./context.js";
import { warnOnce } from "./dev-warnings.js";

/** What a `useEvent` handler gets besides the data. */
export interface EventMeta {
  /** The group it was sent to (`all`, `authenticated`, `user:<id>`, `articles-1`, …). */
  channel: string;
  /** The stored id of a durable event; absent for a live-only one. */
  id?: number;
}

export interface UseEventOptions {
  /** Only events sent to this channel (public name, e.g. `objectChannel(articles, 1)`). Default: any the tab holds. */
  channel?: string;
}

/** The hooks `createEventHooks` returns, typed by the app's events. */
export interface EventHooks<Definitions extends EventDefinitions> {
  /**
   * Calls `handler` with every `name` event this tab receives (after dedupe), its data parsed by
   * the event's schema. The handler may be an inline function.
   */
  useEvent<Name extends EventName<Definitions>>(name: Name, handler: (data: EventData<Definitions, Name>, meta: EventMeta) => void, options?: UseEventOptions): void;
}

/**
 * Parses an event frame against `definitions`: the data, or null (with a development warning)
 * when the app declares no such event or the data does not match its schema.
 *
 * @example
 * parseEventFrame(events, { type: "event", event: "job.status", channel: "jobs-1", data: { status: "done" } }) // { status: "done" }
 */
export function parseEventFrame(definitions: EventDefinitions, frame: EventFrame): { data: unknown } | null {
  const schema = eventSchema(definitions, frame.event);
  if (schema === null) {
    warnOnce(`unknown-event:${frame.event}`, `[notifications] Dropped event ${JSON.stringify(frame.event)}: it is not declared in the events given to createEventHooks().`);
    return null;
  }
  const parsed = schema.safeParse(frame.data);
  if (!parsed.success) {
    warnOnce(
      `invalid-event:${frame.event}`,
      `[notifications] Dropped event ${JSON.stringify(frame.event)}: its data does not match the schema (${parsed.error.issues.map((issue) => `${issue.path.join(".") || "data"}: ${issue.message}`).join("; ")}).`,
    );
    return null;
  }
  return { data: parsed.data };
}

/**
 * Typed hooks for an app's events (declared once with `defineEvents`).
 *
 * @example
 * "use client";
 * import { createEventHooks } from "next-channels-broadcast/client";
 * import { events } from "@/events";
 * export const { useEvent } = createEventHooks(events);
 *
 * // in a client component:
 * useEvent("job.status", (data) => setStatus(data.status), { channel: jobChannel });
 */
export function createEventHooks<Definitions extends EventDefinitions>(definitions: Definitions): EventHooks<Definitions> {
  function useEvent<Name extends EventName<Definitions>>(name: Name, handler: (data: EventData<Definitions, Name>, meta: EventMeta) => void, options: UseEventOptions = {}): void {
    const api = useNotificationsApiContext("useEvent");
    const onEvent = useEffectEvent((data: EventData<Definitions, Name>, meta: EventMeta) => handler(data, meta));
    const channel = options.channel;
    useEffect(
      () =>
        api.addFrameListener((frame) => {
          if (frame.type !== "event" || frame.event !== name) return;
          if (channel !== undefined && frame.channel !== channel) return;
          const parsed = parseEventFrame(definitions, frame);
          if (parsed === null) return;
          onEvent(parsed.data as EventData<Definitions, Name>, frame.id === undefined ? { channel: frame.channel } : { channel: frame.channel, id: frame.id });
        }),
      [api, name, channel],
    );
  }
  return { useEvent };
}
