/**
 * What a person SAW, recorded in the page and kept in the test process: every notification
 * toast ever rendered (also after it timed out or was dismissed, also across full page loads),
 * every notification websocket the page opened and how each one closed (with its close code),
 * and every message frame the server sent. The fault-injection suite counts from here.
 *
 * Why an init script with a MutationObserver: a toast that appears and disappears between two
 * looks at the DOM still counts, and a second copy of a message shown later counts twice.
 * A "showing" is one more toast with the same notification id and text in the DOM than at the
 * previous mutation: React re-rendering or replacing the node of a toast that stays on screen
 * is not a second showing; the same message stacked (two ids), or shown again after it was
 * gone, is.
 *
 * Why the page's WebSocket is wrapped: Playwright reports that a websocket closed but not its
 * close code, and a 1008 (policy violation: the server cut the client off) is one of the
 * things this suite must catch. The wrapper only listens; the client under test is unchanged.
 *
 * Records leave the page at once through an exposed binding, so nothing is lost when the page
 * navigates or reloads.
 */
import type { BrowserContext, Page } from "@playwright/test";

const BINDING = "__ncbFaultLog";

/** One showing of a toast. */
export interface ShownToast {
  /** The toast's whole text content (icon and close button included). */
  text: string;
  /** Its `data-notification-id`, or null for a message without a stored id. */
  notificationId: string | null;
  /** When the test process heard of it (ms since the epoch). */
  at: number;
}

/** One notification websocket the page opened. */
export interface PageSocket {
  url: string;
  openedAt: number | null;
  closedAt: number | null;
  closeCode: number | null;
  closeReason: string | null;
}

/** A `message` frame the server sent the page (before any client-side dedupe or rendering). */
export interface ReceivedMessage {
  id: number | null;
  text: string;
  at: number;
}

/** Everything recorded for one page. */
export class PageRecord {
  readonly toasts: ShownToast[] = [];
  readonly sockets: PageSocket[] = [];
  readonly received: ReceivedMessage[] = [];
  private readonly waiters = new Set<() => void>();

  /**
   * Times a toast containing `text` was shown.
   *
   * @example
   * expect(record.timesShown("restart-x1 #017")).toBe(1);
   */
  timesShown(text: string): number {
    return this.toasts.filter((toast) => toast.text.includes(text)).length;
  }

  /**
   * Sockets opened (the `open` event fired) at or after `since`.
   *
   * @example
   * await record.until("a reconnect", () => record.socketsOpenedSince(faultAt).length > 0, 45_000);
   */
  socketsOpenedSince(since: number): PageSocket[] {
    return this.sockets.filter((socket) => socket.openedAt !== null && socket.openedAt >= since);
  }

  /**
   * Resolves when `done()` holds, re-checked after every recorded event. Rejects after
   * `timeoutMs` with `what` in the message. This is how the suite waits for a toast or a
   * reconnect: on the event itself, never a fixed sleep.
   *
   * @example
   * await record.until("the last message is shown", () => record.timesShown("#55") > 0, 30_000);
   */
  until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /**
   * Resolves when `done()` holds (true), or with false once no toast has been shown for
   * `quietMs` (the page has stopped rendering: what is missing is not coming), or after
   * `capMs` in any case. For draining a paced backlog of toasts, whose pace is the client's.
   *
   * @example
   * const complete = await record.untilOrQuiet(() => everyTextShown(), 15_000, 120_000);
   */
  untilOrQuiet(done: () => boolean, quietMs: number, capMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let shownCount = this.toasts.length;
      let quiet: ReturnType<typeof setTimeout>;
      const finish = (value: boolean) => {
        clearTimeout(quiet);
        clearTimeout(cap);
        this.waiters.delete(check);
        resolve(value);
      };
      const armQuiet = () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => finish(done()), quietMs);
      };
      const check = () => {
        if (done()) return finish(true);
        if (this.toasts.length !== shownCount) {
          shownCount = this.toasts.length;
          armQuiet();
        }
      };
      const cap = setTimeout(() => finish(done()), capMs);
      armQuiet();
      this.waiters.add(check);
    });
  }

  /** @internal Called by `RenderLog` after each recorded event. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

type PageEvent =
  | { kind: "toast"; text: string; notificationId: string | null }
  | { kind: "socket-open"; socket: string; url: string }
  | { kind: "socket-close"; socket: string; url: string; code: number; reason: string };

/**
 * Runs in the page before its own scripts. Plain JavaScript in a function body: Playwright
 * serialises it, so it may use nothing from this module's scope.
 */
