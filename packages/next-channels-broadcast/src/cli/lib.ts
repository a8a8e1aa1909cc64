/**
 * `next-channels-broadcast/cli`: the `send` command as a function, for an app's own command-line
 * wrapper — e.g. one that can also send in-process with its own user and row lookups. Light to
 * load (no Next.js, no websocket server, no database driver until an in-process send needs one):
 * a command starts in a blink.
 *
 * @example
 * import { createDirectSender, runSendCommand } from "next-channels-broadcast/cli";
 * process.exit(await runSendCommand(process.argv.slice(2), process.env, { direct: createDirectSender(myResolvers) }));
 */
export { runSendCommand, type SendCommandOptions, type DirectSender, type SendOutcome } from "./send.js";
export { createDirectSender } from "./direct.js";
