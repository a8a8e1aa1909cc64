"use client";

import { NotificationPanel, useInbox, type CenterPage } from "next-channels-broadcast/client";
import { archiveInbox, loadInbox, markInboxRead } from "../inbox-actions";

/** The full history: the same inbox as the header's bell, as a page. */
export function History({ initial }: { initial: CenterPage }) {
  const inbox = useInbox({ initial, actions: { list: loadInbox, markRead: markInboxRead, archive: archiveInbox } });
  return <NotificationPanel inbox={inbox} classNames={{ list: "plain-list inbox-list", unread: "inbox-unread", actions: "inbox-actions" }} empty="Nothing yet: notifications sent to you show up here." />;
}
