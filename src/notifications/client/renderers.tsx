"use client";
/** How each notification kind reaches the screen by default; each piece can be replaced. */
import toast from "react-hot-toast";
import type { Toast } from "react-hot-toast";
import type { MessageFrame, ProgressFrame, RedirectFrame } from "../shared/protocol";
import { resolveRedirect, type NavigationTarget } from "./navigation";
import { DEFAULT_LEVEL_DURATIONS, NotificationToast } from "./toast";
import type { LevelStyles } from "./toast";
import type { ToastQueue } from "./toast-queue";

/** What a renderer may use. */
export interface RenderContext {
  /** The page origin (`location.origin`). */
  origin: string;
  /**
   * Client-side navigation (the Next router) to a same-origin path; a path the router could take
   * off the site is refused (logged) rather than pushed. For a URL from a frame use
   * `followSameOriginRedirect(frame, context)` or `navigate(resolveNavigation(url, origin))`.
   */
  push(path: string): void;
  /** Performs a resolved, safe navigation: router push in-app, `location.assign` elsewhere. */
  navigate(target: NavigationTarget): void;
  /** Style overrides given to the provider. */
  levelStyles: LevelStyles | undefined;
  /**
   * The provider's toast pacing (see `toastQueue`): show message toasts through it so a burst is
   * drawn a few at a time instead of being cut by react-hot-toast's limit. Absent when pacing is off.
   */
  toasts?: ToastQueue;
}

/** One function per notification kind. Replace any of them through the provider's `renderers` prop. */
export interface Renderers {
  message(frame: MessageFrame, context: RenderContext): void;
  redirect(frame: RedirectFrame, context: RenderContext): void;
  /** Progress is always stored for `useProgress`/`<ProgressBar>`; this is for anything extra. */
  progress(frame: ProgressFrame, context: RenderContext): void;
}

/**
 * Shows a message as a toast, paced by the provider's queue when there is one; a stored message
 * keeps its id, so a second copy is never a second toast. The default `message` renderer — call it
 * from your own to add something around it.
 *
 * @example
 * <NotificationsProvider renderers={{ message: (frame, context) => { track(frame); renderMessageToast(frame, context); } }} …>
 */
export function renderMessageToast(frame: MessageFrame, context: RenderContext): void {
  const id = frame.id === undefined ? undefined : `notification-${frame.id}`;
  const durationMs = DEFAULT_LEVEL_DURATIONS[frame.cssClass];
  const render = (record: Toast) => (
    <NotificationToast toast={record} frame={frame} origin={context.origin} navigate={context.navigate} levelStyles={context.levelStyles} />
  );
  if (context.toasts) context.toasts.show({ id, durationMs, render });
  else toast.custom(render, { id, duration: durationMs });
}

/**
 * Follows a redirect only within this origin: a forced navigation elsewhere is how phishing starts.
 * The URL is resolved as the browser would and the router gets the path rebuilt from the result,
 * never a path starting with `//`. The default `redirect` renderer.
 *
 * @example
 * <NotificationsProvider renderers={{ redirect: (frame, context) => { if (!hasUnsavedWork()) followSameOriginRedirect(frame, context); } }} …>
 */
export function followSameOriginRedirect(frame: RedirectFrame, context: RenderContext): void {
  // Resolved first, then judged: `/.//evil.example/` resolves to the path `//evil.example/`, another site.
  const target = resolveRedirect(frame.url, context.origin);
  if (target === null) {
    console.warn(`[notifications] ignored redirect to ${JSON.stringify(frame.url)}: not a same-origin URL`);
    return;
  }
  context.navigate(target);
}

/**
 * The defaults: toast for messages, same-origin router push for redirects, nothing extra for progress.
 *
 * @example
 * <NotificationsProvider userId={id} renderers={{ message: (f, ctx) => { myToast(f.text); } }}>
 */
export const defaultRenderers: Renderers = {
  message: renderMessageToast,
  redirect: followSameOriginRedirect,
  progress: () => {},
};
