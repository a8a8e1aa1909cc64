import Link from "next/link";
import { auth } from "@/auth";
import { findUserById } from "@/db";
import { isAdmin } from "@/demo/roles";
import { getDemoSettings } from "@/demo/settings";
import { getClientSettings } from "next-channels-broadcast/server";
import { SendForm } from "./send-form";

export const dynamic = "force-dynamic";

const AUDIENCES = [
  { name: "all", group: "all", text: "Every open tab, signed in or not.", who: "admins only" },
  { name: "authenticated", group: "authenticated", text: "Every tab of a signed-in user.", who: "admins only" },
  {
    name: "anonymous",
    group: "anonymous",
    text: "Every tab of a visitor who is not signed in (off unless ENABLE_ANONYMOUS is on).",
    who: "admins only",
  },
  { name: "user", group: "user:<id>", text: "All the tabs of one user, wherever they are open.", who: "admins: anyone; you: yourself" },
  {
    name: "object",
    group: "articles-1",
    text: "Readers of one database row's page, such as an article (see Articles).",
    who: "admins: any article; you: articles you wrote",
  },
  {
    name: "channel",
    group: "any name",
    text: "Sockets subscribed to a named channel, e.g. one background job (see Jobs).",
    who: "admins: any channel; you: your own jobs",
  },
];

const KINDS = [
  { name: "message", text: "a toast with a level (info, success, warning, error) and an optional click URL" },
  { name: "redirect", text: "moves the tab to another page of this site (other origins are never followed); admins only" },
  { name: "progress", text: "updates a progress bar (0–100%)" },
];

export default async function HomePage() {
  const session = await auth();
  const { anonymousEnabled } = getClientSettings();
  // The stored account, not the session: a deleted user sees the signed-out page, a role change counts at once.
  const account = session?.user?.id ? await findUserById(session.user.id) : null;

  return (
    <>
      <section className="hero">
        <h1>One call on the server, a toast in the right tabs.</h1>
        <p className="lead">
          Server actions, route handlers and scripts call <code>notify()</code> or one of its shortcuts; every open tab of the
          chosen audience shows it at once, over one websocket per tab.
        </p>
        <p className="tip" data-testid="tip">
          <strong>Try it:</strong> open a private window side by side — sign in here, stay anonymous there — and send to
          different audiences to watch who gets what.
          {anonymousEnabled ? (
            <>
              {" "}
              Anonymous visitors are <strong>on</strong> for this server: the kit keeps them off by default (
              <code>ENABLE_ANONYMOUS</code> is false), and <code>npm run demo</code> turns them on so all six audiences can be
              seen side by side.
            </>
          ) : (
            <>
              {" "}
              Anonymous visitors are <strong>off</strong>, the kit&apos;s default: their tabs do not connect. Run{" "}
              <code>npm run demo</code> (or start the server with <code>ENABLE_ANONYMOUS=true</code>) to see them too.
            </>
          )}
        </p>
        <div className="grid-2 tour" data-testid="tour">
          <Link className="card tour-card" href="/articles">
            <strong>Articles →</strong>
            <span className="muted">
              Each article page subscribes to its own channel. Open one in two windows and post a comment: both get a toast,
              readers of other articles don&apos;t. Switch articles and the same socket swaps channels.
            </span>
          </Link>
          <Link className="card tour-card" href="/jobs">
            <strong>Jobs →</strong>
            <span className="muted">
              Start a background job: its page follows the job&apos;s private UUID channel with a signed token, shows the
              progress bar advancing and is redirected to the result when the job ends.
            </span>
          </Link>
        </div>
      </section>

      <div className="grid-2">
        <section className="card">
          <h2>Six audiences</h2>
          <ul className="audience-list">
            {AUDIENCES.map((audience) => (
              <li key={audience.name}>
                <span className="pill">{audience.name}</span>
                <span>
                  {audience.text} <span className="muted">Group: <code>{audience.group}</code>; {audience.who}.</span>
                  {audience.name === "anonymous" && (
                    <span className={anonymousEnabled ? "badge badge-on" : "badge badge-off"} data-testid="anonymous-gate">
                      {anonymousEnabled ? "enabled" : "disabled"}
                    </span>
                  )}
                </span>
              </li>
            ))}
          </ul>
          <h2>Three kinds</h2>
          <ul className="plain-list">
            {KINDS.map((kind) => (
              <li key={kind.name}>
                <strong>{kind.name}</strong> — {kind.text}
              </li>
            ))}
          </ul>
        </section>

        <section className="card">
          <h2>Send a notification</h2>
          {account ? (
            <SendForm admin={isAdmin(account, getDemoSettings())} username={account.username} />
          ) : (
            <div className="prompt" data-testid="send-signin-prompt">
              <p>Sign in to send notifications. Anonymous visitors only receive them.</p>
              <p className="actions">
                <Link className="button" href="/signin">
                  Sign in
                </Link>
                <Link className="button button-quiet" href="/signup">
                  Create an account
                </Link>
              </p>
            </div>
          )}
        </section>
      </div>
    </>
  );
}
