/**
 * /admin: live counts of the notifications this server process handles — sockets, users,
 * channels, the busiest groups, recent sends with their audience and receivers, the biggest inbox
 * backlogs, and the state of the layer and the store. Built on the kit's `getStats()`. Admins
 * only: anyone else gets the same 404 as a page that does not exist.
 */
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { auth } from "@/auth";
import { findUserById } from "@/db";
import { isAdmin } from "@/demo/roles";
import { getDemoSettings } from "@/demo/settings";
import { getStats } from "next-channels-broadcast/server";
import { AutoRefresh } from "./auto-refresh";

export const metadata: Metadata = { title: "Admin" };
export const dynamic = "force-dynamic";

/** How often the page re-renders its counts. */
const REFRESH_MS = 1_000;

export default async function AdminPage() {
  const session = await auth();
  const account = session?.user?.id ? await findUserById(session.user.id) : null;
  if (!account || !isAdmin(account, getDemoSettings())) notFound();
  const stats = await getStats({ limit: 10 });
  const sockets = stats.gateway ? stats.gateway.sockets.authenticated + stats.gateway.sockets.anonymous : 0;

  return (
    <section className="card" data-testid="admin">
      <AutoRefresh everyMs={REFRESH_MS} />
      <h1>Notifications: this server process</h1>
      <dl className="stats">
        <div>
          <dt>Open sockets</dt>
          <dd data-testid="admin-sockets">{sockets}</dd>
        </div>
        <div>
          <dt>Signed-in / anonymous</dt>
          <dd>
            {stats.gateway?.sockets.authenticated ?? 0} / {stats.gateway?.sockets.anonymous ?? 0}
          </dd>
        </div>
        <div>
          <dt>Users online</dt>
          <dd data-testid="admin-users">{stats.gateway?.users ?? 0}</dd>
        </div>
        <div>
          <dt>Page channels held</dt>
          <dd>{stats.gateway?.channels ?? 0}</dd>
        </div>
        <div>
          <dt>Channel layer</dt>
          <dd data-testid="admin-layer">
            {stats.layer.kind}, {stats.layer.up ? "up" : "down"}
          </dd>
        </div>
        <div>
          <dt>Store</dt>
          <dd data-testid="admin-store">{stats.store}</dd>
        </div>
      </dl>
      {stats.gateway === null ? <p className="muted">No gateway runs in this process (started without server.ts?).</p> : null}

      <h2>Busiest groups</h2>
      <table className="table" data-testid="admin-busiest">
        <thead>
          <tr>
            <th>Group</th>
            <th>Sockets</th>
          </tr>
        </thead>
        <tbody>
          {(stats.gateway?.busiest ?? []).map((group) => (
            <tr key={group.group}>
              <td>
                <code>{group.group}</code>
              </td>
              <td>{group.sockets}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Recent sends</h2>
      <table className="table" data-testid="admin-sends">
        <thead>
          <tr>
            <th>When (UTC)</th>
            <th>Kind</th>
            <th>Audience</th>
            <th>Group</th>
            <th>Receivers here</th>
          </tr>
        </thead>
        <tbody>
          {stats.recentSends.map((send, index) => (
            <tr key={`${send.at}-${index}`}>
              <td>{send.at.slice(11, 19)}</td>
              <td>{send.kind}</td>
              <td>{send.audience}</td>
              <td>
                <code>{send.group}</code>
              </td>
              <td>{send.receivers ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Inbox backlog</h2>
      <p className="muted small">Unacknowledged notifications waiting for a user&apos;s next connect.</p>
      <table className="table" data-testid="admin-backlog">
        <thead>
          <tr>
            <th>User id</th>
            <th>Pending</th>
          </tr>
        </thead>
        <tbody>
          {stats.inboxBacklog.map((row) => (
            <tr key={row.userId}>
              <td>
                <code>{row.userId}</code>
              </td>
              <td>{row.pending}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
