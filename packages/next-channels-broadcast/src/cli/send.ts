/**
 * `next-channels-broadcast send`: sends a notification from the command line.
 *
 *   npx next-channels-broadcast send --audience all "Deploy in 5 minutes" --level warning
 *   npx next-channels-broadcast send --audience user --username alice "Your import finished" --level success
 *   npx next-channels-broadcast send --kind redirect --audience object --object articles:42 /articles
 *   npx next-channels-broadcast send --kind progress --audience channel --channel job-7 42
 *
 * Transport: it POSTs to the running server's publish endpoint: NOTIFICATIONS_URL (default
 * http://localhost:3000) with the key in NOTIFICATIONS_API_KEY; the server resolves usernames and
 * objects with its own resolvers. An app can run the same command in-process instead (REDIS_URL
 * set) by giving `runSendCommand` a `direct` sender that knows its users and rows.
 *
 * On a terminal it asks for what is missing; without one it never waits ("--X is required").
 * Exit codes: 0 sent (or a No-op: the audience is disabled), 1 refused or failed, 2 usage.
 *
 * Hardening: a redirect URL is checked here with the kit's own rules before anything is sent
 * (so an older server cannot let `/.//evil.example/` through); the API key is never sent on to
 * where an HTTP redirect points (a 3xx answer is an error naming its Location); and whatever the
 * server says is printed through `terminalSafe` (no escape sequences, no control characters).
 */
import { createInterface, type Interface } from "node:readline";
import { parseArgs } from "node:util";
import {
  BROADCAST_AUDIENCES,
  OBJECT_REF_PATTERN,
  PUBLISH_AUDIENCES,
  PUBLISH_KINDS,
  type PublishAudience,
  type PublishKind,
} from "../server/http/publish-request.js";
import { buildRedirectFrame } from "../server/payload.js";
import { InvalidNotificationError } from "../shared/errors.js";
import { terminalSafe } from "./terminal-text.js";

const LEVELS = ["info", "success", "warning", "error"] as const;
const TARGETED_AUDIENCES = PUBLISH_AUDIENCES.filter((audience) => !(BROADCAST_AUDIENCES as readonly string[]).includes(audience));
const PUBLISH_PATH = "/api/notifications/publish";
/** Most bytes of a server answer read: the CLI needs a short JSON object, not whatever a server streams. */
const MAX_ANSWER_BYTES = 64 * 1024;

const usage = (program: string) => `Usage: ${program} [options] <payload>

Sends a message, redirect, progress update or refresh to the open browser tabs of an audience.

  --kind message|redirect|progress|refresh
                                      default message; a refresh re-renders the pages
                                      opted in with <LiveRefresh> and takes no <payload>
  --audience all|authenticated|anonymous|user|object|channel
                                      redirect and progress: user, object or channel only
  --username <name>                   with --audience user
  --object <table>:<pk>               with --audience object, e.g. articles:42
  --channel <name>                    with --audience channel
  --level info|success|warning|error  messages only (default info)
  <payload>                           the message text, the redirect URL, or the percent (42, 33.5%)
  -h, --help                          show this help

Sends through the server's publish endpoint at NOTIFICATIONS_URL (default
http://localhost:3000) with NOTIFICATIONS_API_KEY.
On a terminal, whatever is missing is asked for (q or Ctrl-D cancels).
`;

class UsageError extends Error {}
class FailedError extends Error {}
class CancelledError extends Error {}

