import { describe, expect, it } from "vitest";
import { FrameQueues } from "../../packages/next-channels-broadcast/src/server/gateway/frame-queue";

/** A task that finishes when the test says so, recording when it started. */
function deferredTask(log: string[], name: string) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { run: () => (log.push(`start ${name}`), done.then(() => void log.push(`end ${name}`))), finish };
}

describe("FrameQueues", () => {
  it("runs one socket's tasks one at a time, in arrival order, even when the first is slow", async () => {
    const queues = new FrameQueues<object>(8, () => undefined);
    const socket = {};
    const log: string[] = [];
    const slow = deferredTask(log, "subscribe");
    queues.enqueue(socket, slow.run);
    let second: () => void = () => undefined;
    const secondDone = new Promise<void>((resolve) => (second = resolve));
    queues.enqueue(socket, async () => {
      log.push("unsubscribe");
      second();
    });
    await Promise.resolve();
    expect(log).toEqual(["start subscribe"]);
    slow.finish();
    await secondDone;
    expect(log).toEqual(["start subscribe", "end subscribe", "unsubscribe"]);
  });

  it("holds a socket's tasks until its handshake is released; other sockets are not held", async () => {
    const queues = new FrameQueues<object>(8, () => undefined);
    const held = {};
    const free = {};
    const log: string[] = [];
    const release = queues.hold(held);
    let freeDone: () => void = () => undefined;
    const freeRan = new Promise<void>((resolve) => (freeDone = resolve));
    let heldDone: () => void = () => undefined;
    const heldRan = new Promise<void>((resolve) => (heldDone = resolve));
    queues.enqueue(held, async () => (log.push("held"), heldDone()));
    queues.enqueue(free, async () => (log.push("free"), freeDone()));
    await freeRan;
    expect(log).toEqual(["free"]);
    release();
    await heldRan;
    expect(log).toEqual(["free", "held"]);
  });

  it("refuses past the bound of waiting tasks, and accepts again once they ran", async () => {
    const queues = new FrameQueues<object>(2, () => undefined);
    const socket = {};
    const release = queues.hold(socket);
    expect(queues.enqueue(socket, async () => undefined)).toBe(true);
    expect(queues.enqueue(socket, async () => undefined)).toBe(true);
    expect(queues.enqueue(socket, async () => undefined)).toBe(false);
    let ran: () => void = () => undefined;
    const third = new Promise<void>((resolve) => (ran = resolve));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(queues.enqueue(socket, async () => ran())).toBe(true);
    await third;
  });

  it("reports a failing task and keeps going", async () => {
    const errors: unknown[] = [];
    const queues = new FrameQueues<object>(8, (error) => errors.push(error));
    const socket = {};
    let after: () => void = () => undefined;
    const afterRan = new Promise<void>((resolve) => (after = resolve));
    queues.enqueue(socket, async () => {
      throw new Error("authorizer exploded");
    });
    queues.enqueue(socket, async () => after());
    await afterRan;
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("authorizer exploded");
  });
});
