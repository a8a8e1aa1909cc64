/**
 * A publisher for fault-injection tests: sends numbered, unique messages through an app
 * process's HTTP publish endpoint at a steady rate (a worker, a cron job, another service),
 * while the test breaks things elsewhere. Every message's fate is recorded: when its request
 * started, when it was confirmed, how many attempts it took, the id the server gave it.
 *
 * It behaves as a well-behaved publisher should: a 502 (the channel layer could not carry the
 * message, e.g. Redis is down), a 503 (the store could not save it) or a connection error is
 * retried with the SAME `Idempotency-Key`, so a retry of a message that was in fact stored is
 * not a second notification. A message counts as sent once a retry succeeds; what the suite
 * asserts is that every sent message reaches the screen once.
 */

/** One message and what happened to it. */
export interface Publication {
  /** 1-based number, unique within the publisher. */
  n: number;
  /** The message text: `<tag> #<n, 3 digits>`, unique across the whole test run. */
  text: string;
  /** A short name of the audience, for reports (e.g. "user dora", "articles-1", "all"). */
  audience: string;
  /** When the first attempt started (ms since the epoch). */
  startedAt: number;
  /** When a request was answered 200 {sent: true}, or null while not (yet). */
  confirmedAt: number | null;
  /** The stored id the server answered, when there is one. */
  id: number | null;
  /** Status of each attempt; 0 for a connection error. */
  statuses: number[];
  /** Why it was given up (a non-retryable answer, or retries ran out), or null. */
  failure: string | null;
}

/** Where one message goes: the publish request's audience fields, and a label for reports. */
export interface PublishTarget {
  audience: string;
  fields: Record<string, unknown>;
}

export interface SteadyPublisherOptions {
  /** The app's base URL (`http://127.0.0.1:<port>`) whose publish endpoint is used. */
  baseUrl: string;
  /** That process's `NOTIFICATIONS_API_KEY`. */
  apiKey: string;
  /** Unique per test run, at the start of every text; a word without spaces or `#`. */
  tag: string;
  /** Messages per second started by `start()`. Default 10. */
  ratePerSecond?: number;
  /** Where message `n` goes (the steady stream asks for each number in turn). */
  target(n: number): PublishTarget;
  /** Wait between retries of a failed attempt. Default 150 ms. */
  retryDelayMs?: number;
  /** Give a message up after this long without success. Default 60 s. */
  giveUpAfterMs?: number;
}

const RETRYABLE = new Set([0, 502, 503]);

/** The parts of the endpoint's JSON answer the publisher reads. */
type PublishAnswer = { sent?: unknown; id?: unknown };

/**
 * Sends numbered messages at a steady rate until stopped.
 *
 * @example
 * const publisher = new SteadyPublisher({ baseUrl: b.url, apiKey, tag: "restart-x1", target: () => ({ audience: "all", fields: { audience: "all" } }) });
 * publisher.start();
 * await publisher.untilStarted(10);
 * // … break something …
 * await publisher.stop();            // waits until every started message is confirmed
 */
export class SteadyPublisher {
  readonly publications: Publication[] = [];
  private readonly options: Required<Omit<SteadyPublisherOptions, "target">> & Pick<SteadyPublisherOptions, "target">;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters = new Set<() => void>();

