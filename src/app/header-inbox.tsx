"use client";

import Link from "next/link";
import { useState } from "react";
import { NotificationBell, NotificationPanel, useInbox, type CenterPage } from "next-channels-broadcast/client";
import { archiveInbox, loadInbox, markInboxRead } from "./inbox-actions";

/** The bell in the header, with the live count, and its panel. Seeded by the layout's first page. */
export function HeaderInbox({ initial }: { initial: CenterPage }) {
  const inbox = useInbox({ initial, actions: { list: loadInbox, markRead: markInboxRead, archive: archiveInbox } });
  const [open, setOpen] = useState(false);
  return (
    <div className="header-inbox">
      <NotificationBell unread={inbox.unread} onClick={() => setOpen(!open)} expanded={open} controls="header-inbox-panel" className="button button-quiet bell" />
      {open ? (
        <div className="inbox-popover">
          <NotificationPanel id="header-inbox-panel" inbox={inbox} classNames={{ list: "plain-list inbox-list", unread: "inbox-unread", actions: "inbox-actions" }} />
          <Link href="/notifications" onClick={() => setOpen(false)}>
            All notifications
          </Link>
        </div>
      ) : null}
    </div>
  );
}
