/**
 * Makes sure `AUTH_SECRET` is set before Auth.js or the gateway read it.
 *
 * A fresh checkout should start without configuration, yet a hard-coded default secret would
 * let anyone forge sessions. So when none is set we generate a random one once and keep it in
 * the data directory (mode 0600), and say so. Deployments set AUTH_SECRET themselves.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Sets `process.env.AUTH_SECRET` from `<dataDir>/auth-secret` (created if missing) unless it
 * is already set. Returns where the secret came from.
 *
 * @example
 * ensureAuthSecret(".data"); // "environment" | "generated" | "file"
 */
export function ensureAuthSecret(dataDir: string): "environment" | "file" | "generated" {
  if (process.env.AUTH_SECRET) return "environment";
  const file = join(dataDir, "auth-secret");
  try {
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length >= 32) {
      process.env.AUTH_SECRET = stored;
      return "file";
    }
  } catch {
    // Not there yet: generate below.
  }
  const secret = randomBytes(32).toString("base64url");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  process.env.AUTH_SECRET = secret;
  return "generated";
}
