/**
 * Type tests of typed events and live refresh: `emit` checks data against the event's schema
 * (input type), `useEvent` handlers get the schema's output type, refresh takes a target and an
 * origin. Checked by `tsc -p test/types/tsconfig.json`, never run.
 */
import { z } from "zod";
import { createEventHooks, LiveRefresh, RefreshOriginField, useLiveRefresh } from "next-channels-broadcast/client";
import { defineEvents, type EventData, type EventInput } from "next-channels-broadcast/events";
import { createEventEmitter, refresh, refreshObject, refreshOriginOf, type SendResult } from "next-channels-broadcast/server";
import { expectType } from "./assert";

const events = defineEvents({
  "comment.created": z.object({ id: z.number(), author: z.string() }),
  "job.status": z.object({ status: z.enum(["queued", "running", "done"]), percent: z.number().default(0) }),
});

export async function emitting(formData: FormData): Promise<void> {
  const { emit } = createEventEmitter(events);
  expectType<Promise<SendResult>>()(emit({ channel: "articles-1" }, "comment.created", { id: 1, author: "ada" }));
  // The input type: a field with a default may be left out.
  await emit({ user: "42" }, "job.status", { status: "running" }, { durable: true, idempotencyKey: "job-1-running" });

  // @ts-expect-error the data of comment.created needs an author.
  await emit("all", "comment.created", { id: 1 });
  // @ts-expect-error id is a number, not a string.
  await emit("all", "comment.created", { id: "1", author: "ada" });
  // @ts-expect-error "exploded" is not a status.
  await emit("all", "job.status", { status: "exploded" });
  // @ts-expect-error an event that was never declared.
  await emit("all", "comment.deleted", { id: 1 });

  expectType<Promise<boolean>>()(refresh({ object: "articles-1" }, { origin: refreshOriginOf(formData) }));
  expectType<Promise<boolean>>()(refreshObject("articles-1"));
  // @ts-expect-error an origin is a tab id string.
  await refresh("all", { origin: 42 });
}

const { useEvent } = createEventHooks(events);

export function Receiver(): React.JSX.Element {
  useEvent("job.status", (data, meta) => {
    // The output type: the default made percent a number, always there.
    expectType<{ status: "queued" | "running" | "done"; percent: number }>()(data);
    expectType<string>()(meta.channel);
  });
  useEvent("comment.created", (data) => expectType<string>()(data.author), { channel: "articles-1" });
  // @ts-expect-error an event that was never declared.
  useEvent("comment.deleted", () => {});
  // @ts-expect-error the handler's data is the schema's type: no such field.
  useEvent("comment.created", (data) => data.title);
  useLiveRefresh("articles-1", { coalesceMs: 500 });
  return (
    <form>
      <RefreshOriginField />
      <LiveRefresh channel="articles-1" />
    </form>
  );
}

expectType<{ id: number; author: string }>()({} as EventData<typeof events, "comment.created">);
expectType<{ status: "queued" | "running" | "done"; percent?: number | undefined }>()({} as EventInput<typeof events, "job.status">);
