/**
 * The demo's `send-notification` command: the kit's `send` command, plus — when REDIS_URL is
 * set — sending in-process with the demo's own resolvers (usernames and `articles:<id>` looked
 * up in its database), so it also works with no server running.
 *
 *   npm run send-notification -- --audience user --username alice "Your import finished" --level success
 *
 * Everything else (flags, prompts on a terminal, exit codes, the hardening) is the kit's. The
 * database is loaded only when an in-process send needs it, so `--help` and HTTP sends start fast.
 */
import { createDirectSender, runSendCommand, type DirectSender } from "next-channels-broadcast/cli";

const direct: DirectSender = async (body, env) => {
  const [{ closeDatabase }, { demoTargetResolvers }] = await Promise.all([import("@/db"), import("@/db/notification-targets")]);
  return createDirectSender(demoTargetResolvers, () => closeDatabase())(body, env);
};

process.exit(await runSendCommand(process.argv.slice(2), process.env, { program: "npm run send-notification --", direct }));
