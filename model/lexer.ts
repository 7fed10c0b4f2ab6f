// The KC lexer: C tokens plus `..`, and `#include` lines as single tokens; the first error throws.
// `lexRaw` is the preprocessor's variant: `#` and `##` are tokens, lines are marked, errors wait.
import type { Span } from "./ast";
import { type Code, CompileError, type Diagnostic } from "./diagnostics";
import type { SourceSet } from "./source";

/**
 * Reserved words. The KC top-level words (`process`, `invariant`, `expect`, ...) are not here:
 * they are contextual, so kernel code may still use them as identifiers.
 */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "int",
  "bool",
  "char",
  "void",
  "unsigned",
  "signed",
  "long",
  "short",
  "struct",
  "enum",
  "union",
  "typedef",
  "const",
  "static",
  "inline",
  "extern",
  "volatile",
  "register",
  "if",
  "else",
  "while",
  "do",
  "for",
  "break",
  "continue",
  "return",
  "goto",
  "switch",
  "case",
  "default",
  "atomic",
  "assert",
  "assume",
  "await",
  "sizeof",
  "typeof",
  "__typeof__",
  "true",
  "false",
  "NULL",
]);

/**
 * One token. `text` is always the exact source slice covered by `span` (empty for `eof`).
 * Character literals are `int` tokens; `value` of a `string` token is the decoded text.
 */
export type Token =
  | { kind: "ident" | "keyword" | "punct" | "eof"; text: string; span: Span }
  /** An integer constant: its value (0 .. 2^32 - 1) and whether C types it unsigned int. */
  | { kind: "int"; text: string; span: Span; value: number; unsigned?: true }
  | { kind: "string"; text: string; span: Span; value: string }
  /** A whole `#include "path"` (or `<path>`) line. */
  | { kind: "include"; text: string; span: Span; path: string };

/**
 * A token as the preprocessor reads it (`lexRaw`): also `bad`, text that does not lex, whose
 * diagnostic is reported only if the text is used (not in a skipped `#if` group, not an unused
 * macro argument); `bol` marks the first token of a line (a `#` there starts a directive).
 */
export type RawToken = (Token | { kind: "bad"; text: string; span: Span; diagnostic: Diagnostic }) & {
  bol?: true;
};

/** C's punctuators and KC's `..`, longest first, so that the first match is the longest one (`<<=` before `<<` before `<`). */
export const PUNCTUATORS: readonly string[] = [
  "<<=",
  ">>=",
  "...",
  "->",
  "++",
  "--",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "..",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "=",
  "!",
  "~",
  "&",
  "|",
  "^",
  "?",
  ":",
  ";",
  ",",
  ".",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
];

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
  "?": 63,
};

// A C integer constant: hex, octal (leading 0, which covers plain 0) or decimal, then an optional suffix.
const INTEGER = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)?$/;

/**
 * The most bad tokens lexRaw makes of one file; past it, the first one's error is reported. A
 * spec has a few at most (in an `#if 0` group); a file of nothing else is not worth lexing on.
 */
const MAX_BAD_TOKENS = 10_000;

/** 1 for each ASCII code that can begin a token, a blank or a comment (whatever the lexer does not call unexpected). */
const STARTS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c <= 32; c++) t[c] = 1;
  for (const ch of "0123456789_\"'#\\") t[ch.charCodeAt(0)] = 1;
  for (let c = 65; c <= 90; c++) {
    t[c] = 1;
    t[c + 32] = 1;
  }
  for (const op of PUNCTUATORS) t[op.charCodeAt(0)] = 1;
  return t;
})();

