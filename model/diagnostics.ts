// Every KC error code, listed once, and the rendering of a diagnostic with its source line and caret.
import type { Expansion, Span } from "./ast";
import { printable, type SourceSet } from "./source";

/**
 * The stable error codes. A code never changes meaning once released; retire a code rather
 * than reuse it. Docs and tests refer to these numbers.
 */
export const CODES = {
  // lexical and syntax
  KC101: "unexpected character",
  KC102: "unterminated comment",
  KC103: "unterminated string or character literal",
  KC104: "malformed number",
  KC110: "unexpected token",
  KC111: "expected an expression",
  KC112: "expected a type",
  KC113: "unsupported preprocessor directive",
  KC114: "nesting too deep",
  // the preprocessor (model/preprocess.ts)
  KC120: "#error",
  KC121: "unterminated #if",
  KC122: "misplaced #elif, #else or #endif",
  KC123: "malformed directive",
  KC124: "invalid #if expression",
  KC125: "wrong number of macro arguments",
  KC126: "unterminated macro call",
  KC127: "misplaced # or ##",
  KC128: "macro redefined differently",
  KC129: "name cannot be a macro",
  KC130: "macro expansion too large",
  KC131: "invalid token paste",
  // names
  KC201: "unknown name",
  KC202: "duplicate definition",
  KC204: "unknown field",
  KC205: "unknown function",
  KC207: "unknown label",
  KC208: "break or continue outside a loop or switch",
  KC209: "expect names an unknown property",
  KC210: "case label outside a switch",
  // types
  KC301: "operand type mismatch",
  KC302: "not assignable",
  KC303: "wrong number of arguments",
  KC304: "argument type mismatch",
  KC305: "not a pointer",
  KC306: "not a struct",
  KC307: "cannot be indexed",
  KC308: "return value mismatch",
  KC309: "void value used",
  KC310: "condition is not a scalar",
  KC311: "incompatible initializer",
  KC312: "incomplete type",
  KC313: "type not supported yet",
  KC314: "unsequenced accesses to one object",
  KC320: "byte arithmetic on word memory",
  KC321: "not a pointer value",
  // constants, declarations and program shape
  KC401: "not a constant expression",
  KC402: "-D names no constant",
  KC403: "empty range or size",
  KC404: "self outside a process",
  KC405: "no process",
  KC406: "construct not allowed here",
  KC407: "conflicting expect",
  KC408: "constant out of range",
  KC409: "no pool for kmalloc",
  KC410: "state too large",
  KC411: "conflicting model",
  KC420: "task_struct lacks a field the machine needs",
  KC421: "init does not finish",
  KC422: "bad reference to a process",
  // files
  KC501: "include file not found",
  KC502: "cannot read input file",
  KC503: "include path not allowed",
  KC504: "input is not a regular text file",
  KC505: "input too large",
} as const;

export type Code = keyof typeof CODES;

/** One compile-time error in a KC program. */
export interface Diagnostic {
  code: Code;
  message: string;
  span: Span | null;
}

/** Thrown by a phase that cannot go on; carries everything found so far. */
export class CompileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  }
}

/** Collects diagnostics for one phase. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  error(code: Code, span: Span | null, message: string): void {
    this.items.push({ code, span, message });
  }

  /** Throws a CompileError if any error was reported. */
  check(): void {
    if (this.items.length > 0) throw new CompileError(this.items);
  }
}

/** The most characters of a source line shown under a diagnostic; a longer line shows a window. */
const LINE_SHOWN = 160;

/**
 * `file:line:col: error KC123: message`, then the source line and a caret under the span
 * (as many carets as the span is long on that line). Everything from the input is passed
 * through `printable`, so a spec's control characters cannot drive the terminal; a long line
 * shows only the part around the caret.
 */
export function formatDiagnostic(d: Diagnostic, sources: SourceSet): string {
  if (!d.span) return `error ${d.code}: ${printable(d.message)}`;
  const f = sources.file(d.span.file);
  const { line, col } = sources.position(d.span.file, d.span.start);
  const full = sources.lineText(d.span.file, line);
  const endPos = sources.position(d.span.file, Math.max(d.span.start, d.span.end - 1));
  const endCol = endPos.line === line ? Math.max(col, endPos.col) : col;
  // The window starts a little before the caret when the line is too long to show whole.
  const from = full.length <= LINE_SHOWN ? 0 : Math.max(0, col - 1 - 40);
  const to = Math.min(full.length, from + LINE_SHOWN);
  const cut = (a: number, b: number): string => printable(full.slice(a, b), true);
  const text = `${from > 0 ? "…" : ""}${cut(from, to)}${to < full.length ? "…" : ""}`;
  // Keep tabs in the gutter so the caret lines up with the source line in a terminal; escapes
  // widen what they stand for, so the caret is placed by the escaped text's width.
  const pad = `${from > 0 ? " " : ""}${cut(from, col - 1)}`.replace(/[^\t]/g, " ");
  const width = Math.max(1, cut(col - 1, Math.min(endCol, to)).length);
  const gutter = `${String(line).padStart(4)} | `;
  const lines = [
    `${printable(f.name)}:${line}:${col}: error ${d.code}: ${printable(d.message)}`,
    `${gutter}${text}`,
    `${" ".repeat(gutter.length - 2)}| ${pad}${"^".repeat(width)}`,
  ];
  // A span from a macro expansion points at the use; the notes name the macros, innermost first,
  // and their definitions. A long chain shows its innermost ones and the outermost (the one used).
  const chain: Expansion[] = [];
  for (let x = d.span.expansion; x; x = x.outer ?? undefined) chain.push(x);
  const note = `${" ".repeat(gutter.length - 2)}= `;
  chain.forEach((x, i) => {
    if (chain.length > EXPANSIONS_SHOWN && i >= EXPANSIONS_SHOWN - 1 && i < chain.length - 1) {
      if (i === EXPANSIONS_SHOWN - 1) lines.push(`${note}… (${chain.length - EXPANSIONS_SHOWN} more)`);
      return;
    }
    // A -D name is a macro without a file (model/preprocess.ts).
    if (x.defined.file < 0) {
      lines.push(`${note}in expansion of macro ${printable(x.macro)} (defined by -D on the command line)`);
      return;
    }
    const at = sources.position(x.defined.file, x.defined.start);
    const where = `${printable(sources.file(x.defined.file).name)}:${at.line}:${at.col}`;
    lines.push(`${note}in expansion of macro ${printable(x.macro)} (defined at ${where})`);
  });
  return lines.join("\n");
}

/** The most "in expansion of macro" notes under a diagnostic. */
const EXPANSIONS_SHOWN = 4;
