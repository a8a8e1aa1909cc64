/**
 * `terminalSafe`: what the CLI prints from a server has no escape sequence or control character
 * left that a terminal would act on, and stays readable.
 */
import { describe, expect, it } from "vitest";
import { MAX_ECHOED_LENGTH, terminalSafe } from "../../src/cli/terminal-text";

/** Anything a terminal interprets: C0 (but none here, after cleaning), DEL, C1, bidi controls. */
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("terminalSafe", () => {
  it.each([
    ["a colour (CSI SGR)", "\u001b[31mred\u001b[0m text", "red text"],
    ["erase line and carriage return (the return becomes a space)", "error\u001b[2K\rSent!", "error Sent!"],
    ["cursor up", "ok\u001b[1Aover", "okover"],
    ["a private CSI", "\u001b[?25lhidden cursor\u001b[?25h", "hidden cursor"],
    ["the 8-bit CSI", "\u009b31mred", "red"],
    ["a window title (OSC … BEL)", "\u001b]0;pwned\u0007title", "title"],
    ["a clipboard write (OSC 52 … ST)", "\u001b]52;c;ZWNobyBwd25lZA==\u001b\\after", "after"],
    ["a hyperlink (OSC 8)", "\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\", "click"],
    ["a DCS string", "\u001bPq#0;2;0;0;0\u001b\\after", "after"],
    ["a terminal reset (ESC c)", "\u001bcafter", "after"],
    ["a charset switch (ESC ( 0)", "\u001b(0after", "after"],
    ["a bell and a backspace", "be\u0007ll\u0008", "bell"],
    ["NUL and DEL", "a\u0000b\u007fc", "abc"],
    ["C1 controls (NEL is a line break)", "a\u0085b\u0086c", "a bc"],
    ["an 8-bit DCS string up to its ST", "a\u0090payload\u009cb", "ab"],
    ["line breaks and tabs", "one\ntwo\r\nthree\tfour", "one two three four"],
    ["a right-to-left override", "invoice\u202Efdp.exe", "invoicefdp.exe"],
    ["bidi isolates and marks", "\u2066a\u2069\u200Fb\u061C", "ab"],
    ["a lone ESC at the end", "end\u001b", "end"],
  ])("removes %s", (_name, input, expected) => {
    const output = terminalSafe(input);
    expect(output).toBe(expected);
    expect(output).not.toMatch(ACTIVE);
  });

  it("keeps ordinary text, quotes and non-Latin letters", () => {
    expect(terminalSafe('Unknown user "zoë" — 用户')).toBe('Unknown user "zoë" — 用户');
  });

  it("cuts long text at the limit with an ellipsis, by code point", () => {
    expect(terminalSafe("x".repeat(10_000))).toBe(`${"x".repeat(MAX_ECHOED_LENGTH)}…`);
    expect(terminalSafe("😀😀😀", 2)).toBe("😀😀…");
  });

  it("prints non-strings as text", () => {
    expect(terminalSafe(42)).toBe("42");
    expect(terminalSafe(null)).toBe("null");
  });
});