/** What lexRaw's `fail` throws: bad text, to become a `bad` token (cheap: not an Error). */
class BadText {
  constructor(readonly diagnostic: Diagnostic) {}
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** How an offending character is shown in a message: printable ASCII as is, anything else with its code point. */
function showChar(text: string, at: number): string {
  const cp = text.codePointAt(at) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  if (cp > 32 && cp < 127) return `'${String.fromCodePoint(cp)}'`;
  if (cp > 160 && cp !== 0xfeff) return `'${String.fromCodePoint(cp)}' (${hex})`;
  return hex;
}

/**
 * Splits one file of `sources` into tokens, ending with an `eof` token. Comments and whitespace
 * are dropped. Throws a `CompileError` (KC101-KC104, KC113) at the first bad character.
 */
export function lex(sources: SourceSet, file: number): Token[] {
  return scan(sources, file, false) as Token[];
}

/**
 * The tokens of one file for the preprocessor: as `lex`, but `#` and `##` are punctuators
 * (a `#include` line is still one token), the first token of each line is marked `bol`, and
 * text that does not lex becomes a `bad` token up to the end of its line instead of an error
 * (an unterminated comment is still an error: it hides the rest of the file).
 */
export function lexRaw(sources: SourceSet, file: number): RawToken[] {
  return scan(sources, file, true);
}

function scan(sources: SourceSet, file: number, raw: boolean): RawToken[] {
  const text = sources.file(file).text;
  const n = text.length;
  const tokens: RawToken[] = [];
  /** The diagnostics of lexRaw's bad tokens so far. */
  const bads: Diagnostic[] = [];
  let i = 0;
  // A `#` starts a directive only when nothing but blanks precedes it on its line.
  let atLineStart = true;

  const span = (start: number, end: number): Span => ({ file, start, end });
  // Annotated so that TypeScript narrows after a call, as after `throw`.
  const fail: (code: Code, start: number, end: number, message: string) => never = (
    code,
    start,
    end,
    message,
  ) => {
    const diagnostic: Diagnostic = { code, span: span(start, end), message };
    // For lexRaw, bad text is a token: no Error (and its stack) per bad token of a hostile line.
    if (raw && code !== "KC102") throw new BadText(diagnostic);
    throw new CompileError([diagnostic]);
  };
  const lineEnd = (from: number): number => {
    const nl = text.indexOf("\n", from);
    const end = nl < 0 ? n : nl;
    return end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
  };

  /** Skips a block comment starting at `at` (on `/*`) and returns the offset after it. */
  const skipBlockComment = (at: number): number => {
    const close = text.indexOf("*/", at + 2);
    if (close < 0) fail("KC102", at, at + 2, "unterminated comment: this '/*' has no closing '*/'");
    return close + 2;
  };

  /**
   * Decodes the escape sequence whose backslash is at `at`; returns its value and where it ends.
   * `quote` names the literal for the message when the file or line ends inside the escape.
   */
  const decodeEscape = (at: number, literalStart: number, quote: string): { value: number; end: number } => {
    const c = text[at + 1];
    if (c === undefined || c === "\n" || c === "\r") {
      return fail("KC103", literalStart, lineEnd(literalStart), `unterminated ${quote}`);
    }
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return { value: simple, end: at + 2 };
    if (c >= "0" && c <= "7") {
      let j = at + 1;
      let value = 0;
      while (j < at + 4 && j < n && text[j]! >= "0" && text[j]! <= "7") value = value * 8 + Number(text[j++]);
      if (value > 255)
        fail("KC101", at, j, `octal escape '${text.slice(at, j)}' is out of range (above \\377)`);
      return { value, end: j };
    }
    if (c === "x") {
      let j = at + 2;
      while (j < n && /[0-9a-fA-F]/.test(text[j]!)) j++;
      if (j === at + 2) fail("KC101", at, at + 2, "escape '\\x' needs hex digits, as in '\\x1f'");
      const value = Number.parseInt(text.slice(at + 2, j), 16);
      if (j - (at + 2) > 2)
        fail("KC101", at, j, `hex escape '${text.slice(at, j)}' is out of range (above \\xff)`);
      return { value, end: j };
    }
    return fail("KC101", at, at + 2, `unknown escape sequence '\\${c}'`);
  };

  /** A `#` line at `start`: `#include` becomes a token, every other directive is an error. */
  const directive = (start: number): void => {
    let j = start + 1;
    while (text[j] === " " || text[j] === "\t") j++;
    const nameStart = j;
    while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    const name = text.slice(nameStart, j);
    if (name !== "include") {
      if (name === "")
        fail("KC113", start, start + 1, "'#' must begin a directive, and KC has only #include");
      const hint = name === "define" ? "; write 'const NAME = value;' for a constant" : "";
      fail("KC113", start, j, `unsupported preprocessor directive '#${name}': KC has only #include${hint}`);
    }
    while (text[j] === " " || text[j] === "\t") j++;
    const open = text[j];
    if (open !== '"' && open !== "<") {
      const found = j >= lineEnd(j) ? "end of line" : showChar(text, j);
      fail("KC113", start, j, `expected "path" or <path> after #include, found ${found}`);
    }
    const close = open === '"' ? '"' : ">";
    const eol = lineEnd(j);
    const end = text.indexOf(close, j + 1);
    if (end < 0 || end > eol) {
      fail("KC113", j, eol, `#include path has no closing ${close === '"' ? "'\"'" : "'>'"}`);
    }
    const path = text.slice(j + 1, end);
    if (path.trim() === "") fail("KC113", j, end + 1, "#include path is empty");
    // Only blanks and comments may follow the path on its line.
    let k = end + 1;
    for (;;) {
      while (text[k] === " " || text[k] === "\t" || text[k] === "\r") k++;
      if (text.startsWith("/*", k)) k = skipBlockComment(k);
      else break;
    }
    if (k < n && text[k] !== "\n" && !text.startsWith("//", k)) {
      fail("KC113", k, lineEnd(k), `unexpected text after the #include path: ${showChar(text, k)}`);
    }
    tokens.push({ kind: "include", text: text.slice(start, end + 1), span: span(start, end + 1), path });
    i = k;
  };

  const number = (start: number): void => {
    let j = start;
    while (j < n && isIdentPart(text.charCodeAt(j))) j++;
    // `1.5` is a float, which KC lacks; `0..7` is 0, `..`, 7.
    if (text[j] === "." && text[j + 1] !== ".") {
      j++;
      while (j < n && (isIdentPart(text.charCodeAt(j)) || text[j] === ".")) j++;
      fail("KC104", start, j, `'${text.slice(start, j)}' is a floating-point number; KC has only integers`);
    }
    const raw = text.slice(start, j);
    const m = INTEGER.exec(raw);
    if (!m) {
      let why = "";
      if (/^0[xX]$/.test(raw) || /^0[xX][^0-9a-fA-F]/.test(raw))
        why = ": '0x' must be followed by hex digits";
      else if (/^0[0-9]+$/.test(raw)) why = ": a leading 0 makes it octal, which has no digits 8 or 9";
      fail("KC104", start, j, `malformed number '${raw}'${why}`);
    }
    const digits = m[1] as string;
    const big =
      digits.length > 1 && digits[0] === "0" && digits[1] !== "x" && digits[1] !== "X"
        ? BigInt(`0o${digits.slice(1)}`)
        : BigInt(digits);
    if (big > 0xffffffffn) fail("KC104", start, j, `integer constant '${raw}' does not fit in 32 bits`);
    // C11 6.4.4.1 on i386 (long is 32-bit): a constant's type is the first of its list that holds
    // it. With `u`: unsigned int; a decimal one without: int, then long long; a hex or octal one
    // without: int, then unsigned int. `l` changes nothing here; `ll` is 64-bit, which KC lacks.
    const suffix = raw.slice(digits.length);
    if (/ll|LL/.test(suffix))
      fail("KC313", start, j, `'${raw}' is long long (64-bit) in C, and KC has no 64-bit integers`);
    const decimal = /^[1-9]/.test(digits);
    let unsigned = /[uU]/.test(suffix);
    if (big > 0x7fffffffn && !unsigned) {
      if (decimal)
        fail(
          "KC313",
          start,
          j,
          `integer constant '${raw}' does not fit in int, so C makes it long long (64-bit), which KC does not have: write ${raw}u for an unsigned int`,
        );
      unsigned = true;
    }
    const value = Number(big);
    tokens.push(
      unsigned
        ? { kind: "int", text: raw, span: span(start, j), value, unsigned: true }
        : { kind: "int", text: raw, span: span(start, j), value },
    );
    i = j;
  };

  const charLiteral = (start: number): void => {
    let j = start + 1;
    const c = text[j];
    if (c === undefined || c === "\n" || c === "\r") {
      fail("KC103", start, lineEnd(start), "unterminated character literal");
    }
    if (c === "'") fail("KC101", start, start + 2, "empty character literal ''");
    let value: number;
    if (c === "\\") {
      const e = decodeEscape(j, start, "character literal");
      value = e.value;
      j = e.end;
    } else {
      value = text.codePointAt(j) ?? 0;
      if (value > 0x7f) {
        const end = j + (value > 0xffff ? 2 : 1);
        fail(
          "KC101",
          start,
          text[end] === "'" ? end + 1 : end,
          "a character literal must be ASCII or an escape such as '\\xe9': C reads other characters as several UTF-8 bytes",
        );
      }
      j += 1;
    }
    // C's value is that of a char, and char is signed on i386: '\xff' is -1.
    value = (value << 24) >> 24;
    if (text[j] !== "'") {
      const eol = lineEnd(start);
      const close = text.indexOf("'", j);
      if (close < 0 || close >= eol) fail("KC103", start, eol, "unterminated character literal");
      fail("KC101", start, close + 1, "a character literal holds one character; use a string for more");
    }
    tokens.push({ kind: "int", text: text.slice(start, j + 1), span: span(start, j + 1), value });
    i = j + 1;
  };

  const stringLiteral = (start: number): void => {
    let j = start + 1;
    let value = "";
    for (;;) {
      const c = text[j];
      if (c === undefined || c === "\n" || (c === "\r" && text[j + 1] === "\n")) {
        fail("KC103", start, lineEnd(start), "unterminated string: it needs a closing '\"' on this line");
      }
      if (c === '"') break;
      if (c === "\\") {
        const e = decodeEscape(j, start, "string");
        value += String.fromCharCode(e.value);
        j = e.end;
      } else {
        value += c;
        j++;
      }
    }
    tokens.push({ kind: "string", text: text.slice(start, j + 1), span: span(start, j + 1), value });
    i = j + 1;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      atLineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
      i++;
      continue;
    }
    // A backslash at the end of a line splices the next line on (a multi-line #define).
    if (c === 92 && (text[i + 1] === "\n" || (text[i + 1] === "\r" && text[i + 2] === "\n"))) {
      i += text[i + 1] === "\n" ? 2 : 3;
      continue;
    }
    if (c === 47 && text[i + 1] === "/") {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 47 && text[i + 1] === "*") {
      i = skipBlockComment(i);
      continue;
    }
    if (!raw) {
      token(c);
      continue;
    }
    const before = tokens.length;
    const bol = atLineStart;
    if (bads.length > MAX_BAD_TOKENS) throw new CompileError([bads[0] as Diagnostic]);
    if (c >= 128 || STARTS[c] === 0) {
      // A run of characters no token starts with is one bad token, made without a throw: a
      // hostile line of them costs no more than a line of good tokens.
      let j = i + 1;
      for (let d = text.charCodeAt(j); j < n && (d >= 128 || STARTS[d] === 0); d = text.charCodeAt(j)) j++;
      const diagnostic: Diagnostic = {
        code: "KC101",
        span: span(i, i + ((text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1)),
        message: `unexpected character ${showChar(text, i)}`,
      };
      bads.push(diagnostic);
      tokens.push({
        kind: "bad",
        text: text.slice(i, j),
        span: span(i, j),
        diagnostic,
        ...(bol ? { bol: true } : {}),
      });
      i = j;
      atLineStart = false;
      continue;
    }
    try {
      token(c);
    } catch (e) {
      if (!(e instanceof BadText)) throw e;
      // A literal's (or #include's) error reaches to the end of the line: lexing on inside it
      // would start a new literal. Other bad text ends where its diagnostic does.
      const literal = c === 34 || c === 39 || c === 35;
      const end = Math.max(i + 1, literal ? lineEnd(i) : (e.diagnostic.span?.end ?? i + 1));
      tokens.length = before;
      bads.push(e.diagnostic);
      tokens.push({ kind: "bad", text: text.slice(i, end), span: span(i, end), diagnostic: e.diagnostic });
      i = end;
      atLineStart = false;
    }
    if (bol && tokens.length > before) (tokens[before] as RawToken).bol = true;
  }
  tokens.push({ kind: "eof", text: "", span: span(n, n) });
  return tokens;

  /** Lexes the token that starts with character code `c` at `i`. */
  function token(c: number): void {
    if (c === 35 && raw) {
      // `#include` stays one token; any other `#` is a punctuator for the preprocessor.
      let j = i + 1;
      while (text[j] === " " || text[j] === "\t") j++;
      if (atLineStart && text.startsWith("include", j) && !isIdentPart(text.charCodeAt(j + 7))) {
        directive(i);
        return;
      }
      atLineStart = false;
      const p = text[i + 1] === "#" ? "##" : "#";
      tokens.push({ kind: "punct", text: p, span: span(i, i + p.length) });
      i += p.length;
      return;
    }
    if (c === 35) {
      if (!atLineStart)
        fail("KC101", i, i + 1, "unexpected character '#': a directive must begin its own line");
      directive(i);
      return;
    }
    atLineStart = false;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const word = text.slice(i, j);
      tokens.push({ kind: KEYWORDS.has(word) ? "keyword" : "ident", text: word, span: span(i, j) });
      i = j;
      return;
    }
    if (isDigit(c)) {
      number(i);
      return;
    }
    if (c === 39) {
      charLiteral(i);
      return;
    }
    if (c === 34) {
      stringLiteral(i);
      return;
    }
    const p = PUNCTUATORS.find((op) => text.startsWith(op, i));
    if (p === undefined) {
      const width = (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      fail("KC101", i, i + width, `unexpected character ${showChar(text, i)}`);
    } else {
      tokens.push({ kind: "punct", text: p, span: span(i, i + p.length) });
      i += p.length;
    }
  }
}
