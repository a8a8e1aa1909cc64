/**
 * Auth.js (NextAuth v5) for the demo: username + password against the users table, JWT sessions.
 *
 * `session.user.id` is the users.id (the JWT's `sub`) and `session.user.name` the username, so
 * `sendToUser(session.user.id, …)` reaches the `user:<id>` group the gateway derives from the
 * same cookie. AUTH_SECRET comes from the environment (server.ts makes sure it is set).
 */
import NextAuth, { type DefaultSession } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { verifyUser } from "@/db";

declare module "next-auth" {
  interface Session {
    user: { id: string; name: string } & DefaultSession["user"];
  }
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
      async authorize(credentials) {
        const parsed = credentialsSchema.safeParse(credentials);
        if (!parsed.success) return null;
        const user = await verifyUser(parsed.data.username, parsed.data.password);
        return user ? { id: user.id, name: user.username } : null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        // Sign-in: pin the token to the database id and the username.
        if (user.id) token.sub = user.id;
        token.name = user.name ?? null;
      }
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      if (typeof token.name === "string") session.user.name = token.name;
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