function pageRecorder(binding: string): void {
  if (window.top !== window) return;
  const report = (event: unknown) => {
    const send = (window as unknown as Record<string, ((event: unknown) => Promise<void>) | undefined>)[binding];
    if (send) void send(event);
    else queue.push(event);
  };
  // The binding is in place before page scripts run; the queue only covers a very early event.
  const queue: unknown[] = [];
  const flush = () => {
    const send = (window as unknown as Record<string, ((event: unknown) => Promise<void>) | undefined>)[binding];
    if (!send) return;
    for (const event of queue.splice(0)) void send(event);
  };

  const selector = '[data-testid="notification-toast"]';
  // A toast is known by its notification id and text. Counting per key how many such toasts
  // the DOM holds, a showing is an increase between two looks: a re-render or replaced node
  // of a toast that stays is not one; a second copy stacked, or shown again after it was
  // gone, is. (A node added and removed before the observer runs was never painted.)
  const keyOf = (toast: Element) => `${toast.getAttribute("data-notification-id") ?? ""}|${toast.textContent ?? ""}`;
  const countKeys = () => {
    const counts = new Map<string, { count: number; toast: Element }>();
    for (const toast of Array.from(document.querySelectorAll(selector))) {
      const key = keyOf(toast);
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { count: 1, toast });
    }
    return counts;
  };
  let before = new Map<string, { count: number; toast: Element }>();
  new MutationObserver(() => {
    flush();
    const now = countKeys();
    for (const [key, { count, toast }] of now) {
      for (let shown = before.get(key)?.count ?? 0; shown < count; shown += 1) {
        report({ kind: "toast", text: toast.textContent ?? "", notificationId: toast.getAttribute("data-notification-id") });
      }
    }
    before = now;
  }).observe(document, { childList: true, subtree: true });

  const Native = window.WebSocket;
  // Unique per document, so sockets of a reloaded page never share a key with the old ones.
  const documentKey = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  let opened = 0;
  class ObservedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const socket = `${documentKey}/${opened++}`;
      const href = String(url);
      if (!href.includes("/ws/notifications")) return;
      this.addEventListener("open", () => report({ kind: "socket-open", socket, url: href }));
      this.addEventListener("close", (event) => report({ kind: "socket-close", socket, url: href, code: event.code, reason: event.reason }));
    }
  }
  window.WebSocket = ObservedWebSocket;
}

/**
 * Records what the pages of one browser context show. Attach it before the context's first page
 * loads (it installs an init script).
 *
 * @example
 * const log = await RenderLog.attach(context);
 * const page = await signIn(context, app.url, "alice");
 * await log.of(page).until("a toast", () => log.of(page).toasts.length > 0, 10_000);
 */
export class RenderLog {
  private readonly records = new Map<Page, PageRecord>();
  /** The page's key of each socket not closed yet → its record. */
  private readonly openSockets = new Map<string, PageSocket>();

  private constructor() {}

  static async attach(context: BrowserContext): Promise<RenderLog> {
    const log = new RenderLog();
    await context.exposeBinding(BINDING, ({ page }, event: PageEvent) => log.onPageEvent(page, event));
    await context.addInitScript(pageRecorder, BINDING);
    context.on("page", (page) => log.watchFrames(page));
    return log;
  }

  /**
   * The record of `page` (empty until the page reports something).
   *
   * @example
   * const record = log.of(page);
   */
  of(page: Page): PageRecord {
    let record = this.records.get(page);
    if (!record) {
      record = new PageRecord();
      this.records.set(page, record);
    }
    return record;
  }

  private onPageEvent(page: Page, event: PageEvent): void {
    const record = this.of(page);
    const at = Date.now();
    if (event.kind === "toast") {
      record.toasts.push({ text: event.text, notificationId: event.notificationId, at });
    } else {
      const sockets = this.openSockets;
      const key = event.socket;
      if (event.kind === "socket-open") {
        const socket: PageSocket = { url: event.url, openedAt: at, closedAt: null, closeCode: null, closeReason: null };
        sockets.set(key, socket);
        record.sockets.push(socket);
      } else {
        let socket = sockets.get(key);
        if (!socket) {
          // Closed before it opened (refused, or the network was down).
          socket = { url: event.url, openedAt: null, closedAt: null, closeCode: null, closeReason: null };
          record.sockets.push(socket);
        }
        sockets.delete(key);
        socket.closedAt = at;
        socket.closeCode = event.code;
        socket.closeReason = event.reason;
      }
    }
    record.notify();
  }

  private watchFrames(page: Page): void {
    page.on("websocket", (socket) => {
      if (!socket.url().includes("/ws/notifications")) return;
      socket.on("framereceived", ({ payload }) => {
        if (typeof payload !== "string") return;
        let frame: unknown;
        try {
          frame = JSON.parse(payload);
        } catch {
          return;
        }
        // The server may batch several frames into one array; accept both shapes.
        for (const one of Array.isArray(frame) ? frame : [frame]) {
          const message = one as { type?: unknown; id?: unknown; text?: unknown };
          if (message.type !== "message" || typeof message.text !== "string") continue;
          this.of(page).received.push({ id: typeof message.id === "number" ? message.id : null, text: message.text, at: Date.now() });
        }
        this.of(page).notify();
      });
    });
  }
}
