/**
 * What a developer adds to a fresh create-next-app app before and after `init`, written the way
 * the Auth.js and next-channels-broadcast docs show it — nothing the kit's `init` should be doing
 * for them. Deliberately WITHOUT `session.user.id` in the Auth.js config: Auth.js leaves it out by
 * default, and `init` must add it.
 */

/** The one user the credentials login accepts. */
export const USER = { email: "ada@example.com", password: "correct horse battery staple" };

/** Before `init`: a minimal Auth.js v5 credentials login (auth.ts, its route handler, a sign-in form). */
export const AUTH_FILES: Record<string, string> = {
  "auth.ts": `import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";

export const { handlers, signIn, signOut, auth } = NextAuth({
  providers: [
    Credentials({
      credentials: {
        email: { type: "email", label: "Email" },
        password: { type: "password", label: "Password" },
      },
      authorize: async (credentials) => {
        if (credentials.email === ${JSON.stringify(USER.email)} && credentials.password === ${JSON.stringify(USER.password)}) {
          return { id: "user-ada", name: "Ada", email: ${JSON.stringify(USER.email)} };
        }
        return null;
      },
    }),
  ],
});
`,
  "app/api/auth/[...nextauth]/route.ts": `import { handlers } from "@/auth";

export const { GET, POST } = handlers;
`,
  "app/login/page.tsx": `import { signIn } from "@/auth";

export default function LoginPage() {
  return (
    <form
      className="flex flex-col gap-2 p-8"
      action={async (formData) => {
        "use server";
        await signIn("credentials", { email: formData.get("email"), password: formData.get("password"), redirectTo: "/notify" });
      }}
    >
      <label>
        Email <input name="email" type="email" />
      </label>
      <label>
        Password <input name="password" type="password" />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}
`,
};

/** After `init`: a page whose server action sends the signed-in user a toast and a progress value. */
export const NOTIFY_FILES: Record<string, string> = {
  "app/notify/page.tsx": `import { auth } from "@/auth";
import { progressUser, sendToUser } from "next-channels-broadcast/server";
import { ReportProgress } from "./report-progress";

async function runReport(formData: FormData) {
  "use server";
  const session = await auth();
  if (!session?.user?.id) throw new Error("Sign in first");
  await progressUser(session.user.id, Number(formData.get("percent")));
  await sendToUser(session.user.id, \`Report \${String(formData.get("report"))} is ready\`, { level: "success" });
}

export default function NotifyPage() {
  return (
    <main className="flex flex-col gap-4 p-8">
      <form action={runReport} className="flex gap-2">
        <input name="report" aria-label="Report name" defaultValue="Monthly" />
        <input name="percent" aria-label="Progress" type="number" defaultValue="60" />
        <button type="submit">Run the report</button>
      </form>
      <ReportProgress />
    </main>
  );
}
`,
  "app/notify/report-progress.tsx": `"use client";
import { useProgress } from "next-channels-broadcast/client";

export function ReportProgress() {
  const progress = useProgress();
  return (
    <div>
      <progress data-testid="report-progress" max={100} value={progress?.percent ?? 0} />
      <span data-testid="report-progress-label">{progress ? progress.label : "not started"}</span>
    </div>
  );
}
`,
};
