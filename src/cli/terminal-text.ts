/**
 * Makes text safe to print on a terminal. The CLI echoes what a server answers (error messages,
 * group names, a redirect's Location), and a hostile or compromised server — or anything between
 * — could put escape sequences in it: ANSI/VT sequences recolour, move the cursor, rewrite lines
 * already printed ("Sent" over an error), set the window title or, on some terminals, write to
 * the clipboard; bidirectional-override characters reorder what is shown. So everything the CLI
 * prints from outside goes through `terminalSafe` first.
 */

/** Escape sequences as whole units, so no `[31m` debris is left behind: CSI, OSC, DCS/SOS/PM/APC, and two-character ESC forms. */
const ESCAPE_SEQUENCES = new RegExp(
  [
    "(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]?", // CSI … final byte
    "(?:\\u001b\\]|\\u009d)[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?", // OSC … BEL or ST
    "(?:\\u001b[PX^_]|[\\u0090\\u0098\\u009e\\u009f])[^\\u001b\\u009c]*(?:\\u001b\\\\|\\u009c)?", // DCS, SOS, PM, APC … ST
    "\\u001b[\\u0020-\\u002f]*[\\u0030-\\u007e]?", // other ESC sequences (ESC c, ESC ( B …)
  ].join("|"),
  "g",
);
/** Line breaks and tabs become one space: a server's text is printed on one line. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
/** Remaining C0 and C1 controls, DEL, and the bidirectional controls (embeddings, overrides, isolates, marks). */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Longest text printed from a server, in characters: a megabyte of error message helps nobody. */
export const MAX_ECHOED_LENGTH = 500;

/**
 * `text` with escape sequences and control characters removed, line breaks turned into spaces,
 * and cut at `maxLength` characters (with an ellipsis).
 *
 * @example
 * terminalSafe("\u001b[2K\rSent!\u0007")   // "Sent!"
 * terminalSafe("bad\nnews")                 // "bad news"
 */
export function terminalSafe(text: unknown, maxLength = MAX_ECHOED_LENGTH): string {
  const cleaned = String(text).replace(ESCAPE_SEQUENCES, "").replace(BREAKS, " ").replace(CONTROLS, "");
  const characters = [...cleaned]; // by code point: never half a surrogate pair
  return characters.length > maxLength ? `${characters.slice(0, maxLength).join("")}…` : cleaned;
}
