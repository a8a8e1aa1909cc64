/**
 * A real gateway with a real Drizzle store on PGlite, for the replay tests: the runtime the
 * send API uses carries the same store, and every ack the gateway handled can be awaited.
 */
import type { AckEvent } from "../../packages/next-channels-broadcast/src/server/gateway";
import type { ChannelLayer } from "../../packages/next-channels-broadcast/src/server/layer/types";
import type { NotificationSettings } from "../../packages/next-channels-broadcast/src/server/settings";
import { createDrizzleStore, type NotificationStore, type StoreSettings } from "../../packages/next-channels-broadcast/src/server/store";
import type { Authorizer } from "../../packages/next-channels-broadcast/src/server/auth/authorizer";
import { startTestGateway, TestClient, type TestGateway } from "../helpers/gateway-server";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { openPgliteDatabase, type TestDatabase } from "../store/databases";

export interface ReplayServer extends TestGateway {
  store: NotificationStore;
  /** Resolves once the gateway has handled (and the store recorded) an ack matching `predicate`. */
  nextAck(predicate: (ack: AckEvent) => boolean): Promise<AckEvent>;
  /** Connects a client; `lastId` becomes the `?lastId=` query parameter. */
  connect(options?: { userId?: string; lastId?: number | string; extraChannels?: string[] }): Promise<TestClient>;
}

export interface ReplayServerOptions {
  database: TestDatabase;
  settings?: Partial<NotificationSettings>;
  storeSettings?: Partial<StoreSettings>;
  clock?: () => Date;
  layer?: ChannelLayer;
  authorizer?: Authorizer;
  /** Wraps the store (e.g. to make it fail) before the gateway and the runtime get it. */
  wrapStore?: (store: NotificationStore) => NotificationStore;
  /** Where the gateway reports problems. Default: console. */
  logger?: Pick<Console, "warn" | "error">;
  /** Key of subscription tokens. Default: AUTH_SECRET. */
  tokenSecret?: string;
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const real = createDrizzleStore(options.database.db, { env: {}, settings: options.storeSettings, clock: options.clock });
  const store = options.wrapStore ? options.wrapStore(real) : real;
  const acks: AckEvent[] = [];
  let waiters: { predicate: (ack: AckEvent) => boolean; resolve: (ack: AckEvent) => void }[] = [];
  const server = await startTestGateway(options.settings ?? {}, {
    store,
    layer: options.layer,
    authorizer: options.authorizer,
    logger: options.logger,
    tokenSecret: options.tokenSecret,
    onAck(ack) {
      acks.push(ack);
      waiters = waiters.filter((waiter) => {
        if (!waiter.predicate(ack)) return true;
        waiter.resolve(ack);
        return false;
      });
    },
  });
  server.runtime.store = store;
  const clients: TestClient[] = [];
  return {
    ...server,
    store,
    nextAck(predicate) {
      const seen = acks.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async connect({ userId, lastId, extraChannels } = {}) {
      const query = new URLSearchParams();
      if (lastId !== undefined) query.set("lastId", String(lastId));
      if (extraChannels !== undefined) query.set("extraChannels", JSON.stringify(extraChannels));
      const client = await TestClient.connect(server.url, { userId, query: query.size > 0 ? query.toString() : undefined });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.splice(0).map((client) => (client.ws.readyState === client.ws.CLOSED ? undefined : client.close())));
      await server.close();
      await store.close();
    },
  };
}

/** Message frames (type `message`) a client received, as `{id, text}`. */
export function messages(client: TestClient): { id: number | undefined; text: string }[] {
  return client.frames.flatMap((frame) => (frame.type === "message" ? [{ id: frame.id, text: frame.text }] : []));
}

/** Index of the client's `hello` among its frames. */
export function helloIndex(client: TestClient): number {
  return client.frames.findIndex((frame) => frame.type === "hello");
}

/**
 * One PGlite database for a test file (emptied before each test) and a replay server per test,
 * closed after it. Call once at the top of a file or `describe`; then `await replay.start(options)`.
 *
 * @example
 * const replay = replayServerPerTest();
 * it("…", async () => {
 *   const server = await replay.start({ authorizer: () => true });
 * });
 */
export function replayServerPerTest() {
  let database: TestDatabase | undefined;
  let server: ReplayServer | undefined;
  beforeAll(async () => {
    database = await openPgliteDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database!.reset();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return {
    /** Starts this test's server on the file's database. */
    async start(options: Omit<ReplayServerOptions, "database"> = {}): Promise<ReplayServer> {
      server = await startReplayServer({ database: database!, ...options });
      return server;
    },
  };
}
