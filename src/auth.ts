/**
 * Auth.js (NextAuth v5) for the demo: username + password against the users table, JWT sessions.
 *
 * `session.user.id` is the users.id (the JWT's `sub`) and `session.user.name` the username, so
 * `sendToUser(session.user.id, …)` reaches the `user:<id>` group the gateway derives from the
 * same cookie. AUTH_SECRET comes from the environment (server.ts makes sure it is set).
 *
 * Sessions can be revoked (sign-out, a deleted user): each sign-in gets a random session id, the
 * token's `sid` claim, which the websocket gateway reads from the same cookie; `signOutAction`
 * revokes it, and the jwt callback below refuses a revoked session, so a copy of the cookie taken
 * before signing out is refused by pages as well as by the gateway.
 *
 * Failed sign-ins are limited per client address (`DEMO_SIGNIN_FAILURES_PER_HOUR`), in `authorize`,
 * so the limit holds for the sign-in form and for Auth.js' own callback route alike.
 */
import { randomBytes } from "node:crypto";
import NextAuth, { CredentialsSignin, type DefaultSession } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { verifyUser } from "@/db";
import { clientAddressFrom } from "@/demo/client-ip";
import { demoLimiters } from "@/demo/rate-limit";
import { isSessionRevoked } from "next-channels-broadcast/server";

declare module "next-auth" {
  interface Session {
    user: { id: string; name: string } & DefaultSession["user"];
    /** This sign-in's id (the token's `sid`), for `revokeSession` at sign-out. Server code only needs it. */
    sessionId?: string;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    /** Random per sign-in; the gateway reads it as `SocketUser.sessionId`. */
    sid?: string;
  }
}

/** Thrown by `authorize` when this address failed too often; the sign-in form says when to retry. */
export class SignInRateLimited extends CredentialsSignin {
  code = "rate_limited";
}

const credentialsSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  session: { strategy: "jwt" },
  pages: { signIn: "/signin" },
  logger: {
    // A wrong password is an expected outcome (the form says so), not a server error to log.
    error(error) {
      if ((error as { type?: string }).type === "CredentialsSignin") return;
      console.error(`[auth][error] ${error.name}: ${error.message}`, error.cause ?? "");
    },
  },
  providers: [
    Credentials({
      credentials: {
        username: { label: "Username" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, request) {
        const address = clientAddressFrom(request.headers);
        const failures = demoLimiters().signInFailures;
        // Taken up front so parallel guesses cannot all pass the check; given back on success.
        if (!failures.take(address).allowed) throw new SignInRateLimited();
        const parsed = credentialsSchema.safeParse(credentials);
        const user = parsed.success ? await verifyUser(parsed.data.username, parsed.data.password) : null;
        if (!user) return null;
        failures.refund(address);
        return { id: user.id, name: user.username };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        // Sign-in: pin the token to the database id and the username, and name this session.
        if (user.id) token.sub = user.id;
        token.name = user.name ?? null;
        token.sid = randomBytes(18).toString("base64url");
        return token;
      }
      // Every later use of the session: a revoked one ends here (the cookie is cleared where
      // Auth.js can set cookies). `iat` is when this token was issued (Auth.js re-issues it as the
      // session is used), which `revokeUserSessions` compares with when it revoked them all.
      if (token.sub) {
        const issuedAt = typeof token.iat === "number" ? token.iat * 1000 : null;
        if (await isSessionRevoked({ userId: token.sub, sessionId: token.sid ?? null, issuedAt })) return null;
      }
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      if (typeof token.name === "string") session.user.name = token.name;
      if (typeof token.sid === "string") session.sessionId = token.sid;
      return session;
    },
  },
});

/** The signed-in user of this request as `{ id, name }`, or null. */
export async function currentUser(): Promise<{ id: string; name: string } | null> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  return { id, name: session.user.name ?? "" };
}
