/**
 * Command-line options of the bench scripts: `--name value`.
 *
 * @example
 * const sockets = Number(option("sockets", "10000")); // npm run bench:storm -- --sockets 2000
 */
export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}
