/**
 * What the demo's commands (create-user, delete-user) share before they do their work: a usage
 * error prints the message and the usage (exit 2), `--help` prints the usage (exit 0).
 */

/** A command line the command cannot run: the message says what is wrong. */
export class UsageError extends Error {}

/**
 * Parses `argv` with `parse`; answers the parsed arguments, or the exit code when the command
 * should stop here (after printing the usage).
 *
 * @example
 * const args = parseCommandLine(parse, process.argv.slice(2), USAGE);
 * if (typeof args === "number") return args;
 */
export function parseCommandLine<T extends { help: boolean }>(parse: (argv: string[]) => T, argv: string[], usage: string): T | number {
  let args: T;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }
  return args;
}
