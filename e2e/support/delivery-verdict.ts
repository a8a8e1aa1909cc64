/**
 * "Nothing lost, nothing shown twice", judged from what a page rendered (see `render-log.ts`)
 * against what a publisher sent (see `steady-publisher.ts`). On failure the message says which
 * numbers were lost and which were shown more than once, per audience, and for each lost one
 * whether its frame reached the browser at all (lost in transport vs. lost on the way to the
 * screen), so a red run says where to look.
 */
import { expect, type Page } from "@playwright/test";
import type { PageRecord } from "./render-log";
import type { Publication } from "./steady-publisher";

export interface Verdict {
  /** Messages that had to be shown and were not. */
  lost: Publication[];
  /** Messages shown more than once (required or tolerated), with how often. */
  duplicated: { publication: Publication; times: number }[];
  /** How many messages had to be shown. */
  required: number;
  /** One line, e.g. "lost 14 of 55, 0 shown twice". */
  summary: string;
  /** Everything needed to read a failure. */
  details: string;
}

function number(publication: Publication): string {
  return `#${String(publication.n).padStart(3, "0")}`;
}

function clock(at: number | null): string {
  return at === null ? "-" : new Date(at).toISOString().slice(11, 23);
}

/**
 * Judges one page: every `required` message shown exactly once; every `tolerated` one (e.g. a
 * message to a page channel sent while the tab was navigating away from it) at most once.
 *
 * @example
 * const verdict = judgeDelivery(log.of(page), publisher.confirmed(), [], await describePage(page));
 * expectExactlyOnce(verdict, "dora's tab");
 */
export function judgeDelivery(record: PageRecord, required: Publication[], tolerated: Publication[] = [], pageState = ""): Verdict {
  const lost = required.filter((publication) => record.timesShown(publication.text) === 0);
  const duplicated = [...required, ...tolerated]
    .map((publication) => ({ publication, times: record.timesShown(publication.text) }))
    .filter(({ times }) => times > 1);
  const summary = `lost ${lost.length} of ${required.length}, ${duplicated.length} shown more than once`;

  const lines = [summary];
  if (lost.length > 0) {
    const received = (publication: Publication) => record.received.some((frame) => frame.text === publication.text);
    const inTransport = lost.filter((publication) => !received(publication));
    lines.push(
      `lost: ${lost.map(number).join(" ")}`,
      `  never received by the browser: ${inTransport.length === 0 ? "none" : inTransport.map(number).join(" ")}`,
      `  received but never rendered:   ${lost.length === inTransport.length ? "none" : lost.filter(received).map(number).join(" ")}`,
    );
  }
  if (duplicated.length > 0) lines.push(`shown more than once: ${duplicated.map(({ publication, times }) => `${number(publication)}×${times}`).join(" ")}`);
  const audiences = [...new Set(required.map((publication) => publication.audience))];
  for (const audience of audiences) {
    const ofAudience = required.filter((publication) => publication.audience === audience);
    lines.push(`  ${audience}: lost ${ofAudience.filter((publication) => lost.includes(publication)).length} of ${ofAudience.length}`);
  }
  if (tolerated.length > 0) {
    lines.push(`  not required (at most once): ${tolerated.length}, shown ${tolerated.filter((publication) => record.timesShown(publication.text) > 0).length}`);
  }
  lines.push(`toasts shown: ${record.toasts.length}; message frames received: ${record.received.length}`);
  if (pageState) lines.push(`page at the end: ${pageState}`);
  lines.push(
    `sockets: ${record.sockets
      .map((socket) => `[opened ${clock(socket.openedAt)} closed ${clock(socket.closedAt)}${socket.closeCode === null ? "" : ` code ${socket.closeCode}`}]`)
      .join(" ")}`,
  );
  const retried = required.filter((publication) => publication.statuses.length > 1);
  if (retried.length > 0) lines.push(`retried by the publisher: ${retried.map((publication) => `${number(publication)}(${publication.statuses.join(",")})`).join(" ")}`);
  const timeline = required
    .filter((publication) => lost.includes(publication))
    .map((publication) => `${number(publication)} ${publication.audience} sent ${clock(publication.startedAt)}–${clock(publication.confirmedAt)} id ${publication.id ?? "-"}`);
  if (timeline.length > 0) lines.push("lost, when sent:", ...timeline.map((line) => `  ${line}`));
  return { lost, duplicated, required: required.length, summary, details: lines.join("\n") };
}

/**
 * Waits for a page to render `required` messages: first for the last one (sent after the fault
 * was over, so it arrives live), then for the rest, as long as toasts keep appearing (a paced
 * backlog drains at the client's pace) — until every one is shown, the page has shown nothing
 * for `quietMs`, or `capMs` passed. Resolves either way; the verdict says what is missing.
 *
 * @example
 * await waitForDelivery(log.of(page), publisher.confirmed());
 */
export async function waitForDelivery(
  record: PageRecord,
  required: Publication[],
  { lastTimeoutMs = 30_000, quietMs = 15_000, capMs = 120_000 }: { lastTimeoutMs?: number; quietMs?: number; capMs?: number } = {},
): Promise<void> {
  const last = required.at(-1);
  if (!last) return;
  await record.until(`${last.text} is shown`, () => record.timesShown(last.text) > 0, lastTimeoutMs).catch(() => undefined);
  await record.untilOrQuiet(() => required.every((publication) => record.timesShown(publication.text) > 0), quietMs, capMs);
}

/**
 * Asserts the verdict: nothing lost, nothing shown twice. The failure message names the numbers.
 *
 * @example
 * expectExactlyOnce(judgeDelivery(log.of(page), publisher.confirmed()), "dora's tab on A");
 */
export function expectExactlyOnce(verdict: Verdict, who: string): void {
  expect(
    { lost: verdict.lost.map(number), shownMoreThanOnce: verdict.duplicated.map(({ publication, times }) => `${number(publication)}×${times}`) },
    `${who}: ${verdict.details}`,
  ).toEqual({ lost: [], shownMoreThanOnce: [] });
}

/**
 * The page's own view of its connection, for failure messages: its URL, the connection
 * indicator's state and, on an article page, the channels the socket holds.
 *
 * @example
 * judgeDelivery(record, sent, [], await describePage(page));
 */
export async function describePage(page: Page): Promise<string> {
  const connection = await page.getByTestId("connection-state").getAttribute("data-state", { timeout: 1_000 }).catch(() => "?");
  const badge = page.getByTestId("channel-live");
  const channels = (await badge.count()) > 0 ? await badge.getAttribute("data-subscribed", { timeout: 1_000 }).catch(() => "?") : null;
  return `${page.url()} connection=${connection}${channels === null ? "" : ` channels=[${channels}]`}`;
}
