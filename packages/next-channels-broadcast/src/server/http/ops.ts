/**
 * The operations endpoints a custom server answers before Next sees the request: liveness,
 * readiness and (when configured) Prometheus metrics. Served by the HTTP server itself, never
 * through Next: they must answer while Next is busy or starting, and must not be an app route a
 * middleware could rewrite.
 *
 * - `GET <livenessPath>` (default `/livez`): 200 `{"status":"live"}` while the process serves.
 * - `GET <readinessPath>` (default `/readyz`): 200 when new sockets are welcome; 503 with the
 *   failing checks while the channel layer is down, the store does not answer, or the process is
 *   draining — so a load balancer stops sending new sockets to it.
 * - `GET <metricsPath>` (off by default): Prometheus text, to a bearer token
 *   (`NOTIFICATIONS_METRICS_TOKEN`) or an allowed address (`NOTIFICATIONS_METRICS_ALLOW`, the
 *   direct peer address); anyone else gets 401 (token configured) or 403.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { GatewayStats } from "../gateway/index.js";
import type { NotificationSettings } from "../settings.js";
import type { NotificationStore } from "../store/types.js";
import { bearerMatches, tokenDigest } from "./bearer.js";

/** How long a store check's answer is reused, so a busy load balancer cannot hammer the database. */
const STORE_CHECK_TTL_MS = 1_000;
/** How long the store may take to answer the readiness check. */
const STORE_CHECK_TIMEOUT_MS = 2_000;

export interface OpsEndpointsOptions {
  settings: NotificationSettings;
  /** The gateway's holdings (layer state, closing). */
  stats(): GatewayStats;
  store?: NotificationStore;
  /** The metrics registry, when metrics are on. */
  registry?: Registry;
}

export interface Readiness {
  ready: boolean;
  checks: { layer: "up" | "down"; store: "ok" | "failing" | "none"; draining: boolean };
}

export interface OpsEndpoints {
  /** Answers `req` when it is for one of the endpoints and returns true; false leaves it to Next. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Readiness as the endpoint reports it. */
  readiness(): Promise<Readiness>;
  /** From now on readiness is false (shutdown began). */
  startDraining(): void;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so an IPv4 allow-list matches on a dual-stack server. */
function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...headers });
  res.end(body);
}

/**
 * Creates the endpoints of one server.
 *
 * @example
 * const ops = createOpsEndpoints({ settings, stats: () => gateway.stats(), store, registry: metrics?.registry });
 * const server = createServer((req, res) => { if (!ops.handle(req, res)) nextHandler(req, res); });
 */
export function createOpsEndpoints(options: OpsEndpointsOptions): OpsEndpoints {
  const { settings, store, registry } = options;
  const expected = settings.metricsToken ? tokenDigest(settings.metricsToken) : null;
  const allowed = new Set(settings.metricsAllow);
  let draining = false;
  let storeCheck: { at: number; ok: Promise<boolean> } | null = null;

  function storeAnswers(): Promise<boolean> {
    if (!store) return Promise.resolve(true);
    const now = Date.now();
    if (storeCheck && now - storeCheck.at < STORE_CHECK_TTL_MS) return storeCheck.ok;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STORE_CHECK_TIMEOUT_MS);
      timer.unref();
    });
    const ok = Promise.race([store.currentWatermark().then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
    storeCheck = { at: now, ok };
    return ok;
  }

  async function readiness(): Promise<Readiness> {
    const stats = options.stats();
    const storeOk = await storeAnswers();
    const checks: Readiness["checks"] = { layer: stats.layerUp ? "up" : "down", store: store ? (storeOk ? "ok" : "failing") : "none", draining: draining || stats.closing };
    return { ready: checks.layer === "up" && checks.store !== "failing" && !checks.draining, checks };
  }

  function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    const byToken = expected !== null && bearerMatches(req.headers.authorization, expected);
    if (!byToken && !allowed.has(peerAddress(req))) {
      if (expected !== null) return send(res, 401, "Unauthorized\n", "text/plain", { "www-authenticate": 'Bearer realm="metrics"' });
      return send(res, 403, "Forbidden\n", "text/plain");
    }
    registry!.metrics().then(
      (text) => send(res, 200, text, registry!.contentType),
      () => send(res, 500, "Could not collect metrics\n", "text/plain"),
    );
  }

  return {
    readiness,
    startDraining() {
      draining = true;
    },
    handle(req, res) {
      const path = (req.url ?? "").split("?", 1)[0];
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      if (settings.livenessPath !== "" && path === settings.livenessPath) {
        send(res, 200, `${JSON.stringify({ status: "live" })}\n`, "application/json");
        return true;
      }
      if (settings.readinessPath !== "" && path === settings.readinessPath) {
        readiness().then(
          (answer) => send(res, answer.ready ? 200 : 503, `${JSON.stringify({ status: answer.ready ? "ready" : "not ready", ...answer.checks })}\n`, "application/json"),
          () => send(res, 503, `${JSON.stringify({ status: "not ready" })}\n`, "application/json"),
        );
        return true;
      }
      if (registry && settings.metricsPath !== "" && path === settings.metricsPath) {
        serveMetrics(req, res);
        return true;
      }
      return false;
    },
  };
}
