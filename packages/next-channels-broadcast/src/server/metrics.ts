/**
 * Prometheus metrics of one process, with `prom-client` (an optional peer dependency, loaded only
 * when `NOTIFICATIONS_METRICS_PATH` is set). Every name starts with `ncb_`, and every series carries
 * a `process` label (`NOTIFICATIONS_PROCESS_ID`, default `<hostname>:<pid>`), so the processes of
 * one deployment add up in a query such as `sum(ncb_sockets_open)`.
 *
 * Counters are fed by the gateway's observer (`gateway/observer.ts`) and the send path; gauges of
 * what is held now (sockets, users, groups, channels) are read from `gateway.stats()` when scraped,
 * so nothing is counted twice or drifts.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { hostname } from "node:os";
import type { Registry } from "prom-client";
import type { GatewayObserver } from "./gateway/observer.js";
import type { GatewayStats } from "./gateway/index.js";
import { loadOptional } from "./optional.js";
import type { NotificationSettings } from "./settings.js";

/** What the metrics read when scraped. */
export interface MetricsSources {
  /** The gateway's holdings now. */
  stats(): GatewayStats;
}

/** What sends report (`notify`), so published messages are counted by kind and audience. */
export interface SendObserver {
  published(kind: string, audience: string): void;
}

export interface NotificationMetrics {
  /** The registry to serve (`registry.metrics()`), with the `ncb_` metrics and Node's default ones. */
  registry: Registry;
  /** Hand to `createGateway({ observer })`. */
  observer: GatewayObserver;
  /** Hand to the runtime (`runtime.sendObserver`), so sends are counted. */
  sends: SendObserver;
  /** Hand to the outbox consumer (`onLag`): how long its last entry waited in the stream. */
  outboxLag(seconds: number): void;
  /** Stops the event-loop sampler. */
  stop(): void;
}

/** Buckets of the replay duration histogram, in seconds. */
const REPLAY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Buckets of the event-loop delay histogram, in seconds. */
const LOOP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** How often the event-loop delay is sampled into its histogram. */
const LOOP_SAMPLE_MS = 1_000;

/**
 * Creates the metrics of one process. Loads `prom-client` (throws `MissingDependencyError` when
 * it is not installed).
 *
 * @example
 * const metrics = await createNotificationMetrics(settings, { stats: () => gateway.stats() });
 * const gateway = createGateway({ settings, layer, observer: metrics.observer });
 * res.end(await metrics.registry.metrics());
 */
export async function createNotificationMetrics(settings: NotificationSettings, sources: MetricsSources): Promise<NotificationMetrics> {
  const client = await loadOptional("prom-client", "NOTIFICATIONS_METRICS_PATH (Prometheus metrics)", () => import("prom-client"));
  const { Counter, Gauge, Histogram } = client;
  const registry = new client.Registry();
  registry.setDefaultLabels({ process: settings.processId || `${hostname()}:${process.pid}` });
  client.collectDefaultMetrics({ register: registry, prefix: "ncb_" });
  const registers = [registry];

  new Gauge({
    name: "ncb_sockets_open",
    help: "Open notification sockets, by kind (authenticated, anonymous).",
    labelNames: ["kind"],
    registers,
    collect() {
      const { sockets } = sources.stats();
      this.set({ kind: "authenticated" }, sockets.authenticated);
      this.set({ kind: "anonymous" }, sockets.anonymous);
    },
  });
  new Gauge({ name: "ncb_users_connected", help: "Distinct signed-in users with an open socket.", registers, collect() { this.set(sources.stats().users); } });
  new Gauge({ name: "ncb_groups_held", help: "Groups this process listens to on the channel layer.", registers, collect() { this.set(sources.stats().groups); } });
  new Gauge({ name: "ncb_channels_held", help: "Distinct client-requested channels held by this process's sockets.", registers, collect() { this.set(sources.stats().channels); } });
  const layerUp = new Gauge({ name: "ncb_layer_up", help: "1 while the channel layer delivers, 0 during an outage.", registers });
  layerUp.set(1);
  const layerRestores = new Counter({ name: "ncb_layer_restores_total", help: "Times the channel layer came back after an outage.", registers });
  const handshakes = new Counter({ name: "ncb_handshakes_total", help: "Websocket handshakes, by result (accepted, refused) and reason.", labelNames: ["result", "reason"], registers });
  const closed = new Counter({ name: "ncb_sockets_closed_total", help: "Sockets closed, by kind and close code.", labelNames: ["kind", "code"], registers });
  const published = new Counter({ name: "ncb_messages_published_total", help: "Sends published by this process, by kind and audience.", labelNames: ["kind", "audience"], registers });
  const delivered = new Counter({ name: "ncb_frames_delivered_total", help: "Frames handed to local sockets, by kind and audience.", labelNames: ["kind", "audience"], registers });
  const replayRows = new Counter({ name: "ncb_replay_rows_total", help: "Stored rows sent by replays (connect, subscribe, outage catch-up).", registers });
  const replaySeconds = new Histogram({ name: "ncb_replay_duration_seconds", help: "Time to fetch a join's replay from the store.", buckets: REPLAY_BUCKETS, registers });
  const acks = new Counter({ name: "ncb_acks_total", help: "Inbox rows acknowledged by sockets.", registers });
  const cuts = new Counter({ name: "ncb_sockets_cut_total", help: "Sockets the gateway cut, by reason (slow_consumer, rate_limit).", labelNames: ["reason"], registers });
  const outboxLag = new Gauge({ name: "ncb_outbox_lag_seconds", help: "How long the last outbox entry taken by this process waited in the Redis stream.", registers });
  const loopDelay = new Histogram({ name: "ncb_event_loop_delay_seconds", help: "Event-loop delay, the worst of each second.", buckets: LOOP_BUCKETS, registers });

  // The worst delay of each second becomes one observation: a histogram of how often the loop stalled.
  const monitor = monitorEventLoopDelay({ resolution: 10 });
  monitor.enable();
  const sampler = setInterval(() => {
    if (monitor.count > 0) loopDelay.observe(monitor.max / 1e9);
    monitor.reset();
  }, LOOP_SAMPLE_MS);
  sampler.unref();

  const observer: GatewayObserver = {
    handshake(outcome) {
      if (outcome.accepted) handshakes.inc({ result: "accepted", reason: outcome.kind });
      else handshakes.inc({ result: "refused", reason: `${outcome.status} ${outcome.reason}` });
    },
    closed: (kind, code) => closed.inc({ kind, code: String(code) }),
    delivered: (kind, audience, sockets) => {
      if (sockets > 0) delivered.inc({ kind, audience }, sockets);
    },
    replayed(rows, seconds) {
      replayRows.inc(rows);
      replaySeconds.observe(seconds);
    },
    acked: (rows) => acks.inc(rows),
    cut: (reason) => cuts.inc({ reason }),
    layerStatus(status) {
      layerUp.set(status === "up" ? 1 : 0);
      if (status === "up") layerRestores.inc();
    },
  };
  return {
    registry,
    observer,
    sends: { published: (kind, audience) => published.inc({ kind, audience }) },
    outboxLag: (seconds) => outboxLag.set(seconds),
    stop() {
      clearInterval(sampler);
      monitor.disable();
    },
  };
}