interface Args {
  kind?: PublishKind;
  audience?: PublishAudience;
  username?: string;
  object?: string;
  channel?: string;
  level?: (typeof LEVELS)[number];
  payload?: string;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}.`);
}

function parse(argv: string[]): Args | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        kind: { type: "string" },
        audience: { type: "string" },
        username: { type: "string" },
        object: { type: "string" },
        channel: { type: "string" },
        level: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const args: Args = {
    kind: oneOf("kind", values.kind, PUBLISH_KINDS),
    audience: oneOf("audience", values.audience, PUBLISH_AUDIENCES),
    username: values.username,
    object: values.object,
    channel: values.channel,
    level: oneOf("level", values.level, LEVELS),
    payload: positionals.length > 0 ? positionals.join(" ") : undefined,
  };
  if (args.kind === "refresh" && positionals.length > 0) throw new UsageError("A refresh takes no <payload>.");
  if (args.kind && args.kind !== "message" && positionals.length > 1) {
    throw new UsageError(`A ${args.kind} takes one <payload> (${args.kind === "redirect" ? "the URL" : "the percent"}); got ${positionals.length}.`);
  }
  checkConsistency(args);
  return args;
}

/** The rules that hold whatever is still missing (checked again after the prompts). */
function checkConsistency(args: Args): void {
  const kind = args.kind ?? "message";
  if (args.level !== undefined && kind !== "message") throw new UsageError(`--level is only for messages, not --kind ${kind}.`);
  if (args.audience && kind !== "message" && kind !== "refresh" && (BROADCAST_AUDIENCES as readonly string[]).includes(args.audience)) {
    throw new UsageError(`A ${kind} cannot be sent to --audience ${args.audience}: use user, object or channel.`);
  }
  for (const [flag, owner] of [["username", "user"], ["object", "object"], ["channel", "channel"]] as const) {
    if (args[flag] !== undefined && args.audience !== undefined && args.audience !== owner) {
      throw new UsageError(`--${flag} is only used with --audience ${owner}, not ${args.audience}.`);
    }
  }
  if (args.object !== undefined && !OBJECT_REF_PATTERN.test(args.object)) {
    throw new UsageError(`--object must be <table>:<pk>, e.g. articles:42; got ${JSON.stringify(args.object)}.`);
  }
  if (args.username !== undefined && args.username.trim() === "") throw new UsageError("--username must not be empty.");
  if (args.channel !== undefined && args.channel.trim() === "") throw new UsageError("--channel must not be empty.");
}

function targetFlag(audience: PublishAudience): "username" | "object" | "channel" | null {
  return audience === "user" ? "username" : audience === "object" || audience === "channel" ? audience : null;
}

function payloadName(kind: Exclude<PublishKind, "refresh">): string {
  return kind === "message" ? "the message text" : kind === "redirect" ? "the redirect URL" : "the percent";
}

/** Without a terminal nothing is asked: the first missing piece is an error. */
function requireComplete(args: Args): void {
  if (!args.audience) throw new UsageError("--audience is required (all, authenticated, anonymous, user, object or channel).");
  const flag = targetFlag(args.audience);
  if (flag && args[flag] === undefined) throw new UsageError(`--${flag} is required with --audience ${args.audience}.`);
  if (args.kind === "refresh") return;
  if (args.payload === undefined || args.payload.trim() === "") throw new UsageError(`<payload> is required: ${payloadName(args.kind ?? "message")}.`);
}

/* ------------------------------------------------------------------ interactive prompts */

class Prompter {
  private readonly rl: Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | undefined;
  private closed = false;

  constructor() {
    this.rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    this.rl.on("line", (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
    const end = () => {
      this.closed = true;
      this.waiting?.(null);
      this.waiting = undefined;
    };
    this.rl.on("close", end);
    this.rl.on("SIGINT", () => {
      process.stderr.write("\n");
      this.rl.close();
    });
  }

  /** One line; `q`/Ctrl-D/Ctrl-C cancel. */
  async ask(question: string): Promise<string> {
    this.rl.setPrompt(question);
    this.rl.prompt();
    const line = this.lines.shift() ?? (this.closed ? null : await new Promise<string | null>((resolve) => (this.waiting = resolve)));
    if (line === null) {
      process.stderr.write("\n");
      throw new CancelledError("Cancelled.");
    }
    if (line.trim().toLowerCase() === "q") throw new CancelledError("Cancelled.");
    return line.trim();
  }

  /** A numbered menu that also accepts names; Enter picks `fallback` when there is one. */
  async choose<T extends string>(title: string, options: readonly T[], fallback?: T): Promise<T> {
    process.stderr.write(`${title}:\n${options.map((option, index) => `  ${index + 1}) ${option}${option === fallback ? " (default)" : ""}`).join("\n")}\n`);
    const hint = `[1-${options.length}${fallback ? `, Enter = ${fallback}` : ""}, q = cancel]`;
    for (;;) {
      const answer = (await this.ask(`${title} ${hint}: `)).toLowerCase();
      if (answer === "" && fallback) return fallback;
      const byNumber = /^\d+$/.test(answer) ? options[Number(answer) - 1] : undefined;
      const byName = options.find((option) => option === answer);
      const choice = byNumber ?? byName;
      if (choice) return choice;
      process.stderr.write(answer === "" ? "Please choose one.\n" : `Not a choice: ${JSON.stringify(answer)}.\n`);
    }
  }

  /** A non-empty line that passes `check` (which returns a problem or null). */
  async text(question: string, check: (value: string) => string | null = () => null): Promise<string> {
    for (;;) {
      const answer = await this.ask(question);
      const problem = answer === "" ? "It must not be empty." : check(answer);
      if (!problem) return answer;
      process.stderr.write(`${problem}\n`);
    }
  }

  close(): void {
    this.rl.close();
  }
}

async function askMissing(args: Args): Promise<Args> {
  const prompter = new Prompter();
  try {
    const filled: Args = { ...args };
    filled.kind ??= await prompter.choose("Kind", PUBLISH_KINDS, "message");
    if (!filled.audience) {
      const audiences = filled.kind === "message" || filled.kind === "refresh" ? PUBLISH_AUDIENCES : TARGETED_AUDIENCES;
      filled.audience = await prompter.choose("Audience", audiences);
    }
    checkConsistency(filled);
    if (filled.kind === "message" && filled.level === undefined) filled.level = await prompter.choose("Level", LEVELS, "info");
    const flag = targetFlag(filled.audience);
    if (flag === "username" && filled.username === undefined) filled.username = await prompter.text("Username: ");
    if (flag === "channel" && filled.channel === undefined) filled.channel = await prompter.text("Channel: ");
    if (flag === "object" && filled.object === undefined) {
      filled.object = await prompter.text("Object (<table>:<pk>, e.g. articles:42): ", (value) => (OBJECT_REF_PATTERN.test(value) ? null : "Expected <table>:<pk>, e.g. articles:42."));
    }
    if (filled.kind !== "refresh" && (filled.payload === undefined || filled.payload.trim() === "")) {
      const label = filled.kind === "message" ? "Message text: " : filled.kind === "redirect" ? "Redirect URL: " : "Percent (0-100): ";
      filled.payload = await prompter.text(label);
    }
    return filled;
  } finally {
    prompter.close();
  }
}

/* ------------------------------------------------------------------------------ sending */

function requestBody(args: Required<Pick<Args, "audience">> & Args): Record<string, unknown> {
  const kind = args.kind ?? "message";
  const body: Record<string, unknown> = { kind, audience: args.audience };
  if (args.audience === "user") body.username = args.username;
  if (args.audience === "object") body.object = args.object;
  if (args.audience === "channel") body.channel = args.channel;
  if (kind === "message") {
    body.text = args.payload;
    if (args.level) body.level = args.level;
  } else if (kind === "redirect") {
    body.url = args.payload;
  } else if (kind === "progress" && args.payload !== undefined) {
    // "42" and "33.5%" are both fine for the kit; a bare number is sent as a number.
    body.percent = /^\d+(\.\d+)?$/.test(args.payload.trim()) ? Number(args.payload.trim()) : args.payload;
  }
  return body;
}

/** What a send did: sent to `group` (with the stored `id`), or nothing because `setting` is off. */
export type SendOutcome = { sent: true; group: string; id?: number } | { sent: false; group: string; setting: string };
type Outcome = SendOutcome;

/** Sends a publish-request body in-process (instead of over HTTP); throw an `Error` with a clear message to refuse. */
export type DirectSender = (body: Record<string, unknown>, env: NodeJS.ProcessEnv) => Promise<SendOutcome>;

export interface SendCommandOptions {
  /** How the command is invoked, for its usage text. Default `npx next-channels-broadcast send`. */
  program?: string;
  /** Used instead of HTTP when REDIS_URL is set: an in-process send that can resolve usernames and rows. */
  direct?: DirectSender;
}

function describe(body: Record<string, unknown>): string {
  const target = body.username ?? body.object ?? body.channel;
  const to = target === undefined ? String(body.audience) : `${String(body.audience)} ${String(target)}`;
  if (body.kind === "message") return `message ${JSON.stringify(body.text)} (${String(body.level ?? "info")}) to ${to}`;
  if (body.kind === "redirect") return `redirect to ${String(body.url)} for ${to}`;
  if (body.kind === "refresh") return `refresh for ${to}`;
  return `progress ${String(body.percent)} to ${to}`;
}

/**
 * Refuses a redirect URL the kit would refuse, before anything leaves this machine — the same
 * rules and words as the send API, whichever way the send then goes (and whatever version the
 * server runs).
 */
function checkLocally(body: Record<string, unknown>): void {
  if (body.kind !== "redirect") return;
  try {
    buildRedirectFrame(body.url);
  } catch (error) {
    if (error instanceof InvalidNotificationError) throw new FailedError(error.message);
    throw error;
  }
}

/** The answer's body as JSON, reading at most `MAX_ANSWER_BYTES`; `{}` when it is not a JSON object. */
async function readAnswer(response: Response): Promise<Record<string, unknown>> {
  const reader = response.body?.getReader();
  if (!reader) return {};
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      return {};
    }
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

async function sendViaDirect(direct: DirectSender, body: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    return await direct(body, env);
  } catch (error) {
    throw new FailedError(error instanceof Error ? error.message : String(error));
  }
}

async function sendOverHttp(body: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const base = (env.NOTIFICATIONS_URL?.trim() || "http://localhost:3000").replace(/\/+$/, "");
  const key = env.NOTIFICATIONS_API_KEY?.trim();
  if (!key) throw new FailedError(`NOTIFICATIONS_API_KEY is required to send through ${base}${PUBLISH_PATH} .`);
  const url = `${base}${PUBLISH_PATH}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      // The request carries the API key: following a redirect would hand it (and the send) to
      // wherever the answer points, maybe another site. A 3xx is an error instead.
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new FailedError(`Cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}. Is the server running?`);
  }
  if ((response.status >= 300 && response.status < 400) || response.type === "opaqueredirect") {
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get("location");
    const where = location === null ? "no Location" : `Location: ${terminalSafe(location, 200)}`;
    throw new FailedError(
      `${url} answered HTTP ${response.status} (${where}). Not followed: the request carries NOTIFICATIONS_API_KEY, and nothing was sent. Set NOTIFICATIONS_URL to the server's own address.`,
    );
  }
  const answer = await readAnswer(response);
  if (response.ok && typeof answer.sent === "boolean") {
    const group = terminalSafe(text(answer.group) ?? "", 200);
    const id = typeof answer.id === "number" && Number.isSafeInteger(answer.id) ? answer.id : undefined;
    return answer.sent ? { sent: true, group, id } : { sent: false, group, setting: terminalSafe(text(answer.setting) ?? "", 100) };
  }
  switch (response.status) {
    case 401:
      throw new FailedError(`The server refused the API key: check NOTIFICATIONS_API_KEY (${url}).`);
    case 404:
      throw new FailedError(`The publish endpoint is off or missing at ${url}: set NOTIFICATIONS_API_KEY on the server.`);
    case 429:
      throw new FailedError(`Rate limited by the server; retry in ${terminalSafe(response.headers.get("retry-after") ?? "a few", 20)} s.`);
    default: {
      const message = text(answer.message);
      throw new FailedError(message === undefined ? `The server answered HTTP ${response.status}.` : `The server refused it (HTTP ${response.status}): ${terminalSafe(message)}`);
    }
  }
}

