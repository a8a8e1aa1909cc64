/**
 * One ioredis connection of the Redis layer, plus the state ioredis does not expose directly:
 *
 * - "still making the first attempt" versus "was up, is down now": the first publish after
 *   start-up may wait for the connection, a publish during an outage must fail at once;
 * - a liveness PING, because a half-open TCP connection (a dead peer that sent no RST, a
 *   dropped NAT entry) looks healthy to the socket until keep-alive notices, minutes later.
 *   A PING that gets no answer within the command timeout forces a reconnect.
 */
import { Redis, type RedisOptions } from "ioredis";

export type ConnectionRole = "publisher" | "subscriber";

/** `connecting` = before the first success or failure; `up` = ready; `down` = lost, reconnecting. */
export type ConnectionPhase = "connecting" | "up" | "down" | "closed";

export interface ConnectionHooks {
  /** The connection became ready (first time or after an outage). */
  up(connection: RedisConnection): void;
  /** The connection went from connecting/up to down. Called once per outage, not per retry. */
  down(connection: RedisConnection): void;
}

export class RedisConnection {
  readonly client: Redis;
  phase: ConnectionPhase = "connecting";
  /** The most recent connection error, for log lines and error messages. */
  lastError: string | undefined;
  private readonly phaseWaiters = new Set<() => void>();
  private healthTimer: NodeJS.Timeout | undefined;
  private pinging = false;

  constructor(
    readonly role: ConnectionRole,
    url: string,
    options: RedisOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.client = new Redis(url, options);
    // Without an 'error' listener ioredis prints every failed retry; the layer logs once per
    // outage instead and keeps the last error for the message.
    this.client.on("error", (error: Error) => {
      this.lastError = error.message;
    });
    this.client.on("ready", () => {
      if (this.phase === "closed") return;
      this.lastError = undefined;
      this.setPhase("up");
      this.hooks.up(this);
    });
    // 'close' fires on every lost connection and on every failed reconnect attempt.
    this.client.on("close", () => {
      if (this.phase === "closed" || this.phase === "down") return;
      this.setPhase("down");
      this.hooks.down(this);
    });
  }

  /** True when a command written now goes straight to Redis. */
  get ready(): boolean {
    return this.phase === "up" && this.client.status === "ready";
  }

  /**
   * Resolves when commands can be sent. During the first connection attempt it waits (at most
   * `timeoutMs`); once the connection has been up or has failed, it answers at once, so callers
   * fail fast during an outage instead of piling up.
   */
  async whenUsable(timeoutMs: number): Promise<void> {
    if (this.phase === "connecting") await this.nextPhase(timeoutMs);
    if (this.phase === "closed") throw new Error("the Redis layer is closed");
    if (!this.ready) throw new Error(`not connected to Redis (${this.lastError ?? this.client.status})`);
  }

  /** Pings every `intervalMs` while up; no answer within the command timeout forces a reconnect. */
  startHealthCheck(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.healthTimer = setInterval(() => {
      if (!this.ready || this.pinging) return;
      this.pinging = true;
      this.client
        .ping()
        .catch((error: unknown) => {
          if (this.phase !== "up") return;
          this.lastError = `no answer to PING (${error instanceof Error ? error.message : String(error)})`;
          // Down now, so sends fail fast instead of each waiting for its own timeout.
          this.setPhase("down");
          this.hooks.down(this);
          // A graceful end would wait for the silent peer's FIN (ioredis gives it 2 s);
          // destroying the socket makes ioredis reconnect at once.
          this.client.stream.destroy();
        })
        .finally(() => {
          this.pinging = false;
        });
    }, intervalMs);
    this.healthTimer.unref();
  }

  /** QUITs politely when up, then stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.phase === "closed") return;
    const wasReady = this.ready;
    this.setPhase("closed");
    clearInterval(this.healthTimer);
    if (wasReady) await this.client.quit().catch(() => undefined);
    // Cancels a pending reconnect and ends the socket if QUIT was not possible.
    this.client.disconnect();
    // Between two attempts ("reconnecting") there is no socket: cancelling the timer was all.
    if (this.client.status !== "end" && this.client.status !== "reconnecting") {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.client.once("end", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private setPhase(phase: ConnectionPhase): void {
    this.phase = phase;
    for (const wake of [...this.phaseWaiters]) wake();
  }

  private nextPhase(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.phaseWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.phaseWaiters.add(wake);
    });
  }
}
