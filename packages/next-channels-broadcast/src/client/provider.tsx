"use client";
/**
 * `<NotificationsProvider>`: the notification socket (one per browser, shared by its tabs, or one
 * per tab), owned by the root layout so it survives client-side navigations, plus the default
 * rendering of what arrives.
 */
import { useRouter } from "next/navigation";
import { Suspense, useEffect, useEffectEvent, useLayoutEffect, useMemo, useState } from "react";
import type { ComponentProps, ReactNode } from "react";
import { Toaster } from "react-hot-toast";
import { CloseCode } from "../shared/close-codes.js";
import type { ClientFrame, ServerFrame } from "../shared/protocol.js";
import type { BackoffOptions } from "./backoff.js";
import { createChime } from "./chime.js";
import type { Chime } from "./chime.js";
import { NotificationsApiContext, NotificationsStateContext } from "./context.js";
import type { FrameListener, NotificationsApi, NotificationsState } from "./context.js";
import { performNavigation } from "./navigation.js";
import { EMPTY_PROGRESS, parseProgress, recordProgress } from "./progress.js";
import { defaultRenderers } from "./renderers.js";
import type { RenderContext, Renderers } from "./renderers.js";
import { createNotificationSocket } from "./socket.js";
import type { ConnectionState, NotificationSocket, NotificationSocketOptions, WebSocketConstructor } from "./socket.js";
import { canShareSocket, createSharedNotificationSocket } from "./shared-socket/tab.js";
import { buildNotificationSocketURL, DEFAULT_NOTIFICATIONS_PATH } from "./socket-url.js";
import { createSubscriptionRegistry } from "./subscriptions.js";
import { refusedSocketWarning, SESSION_WITHOUT_ID_WARNING, warnOnce } from "./dev-warnings.js";
import { isThenable, signedInWithoutId, userIdOfSession } from "./session.js";
import type { NotificationsSession, SessionInput } from "./session.js";
import { SessionReader } from "./session-reader.js";
import type { ResolvedSession } from "./session-reader.js";
import type { LevelStyles } from "./toast.js";
import { createToastQueue } from "./toast-queue.js";
import { isToastMuted, readStoredToastPreferences } from "./toast-preferences.js";
import type { ToastPreferences } from "./toast-preferences.js";
import type { ToastQueueOptions } from "./toast-queue.js";

export interface NotificationsProviderProps {
  /**
   * The Auth.js session, as a promise the root layout does NOT await:
   * `session={connection().then(() => auth())}` (what `init` writes; `connection()` from
   * "next/server" keeps Auth.js out of prerenders). The socket's user is
   * `session.user.id`; null or no user means anonymous. A promise keeps the root layout static
   * (required with `cacheComponents`): it is read under its own `<Suspense>`, so children render
   * at once and the socket opens when the session arrives. Give this or `userId`, not both.
   * When the server ends the socket's session (close code 4001, e.g. signed out in another tab),
   * the provider calls `router.refresh()` so the layout passes the current one.
   */
  session?: SessionInput;
  /**
   * The signed-in user's id from the server session; null when anonymous. Changing it
   * reconnects. The alternative to `session` for a layout that already has the id.
   */
  userId?: string | null;
  /** Open a socket for anonymous visitors too. Default false: the server refuses them unless it enables them. */
  anonymousEnabled?: boolean;
  /** Gateway path on this host. Default "/ws/notifications". */
  path?: string;
  backoff?: BackoffOptions;
  /** Replace how messages, redirects or progress are shown. */
  renderers?: Partial<Renderers>;
  /** Per-level style overrides for the default toast. */
  levelStyles?: LevelStyles;
  /**
   * Render react-hot-toast's `<Toaster>`: true (default, top-right), its props to place or style
   * it (e.g. `{ containerStyle: { top: 72 } }` below a fixed header), or false if the app renders its own.
   */
  toaster?: boolean | ComponentProps<typeof Toaster>;
  /**
   * A watermark rendered by the server (`currentWatermark()`): the highest notification id the
   * page already reflects. The socket connects with `?lastId=` set to it (and, later, to the
   * highest id it has settled), so nothing sent between rendering and subscribing is lost.
   */
  initialLastId?: number;
  /**
   * How long (ms) a received id must have been held, socket open, before reconnects and
   * subscribes report it as the position (ids from several server processes can arrive out of
   * order). Default 2500. Read when a socket is created.
   */
  settleMs?: number;
  /** A socket that has not opened after this long (ms) is dropped and retried. Default 10000. */
  openTimeoutMs?: number;
  /**
   * Paces message toasts so a burst (a backlog replayed on connect) is drawn a few at a time
   * instead of being cut by react-hot-toast's 20-toast limit: `{ maxVisible = 5,
   * backlogDurationMs = 2000 }`, or false to show every toast at once. Listeners
   * (`useNotifications`) always get every message at once.
   */
  toastQueue?: ToastQueueOptions | false;
  /**
   * Play a short four-note chime with each message. Default false. Silent until the user has
   * clicked or pressed a key on the page: it never plays on its own before a gesture.
   */
  chime?: boolean;
  /**
   * Levels and channels whose toasts are muted (the message still reaches listeners and the
   * notification center). Default: the browser's stored preferences (`useToastPreferences`). Pass
   * them to use preferences the app keeps per user on its server.
   */
  toastPreferences?: ToastPreferences;
  /**
   * Share one socket between the tabs of this browser (per gateway path and user): one tab holds
   * it (elected with Web Locks) and passes frames to the others over a BroadcastChannel; when it
   * closes, another tab takes over and catches up from its position. Every tab still gets the
   * user's messages, and each tab only its own page channels. Default true; where the browser
   * lacks Web Locks or BroadcastChannel each tab keeps its own socket anyway.
   */
  shareSocket?: boolean;
  /** WebSocket implementation (tests). Default the browser's. */
  WebSocket?: WebSocketConstructor;
  children?: ReactNode;
}