/**
 * Runs the `send` command: parses `argv`, asks for what is missing on a terminal, sends, prints one
 * line, and resolves to the exit code (0 sent or No-op, 1 refused or failed, 2 usage).
 *
 * @example
 * process.exit(await runSendCommand(process.argv.slice(2), process.env));
 */
export async function runSendCommand(argv: string[], env: NodeJS.ProcessEnv, options: SendCommandOptions = {}): Promise<number> {
  let args: Args;
  try {
    const parsed = parse(argv);
    if (parsed === "help") {
      process.stdout.write(usage(options.program ?? "npx next-channels-broadcast send"));
      return 0;
    }
    args = parsed;
    const complete = args.audience !== undefined && (targetFlag(args.audience) === null || args[targetFlag(args.audience)!] !== undefined) && (args.payload !== undefined || args.kind === "refresh");
    if (!complete && process.stdin.isTTY) args = await askMissing(args);
    requireComplete(args);
    checkConsistency(args);
  } catch (error) {
    if (error instanceof CancelledError) {
      process.stderr.write("Cancelled.\n");
      return 1;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`Error: ${error.message}\nRun with --help for usage.\n`);
    return 2;
  }

  const body = requestBody(args as Args & { audience: PublishAudience });
  try {
    checkLocally(body);
    const outcome = env.REDIS_URL?.trim() && options.direct ? await sendViaDirect(options.direct, body, env) : await sendOverHttp(body, env);
    // One line each, with nothing a terminal would act on (the text is the user's, the group the server's).
    if (!outcome.sent) {
      process.stdout.write(`${terminalSafe(`No-op: ${outcome.setting} is off, so nothing was sent to ${String(body.audience)} (${describe(body)}).`, Number.POSITIVE_INFINITY)}\n`);
      return 0;
    }
    process.stdout.write(`${terminalSafe(`Sent ${describe(body)} (group ${outcome.group}${outcome.id === undefined ? "" : `, id ${outcome.id}`}).`, Number.POSITIVE_INFINITY)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`Error: ${terminalSafe(error instanceof Error ? error.message : String(error), Number.POSITIVE_INFINITY)}\n`);
    return 1;
  }
}

