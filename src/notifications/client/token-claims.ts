/**
 * What the browser may read from a subscription token without the key: its payload is
 * `base64url(JSON {v, u, c, exp})` before the "." and signature — signed, not secret. The client
 * reads the channels (to know which names a token request concerns before the server answers)
 * and the expiry (to fetch a fresh token before re-sending a dead one). The server alone decides;
 * anything unreadable here simply means "unknown".
 */

/** The readable part of a token; fields the browser could not read are absent. */
export interface TokenClaims {
  /** Channels the token names. */
  channels: readonly string[];
  /** Expiry in ms since the epoch, or null when unknown. */
  expiresAt: number | null;
}

const UNKNOWN: TokenClaims = Object.freeze({ channels: Object.freeze([]) as readonly string[], expiresAt: null });

function decodeBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  try {
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Reads a token's channels and expiry, defensively: never throws, unknown fields come back empty.
 *
 * @example
 * readTokenClaims(token) // { channels: ["jobs-7"], expiresAt: 1767225600000 }
 * readTokenClaims("garbage") // { channels: [], expiresAt: null }
 */
export function readTokenClaims(token: string): TokenClaims {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot > 8_192) return UNKNOWN;
  const json = decodeBase64Url(token.slice(0, dot));
  if (json === null) return UNKNOWN;
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return UNKNOWN;
  }
  if (typeof payload !== "object" || payload === null) return UNKNOWN;
  const { c, exp } = payload as { c?: unknown; exp?: unknown };
  const channels = Array.isArray(c) ? c.filter((name): name is string => typeof name === "string") : [];
  const expiresAt = typeof exp === "number" && Number.isFinite(exp) ? exp * 1_000 : null;
  return { channels, expiresAt };
}

/**
 * True when the token's readable expiry has passed at `nowMs`; false when it has not or is unknown.
 *
 * @example
 * if (isTokenExpired(request.token, Date.now())) request.token = await request.getToken();
 */
export function isTokenExpired(token: string, nowMs: number): boolean {
  const { expiresAt } = readTokenClaims(token);
  return expiresAt !== null && expiresAt <= nowMs;
}
