/**
 * An in-process sender for the `send` command: what an app gives `runSendCommand` so the command
 * can send without the HTTP endpoint (REDIS_URL set), resolving usernames and rows with the app's
 * own resolvers — the same ones its publish endpoint uses.
 */
import { connectFromEnv } from "../server/connect-from-env.js";
import { parsePublishRequest, resolvePublishRequest, type TargetResolvers } from "../server/http/publish-request.js";
import { closeRuntime } from "../server/runtime.js";
import { notifyWith } from "../server/send.js";
import type { DirectSender } from "./send.js";

/**
 * A `DirectSender` that connects from the environment (`REDIS_URL`, `DATABASE_URL`), sends, and
 * closes again. `done` runs afterwards whatever happened (close the app's database there).
 *
 * @example
 * // the app's own CLI wrapper
 * process.exit(await runSendCommand(process.argv.slice(2), process.env, { direct: createDirectSender(myResolvers) }));
 */
export function createDirectSender(resolvers: TargetResolvers, done?: () => Promise<void>): DirectSender {
  return async (body, env) => {
    try {
      const runtime = await connectFromEnv({ env, warn: () => undefined });
      const resolved = await resolvePublishRequest(parsePublishRequest(body), resolvers);
      const result = await notifyWith(runtime, resolved.target, resolved.payload);
      return result.sent ? (result.id === undefined ? { sent: true, group: result.group } : { sent: true, group: result.group, id: result.id }) : { sent: false, group: result.group, setting: result.setting };
    } finally {
      await closeRuntime().catch(() => undefined);
      await done?.();
    }
  };
}
