/**
 * Per-page channels in a real browser: each article page holds its article's channel on the
 * layout's one socket while it is on screen, so a comment reaches exactly that article's readers.
 */
import { expect, test } from "@playwright/test";
import { appServerPerFile } from "./support/per-file";
import { expectConnected, expectLive, postComment, recordSockets, signIn, toasts } from "./support/pages";

const WELCOME = "Welcome to next-channels-broadcast"; // article 1 (seeded)

const file = appServerPerFile({ users: ["alice", "bob", "carol"] });

test("a comment reaches both readers of the article and not the reader of another article", async ({ browser }) => {
  const alice = await signIn(await file.newContext(browser), file.app.url, "alice");
  const bob = await signIn(await file.newContext(browser), file.app.url, "bob");
  const carol = await signIn(await file.newContext(browser), file.app.url, "carol");
  await alice.goto(`${file.app.url}/articles/1`);
  await bob.goto(`${file.app.url}/articles/1`);
  await carol.goto(`${file.app.url}/articles/2`);
  await expectLive(alice, "articles-1");
  await expectLive(bob, "articles-1");
  await expectLive(carol, "articles-2");

  await postComment(alice, "Lovely first article, thanks!");
  const toast = `alice commented on “${WELCOME}”: Lovely first article`;
  await expect(toasts(alice, toast)).toBeVisible();
  await expect(toasts(bob, toast)).toBeVisible();
  // The poster sees the comment in the list; the other reader's list refreshes live.
  await expect(alice.getByTestId("comment").filter({ hasText: "Lovely first article, thanks!" })).toBeVisible();
  await expect(bob.getByTestId("comment").filter({ hasText: "Lovely first article, thanks!" })).toBeVisible();

  // Carol's own comment on article 2 is a later marker on her socket: had alice's toast been
  // delivered to her, it would have arrived first.
  await postComment(carol, "Marker on article two");
  await expect(toasts(carol, "carol commented on")).toBeVisible();
  await expect(toasts(carol, "alice commented on")).toHaveCount(0);
  // And the readers of article 1 did not get carol's comment on article 2.
  await postComment(bob, "Marker on article one");
  await expect(toasts(alice, "bob commented on")).toBeVisible();
  await expect(toasts(alice, "carol commented on")).toHaveCount(0);
});

test("commenting needs a session", async ({ browser }) => {
  const anon = await (await file.newContext(browser)).newPage();
  await anon.goto(`${file.app.url}/articles/1`);
  await expect(anon.getByTestId("comment-signin-prompt")).toBeVisible();
  await expect(anon.getByTestId("comment-form")).toHaveCount(0);
});

test("a client-side navigation to another article swaps the channel on the same websocket", async ({ browser }) => {
  const context = await file.newContext(browser);
  const reader = await signIn(context, file.app.url, "alice");
  const bob = await signIn(await file.newContext(browser), file.app.url, "bob");
  await bob.goto(`${file.app.url}/articles/1`);

  const sockets = recordSockets(reader);
  await reader.goto(`${file.app.url}/articles/1`);
  await expectConnected(reader);
  await expectLive(reader, "articles-1");

  await postComment(bob, "first on one");
  await expect(toasts(reader, "first on one")).toBeVisible();

  await reader.getByTestId("article-link-2").click();
  await expect(reader).toHaveURL(`${file.app.url}/articles/2`);
  await expectLive(reader, "articles-2");
  // Article 1's channel was released, not merely joined by article 2's.
  await expect(reader.getByTestId("channel-live")).toHaveAttribute("data-subscribed", "articles-2");

  // Bob comments on article 1, then on article 2: the reader gets only the second.
  await postComment(bob, "second on one");
  await bob.getByTestId("article-link-2").click();
  await expect(bob).toHaveURL(`${file.app.url}/articles/2`);
  await postComment(bob, "first on two");
  await expect(toasts(reader, "first on two")).toBeVisible();
  await expect(toasts(reader, "second on one")).toHaveCount(0);

  // One websocket for the whole journey: the layout's socket survived the navigation.
  expect(sockets).toHaveLength(1);
  await expectConnected(reader);
});
