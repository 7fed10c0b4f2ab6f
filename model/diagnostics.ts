// Every KC error code, listed once, and the rendering of a diagnostic with its source line and caret.
import type { Span } from "./ast";
import type { SourceSet } from "./source";

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

/**
 * `file:line:col: error KC123: message`, then the source line and a caret under the span
 * (as many carets as the span is long on that line).
 */
export function formatDiagnostic(d: Diagnostic, sources: SourceSet): string {
  if (!d.span) return `error ${d.code}: ${d.message}`;
  const f = sources.file(d.span.file);
  const { line, col } = sources.position(d.span.file, d.span.start);
  const text = sources.lineText(d.span.file, line);
  const endPos = sources.position(d.span.file, Math.max(d.span.start, d.span.end - 1));
  const width = endPos.line === line ? Math.max(1, endPos.col - col + 1) : 1;
  // Keep tabs in the gutter so the caret lines up with the source line in a terminal.
  const pad = text.slice(0, col - 1).replace(/[^\t]/g, " ");
  const gutter = `${String(line).padStart(4)} | `;
  return [
    `${f.name}:${line}:${col}: error ${d.code}: ${d.message}`,
    `${gutter}${text}`,
    `${" ".repeat(gutter.length - 2)}| ${pad}${"^".repeat(width)}`,
  ].join("\n");
}