interface SessionView extends NotificationsState {
  /** Which socket session this state belongs to; state of an older session is not shown. */
  key: string;
}

const IDLE: ConnectionState = { status: "idle" };
const NO_CHANNELS: readonly string[] = [];

function emptySession(key: string): SessionView {
  return { key, connection: IDLE, progress: EMPTY_PROGRESS, channels: NO_CHANNELS };
}

/** Which user the socket is for, given the `session` and `userId` props. */
function socketUser(session: SessionInput | undefined, userId: string | null | undefined, resolved: ResolvedSession | null): { pending: boolean; userId: string | null; session: NotificationsSession | null } {
  if (session === undefined) return { pending: false, userId: userId ?? null, session: null };
  if (!isThenable<NotificationsSession | null>(session)) return { pending: false, userId: userIdOfSession(session), session };
  // A refresh passes a new promise: until it resolves, the last session stands (no reconnect).
  if (resolved === null) return { pending: true, userId: null, session: null };
  return { pending: false, userId: userIdOfSession(resolved.value), session: resolved.value };
}

/**
 * Put it in the root layout, with the session from Auth.js — not awaited, so the layout stays
 * static (what `npx next-channels-broadcast init` writes):
 *
 * @example
 * // app/layout.tsx (a server component)
 * import { connection } from "next/server";
 * import { auth } from "@/auth";
 * return (
 *   <html><body>
 *     <NotificationsProvider session={connection().then(() => auth())}>{children}</NotificationsProvider>
 *   </body></html>
 * );
 * // or, with the id at hand: <NotificationsProvider userId={session?.user?.id ?? null}>
 */