  constructor(options: SteadyPublisherOptions) {
    if (/[\s#]/.test(options.tag)) throw new Error(`tag ${JSON.stringify(options.tag)} must not contain spaces or '#'`);
    this.options = { ratePerSecond: 10, retryDelayMs: 150, giveUpAfterMs: 60_000, ...options };
  }

  /**
   * Text of message `n` (whether or not it was sent yet).
   *
   * @example
   * publisher.textOf(7) // "restart-x1 #007"
   */
  textOf(n: number): string {
    return `${this.options.tag} #${String(n).padStart(3, "0")}`;
  }

  /**
   * Starts the steady stream: one message every `1000 / ratePerSecond` ms, on an absolute schedule.
   *
   * @example
   * publisher.start();
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    const interval = 1000 / this.options.ratePerSecond;
    const origin = Date.now();
    let k = 0;
    const tick = () => {
      if (!this.running) return;
      this.publish(this.options.target(this.publications.length + 1));
      k += 1;
      this.timer = setTimeout(tick, Math.max(0, origin + k * interval - Date.now()));
    };
    tick();
  }

  /**
   * Sends one message now, outside the steady schedule (numbered in the same sequence);
   * resolves when it is confirmed or given up.
   *
   * @example
   * const publication = await publisher.publish({ audience: "articles-2", fields: { audience: "object", object: "articles:2" } });
   */
  publish(target: PublishTarget): Promise<Publication> {
    const n = this.publications.length + 1;
    const publication: Publication = {
      n,
      text: this.textOf(n),
      audience: target.audience,
      startedAt: Date.now(),
      confirmedAt: null,
      id: null,
      statuses: [],
      failure: null,
    };
    this.publications.push(publication);
    const done = this.deliver(publication, target).finally(() => {
      this.inFlight.delete(done);
      this.notify();
    });
    this.inFlight.add(done);
    this.notify();
    return done.then(() => publication);
  }

  /**
   * Resolves once `count` messages have been started (steady stream and `publish` together).
   *
   * @example
   * await publisher.untilStarted(publisher.publications.length + 15); // 1.5 s more at 10/s
   */
  untilStarted(count: number, timeoutMs = 60_000): Promise<void> {
    return this.until(`${count} messages were started`, () => this.publications.length >= count, timeoutMs);
  }

  /**
   * Resolves once `count` messages were confirmed at or after `since` (ms since the epoch).
   *
   * @example
   * await redis.restart();
   * await publisher.untilConfirmedAfter(Date.now(), 10); // 10 sends went through the restarted Redis
   */
  untilConfirmedAfter(since: number, count: number, timeoutMs = 60_000): Promise<void> {
    const confirmed = () => this.publications.filter((publication) => publication.confirmedAt !== null && publication.confirmedAt >= since).length;
    return this.until(`${count} messages were confirmed`, () => confirmed() >= count, timeoutMs);
  }

  /**
   * Resolves once `count` attempts in all were refused (502, 503 or no connection): the
   * publisher has seen the outage, however slowly the server answered.
   *
   * @example
   * await redis.stop();
   * await publisher.untilRefused(10);
   */
  untilRefused(count: number, timeoutMs = 30_000): Promise<void> {
    const refused = () => this.publications.reduce((sum, publication) => sum + publication.statuses.filter((status) => RETRYABLE.has(status)).length, 0);
    return this.until(`${count} attempts were refused`, () => refused() >= count, timeoutMs);
  }

  /**
   * Stops starting messages and waits until every started one is confirmed or given up.
   *
   * @example
   * await publisher.stop();
   */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Messages that were confirmed sent.
   *
   * @example
   * const sent = publisher.confirmed();
   */
  confirmed(): Publication[] {
    return this.publications.filter((publication) => publication.confirmedAt !== null);
  }

  /**
   * Messages given up: the suite reports them as a broken test setup, not as losses.
   *
   * @example
   * expect(publisher.failed()).toEqual([]);
   */
  failed(): Publication[] {
    return this.publications.filter((publication) => publication.failure !== null);
  }

  private async deliver(publication: Publication, target: PublishTarget): Promise<void> {
    const { baseUrl, apiKey, retryDelayMs, giveUpAfterMs, tag } = this.options;
    const deadline = publication.startedAt + giveUpAfterMs;
    const body = JSON.stringify({ ...target.fields, kind: "message", text: publication.text, level: "info" });
    for (;;) {
      let status = 0;
      let answer: PublishAnswer | null = null;
      try {
        const response = await fetch(`${baseUrl}/api/notifications/publish`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": "application/json",
            // The same key on every attempt: a retry of a send that was stored is not a second send.
            "idempotency-key": `${tag}-${publication.n}`,
          },
          body,
        });
        status = response.status;
        answer = (await response.json().catch(() => null)) as PublishAnswer | null;
      } catch {
        status = 0;
      }
      publication.statuses.push(status);
      this.notify();
      if (status === 200 && answer?.sent === true) {
        publication.confirmedAt = Date.now();
        publication.id = typeof answer.id === "number" ? answer.id : null;
        return;
      }
      if (!RETRYABLE.has(status)) {
        publication.failure = `answered ${status} ${JSON.stringify(answer)}`;
        return;
      }
      if (Date.now() + retryDelayMs > deadline) {
        publication.failure = `still failing after ${giveUpAfterMs} ms (statuses ${publication.statuses.join(",")})`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }

  private until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
