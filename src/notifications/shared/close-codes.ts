/**
 * WebSocket close codes used by the gateway. 4000–4999 are reserved for applications.
 * The browser client reads them to decide whether, and how soon, to reconnect.
 */
export const CloseCode = {
  /** Normal closure (client navigated away, or the provider unmounted). */
  NORMAL: 1000,
  /** The server is going away; reconnect promptly (graceful shutdown, deploy). */
  SERVICE_RESTART: 1012,
  /** The server cannot serve the socket right now (e.g. the channel layer is down); retry with backoff. */
  TRY_AGAIN_LATER: 1013,
  /** A client frame broke a rule badly enough to end the connection (e.g. flooding). */
  POLICY_VIOLATION: 1008,
  /** A client frame exceeded the configured size. Sent by `ws` itself. */
  MESSAGE_TOO_BIG: 1009,
  /** The session behind the socket expired or was signed out; reconnect to re-authenticate. */
  SESSION_ENDED: 4001,
  /** The client stopped reading and its send buffer passed the configured limit. */
  SLOW_CONSUMER: 4008,
  /** No pong to the server's heartbeat. */
  HEARTBEAT_TIMEOUT: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
