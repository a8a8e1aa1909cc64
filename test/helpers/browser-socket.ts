/**
 * The browser's notification socket (`createNotificationSocket`, on the `ws` package with a real
 * Auth.js session cookie) against a real gateway: what a page would show, after its id dedupe.
 */
import { WebSocket } from "ws";
import { createNotificationSocket, type NotificationSocket, type WebSocketConstructor } from "../../packages/next-channels-broadcast/src/client/socket";
import type { ServerFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { Recorder } from "../client/helpers";
import { sessionCookie } from "./sessions";

export interface BrowserSocket {
  socket: NotificationSocket;
  /** Every frame the socket passed on to the page (duplicates by id already dropped). */
  recorder: Recorder;
  /** Waits until a frame matching `match` was passed on. */
  until(match: (frame: ServerFrame) => boolean, what: string): Promise<void>;
  /** Message frames passed on, as `{id, text}`. */
  messages(): { id: number | undefined; text: string }[];
  dispose(): void;
}

/** Opens the browser socket on `url` (signed in as `userId` when given) and waits for `hello`. */
export async function openBrowserSocket(url: string, userId?: string): Promise<BrowserSocket> {
  const cookie = userId === undefined ? undefined : await sessionCookie(userId);
  const Browser = class extends WebSocket {
    constructor(address: string) {
      super(address, cookie === undefined ? {} : { headers: { cookie } });
    }
  } as unknown as WebSocketConstructor;
  const recorder = new Recorder();
  const socket = createNotificationSocket({ url, WebSocket: Browser, lifecycle: false, backoff: { initialMs: 10, jitter: 0 }, onFrame: recorder.onFrame });
  const until = (match: (frame: ServerFrame) => boolean, what: string) => recorder.until(() => recorder.frames.some(match), what);
  socket.connect();
  await until((frame) => frame.type === "hello", "hello");
  return {
    socket,
    recorder,
    until,
    messages: () => recorder.frames.flatMap((frame) => (frame.type === "message" ? [{ id: frame.id, text: frame.text }] : [])),
    dispose: () => socket.dispose(),
  };
}