export function NotificationsProvider({
  session: sessionProp,
  userId: userIdProp,
  anonymousEnabled = false,
  path = DEFAULT_NOTIFICATIONS_PATH,
  backoff,
  renderers,
  levelStyles,
  toaster = true,
  initialLastId,
  settleMs,
  openTimeoutMs,
  toastQueue,
  chime = false,
  shareSocket = true,
  toastPreferences,
  WebSocket: WebSocketImpl,
  children,
}: NotificationsProviderProps) {
  const router = useRouter();
  const [resolvedSession, setResolvedSession] = useState<ResolvedSession | null>(null);
  const user = socketUser(sessionProp, userIdProp, resolvedSession);
  const userId = user.userId;
  const sessionValue = user.session;
  // Anonymous sockets are refused by default server-side; opening one would only retry forever.
  // While the session is on its way, nobody is known: connecting anonymously would only be
  // replaced a moment later.
  const active = !user.pending && (userId !== null || anonymousEnabled);
  // Callers often pass `backoff` inline; a fresh object each render must not reconnect.
  const backoffKey = JSON.stringify(backoff ?? null);
  const sessionKey = active ? JSON.stringify([userId, path, backoffKey]) : "inactive";

  const [session, setSession] = useState<SessionView>(() => emptySession(sessionKey));
  const [listeners] = useState(() => new Set<FrameListener>());
  // One registry for the provider's lifetime: pages' subscriptions outlive any one socket (a new
  // user means a new socket, not new pages), and their state lives here, outside React.
  const [registry] = useState(() => createSubscriptionRegistry({ retry: backoff }));
  const [controllerRef] = useState(() => ({ current: null as NotificationSocket | null }));
  // Callers often pass the options inline; key on their contents.
  const queueKey = JSON.stringify(toastQueue ?? {});
  const queue = useMemo(() => {
    const options = JSON.parse(queueKey) as ToastQueueOptions | false;
    return options === false ? null : createToastQueue(options);
  }, [queueKey]);
  const [chimeRef] = useState(() => ({ current: null as Chime | null }));
  /** The session key of the latest commit, updated before passive effect cleanups run. */
  const [latestSessionKeyRef] = useState(() => ({ current: sessionKey }));
  useLayoutEffect(() => {
    latestSessionKeyRef.current = sessionKey;
  }, [sessionKey, latestSessionKeyRef]);
  /** The session key a stale-session refresh was already asked for (see `hello` in handleFrame). */
  const [staleRefreshRef] = useState(() => ({ current: null as string | null }));

  const update = (key: string, change: (previous: SessionView) => Partial<NotificationsState>) =>
    setSession((previous) => {
      const base = previous.key === key ? previous : emptySession(key);
      return { ...base, ...change(base) };
    });

  const handleFrame = useEffectEvent((key: string, frame: ServerFrame) => {
    const origin = window.location.origin;
    const navigator = { push: (path: string) => router.push(path), assign: (url: string) => window.location.assign(url) };
    const context: RenderContext = {
      origin,
      levelStyles,
      toasts: queue ?? undefined,
      // Even the "unchecked" push of a custom renderer goes through the same rule: no path that
      // the router could take off the site (`//host`, `/\host`, …) is ever pushed.
      push: (path) => void performNavigation({ kind: "push", path }, navigator),
      navigate: (target) => performNavigation(target, navigator),
    };
    // The socket says who it is. Another user than the layout was rendered for means the session
    // changed under this tab (signed out or in elsewhere) without this tab's own socket being told —
    // with a shared socket, the tab that held it may have left before the server's 4001 reached it.
    // Render the layout again with the real session, once per socket session.
    if (frame.type === "hello" && frame.userId !== userId && staleRefreshRef.current !== key) {
      staleRefreshRef.current = key;
      router.refresh();
    }
    const use = { ...defaultRenderers, ...renderers };
    const muted = frame.type === "message" && isToastMuted(frame, toastPreferences ?? readStoredToastPreferences());
    if (frame.type === "message" && !muted) chimeRef.current?.play();
    try {
      if (frame.type === "message") {
        if (!muted) use.message(frame, context);
      }
      else if (frame.type === "redirect") use.redirect(frame, context);
      else if (frame.type === "progress") {
        const info = parseProgress(frame);
        if (info) update(key, (previous) => ({ progress: recordProgress(previous.progress, info) }));
        else console.warn(`[notifications] ignored progress with percent ${JSON.stringify(frame.percent)}`);
        use.progress(frame, context);
      }
    } catch (error) {
      console.error("[notifications] renderer threw", error);
    }
    for (const listener of [...listeners]) {
      try {
        listener(frame);
      } catch (error) {
        console.error("[notifications] frame listener threw", error);
      }
    }
  });

  const onSessionChange = useEffectEvent((key: string, patch: Partial<NotificationsState>) => update(key, () => patch));
  // 4001: the server ended this socket's session (signed out in another tab, or expired). The
  // `userId` this layout was rendered with is stale: render it again with the real session, so a
  // signed-out tab stops retrying (anonymous off) or comes back as anonymous (anonymous on).
  const onSocketClose = useEffectEvent((code: number, everOpened: boolean) => {
    if (code === CloseCode.SESSION_ENDED) router.refresh();
    else if (!everOpened) warnOnce("socket-refused", refusedSocketWarning({ url: buildNotificationSocketURL(window.location, path), origin: window.location.origin, userId }));
  });
  // Read when a socket is created, not a reason to recreate it.
  const watermark = useEffectEvent(() => initialLastId ?? null);

  useEffect(() => () => queue?.dispose(), [queue]);

  useEffect(() => {
    if (signedInWithoutId(sessionValue)) warnOnce("session-without-id", SESSION_WITHOUT_ID_WARNING);
  }, [sessionValue]);

  useEffect(() => {
    if (!chime) return;
    const created = createChime();
    chimeRef.current = created;
    return () => {
      if (chimeRef.current === created) chimeRef.current = null;
      created.dispose();
    };
  }, [chime, chimeRef]);

  // A later, higher watermark (a server page rendered after a send) raises the socket's — but
  // only while it is open, when everything up to it has already arrived live. Raised while
  // disconnected, it would make the reconnect skip broadcasts this tab missed meanwhile.
  useEffect(() => {
    const controller = controllerRef.current;
    if (initialLastId !== undefined && controller?.getState().status === "open") controller.noteLastId(initialLastId);
  }, [initialLastId, controllerRef]);

  // Read when a socket is created, not a reason to recreate it.
  const timing = useEffectEvent(() => ({ settleMs, openTimeoutMs }));

  useEffect(() => {
    if (!active) return;
    const key = sessionKey;
    // Callbacks of a disposed controller must not touch state (StrictMode's first mount, old user).
    let live = true;
    // A socket that never opened was refused (or nobody listens): worth a word in development.
    let everOpened = false;
    const socketOptions: NotificationSocketOptions = {
      url: () => buildNotificationSocketURL(window.location, path),
      WebSocket: WebSocketImpl,
      backoff: JSON.parse(backoffKey) as BackoffOptions | null ?? undefined,
      lastId: watermark(),
      ...timing(),
      subscriptions: registry,
      onFrame: (frame) => {
        if (live) handleFrame(key, frame);
      },
      onStateChange: (connection) => {
        if (connection.status === "open") everOpened = true;
        if (live) onSessionChange(key, { connection });
      },
      onChannelsChange: (channels) => {
        if (live) onSessionChange(key, { channels });
      },
      onClose: ({ code }) => {
        if (live) onSocketClose(code, everOpened);
      },
    };
    const shared = shareSocket && canShareSocket() ? createSharedNotificationSocket({ ...socketOptions, shareKey: JSON.stringify([path, userId]) }) : null;
    const controller = shared ?? createNotificationSocket(socketOptions);
    controllerRef.current = controller;
    // StrictMode mounts, unmounts and mounts again synchronously. Connecting on a later
    // macrotask lets the first cleanup cancel before any socket exists: never two sockets,
    // never one opened only to be closed.
    const timer = setTimeout(() => controller.connect(), 0);
    return () => {
      live = false;
      clearTimeout(timer);
      if (controllerRef.current === controller) controllerRef.current = null;
      // Replaced because the user changed (not unmounted): say so, so tabs sharing the socket
      // render their layouts again (see createSharedNotificationSocket).
      if (latestSessionKeyRef.current !== key) shared?.announceSessionEnded();
      controller.dispose();
    };
  }, [active, sessionKey, path, backoffKey, WebSocketImpl, controllerRef, registry, shareSocket, userId, latestSessionKeyRef]);

  const api = useMemo<NotificationsApi>(
    () => ({
      addFrameListener(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
      subscribe: (request) => registry.add(request),
      unsubscribe: (channels) => registry.removeChannels(channels),
      getSubscriptionState: (channel) => registry.channelState(channel),
      onSubscriptionsChange: (listener) => registry.listen(listener),
      send(frame: ClientFrame) {
        return controllerRef.current?.send(frame) ?? false;
      },
    }),
    [listeners, registry, controllerRef],
  );

  const visible = session.key === sessionKey ? session : null;
  const state = useMemo<NotificationsState>(
    () => ({
      connection: visible?.connection ?? IDLE,
      progress: visible?.progress ?? EMPTY_PROGRESS,
      channels: visible?.channels ?? NO_CHANNELS,
    }),
    [visible?.connection, visible?.progress, visible?.channels],
  );

  return (
    <NotificationsApiContext value={api}>
      <NotificationsStateContext value={state}>
        {isThenable<NotificationsSession | null>(sessionProp) ? (
          <Suspense fallback={null}>
            <SessionReader session={sessionProp} onSession={setResolvedSession} />
          </Suspense>
        ) : null}
        {children}
        {toaster === false ? null : <Toaster position="top-right" {...(toaster === true ? {} : toaster)} />}
      </NotificationsStateContext>
    </NotificationsApiContext>
  );
}
