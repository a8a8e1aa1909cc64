/**
 * Warnings for the moments a developer would otherwise be lost: signed in but no socket (the
 * session has no `user.id`), or a socket the server refused (the browser is never told why).
 * Development only, each at most once per page load: a console that repeats itself on every
 * retry is a console nobody reads.
 */

const warned = new Set<string>();

/** True outside production builds (Next inlines `process.env.NODE_ENV` into client bundles). */
export function isDevelopment(): boolean {
  return typeof process === "undefined" || process.env.NODE_ENV !== "production";
}

/**
 * `console.warn(message)` once per `key` per page load, in development only.
 *
 * @example
 * warnOnce("session-without-id", "[notifications] …");
 */
export function warnOnce(key: string, message: string): void {
  if (!isDevelopment() || warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/** Forgets which warnings were given (tests). */
export function resetDevWarnings(): void {
  warned.clear();
}

/** The session has a user but no `user.id`: the exact callback that fixes it. */
export const SESSION_WITHOUT_ID_WARNING = `[notifications] You are signed in, but the session has no user.id, so no notification socket is opened and nothing sent with sendToUser() reaches this tab.
Auth.js does not put the user's id on the session by default. Add this to your NextAuth({ … }) config (auth.ts), or run \`npx next-channels-broadcast init\`:

  callbacks: {
    session({ session, token }) {
      if (session.user && token.sub) session.user.id = token.sub;
      return session;
    },
  },`;

/**
 * The server refused (or never answered) the socket's first handshake. Browsers hide the HTTP
 * answer of a refused websocket, so this lists the reasons the gateway has, with what this page
 * can tell about each; the server's own log names the one that applied.
 *
 * @example
 * refusedSocketWarning({ url: "ws://localhost:3000/ws/notifications", origin: "http://localhost:3000", userId: null })
 */
export function refusedSocketWarning(facts: { url: string; origin: string; userId: string | null }): string {
  return [
    `[notifications] The notification socket ${facts.url} was refused before it opened (it keeps retrying). The gateway refuses a socket when:`,
    `  - its Origin is not allowed: this page is ${facts.origin}; by default only the server's own origin may connect (NOTIFICATIONS_ALLOWED_ORIGINS lists others, and behind a proxy set NOTIFICATIONS_TRUSTED_PROXIES so the forwarded host counts);`,
    facts.userId === null
      ? "  - it is anonymous and anonymous connections are off: this socket has no user (set ENABLE_ANONYMOUS=true on the server, or sign in);"
      : `  - its session was revoked (signed out elsewhere) or could not be read: this socket is user ${JSON.stringify(facts.userId)};`,
    "  - no gateway runs on this path: start the app with its server.ts (`npm run dev`), not with `next dev` alone.",
    "The server's output says which one (in development).",
  ].join("\n");
}
