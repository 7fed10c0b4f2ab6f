// The KC preprocessor: C's #define, #undef, #if family, #error and #include over the lexer's
// tokens, with macro expansion by C11 6.10.3 (hide sets, after Prosser), bounded for hostile input.
import type { Expansion, Span } from "./ast";
import { type Code, CompileError, type Diagnostic } from "./diagnostics";
import { KEYWORDS, lex, lexRaw, PUNCTUATORS, type RawToken, type Token } from "./lexer";
import { MAX_NESTING } from "./nesting";
import { BINARY_PREC } from "./parser";
import { SourceSet } from "./source";

/**
 * The most work macro expansion may do in one program, in tokens: every token an expansion
 * produces, every token read as a macro argument, every token of a body substituted (also one
 * that yields nothing, a parameter whose argument is empty), and every name copied or compared
 * in a hide set count one. A macro bomb (`#define A B B`, 40 deep) or a large body used often
 * stops here with KC130, after a bounded time, instead of exhausting memory or time.
 */
export const MAX_EXPANSION_TOKENS = 1_000_000;
/** The most characters `#` and `##` may create in one program (KC130). */
export const MAX_PASTED_CHARS = 1 << 24;
/**
 * How deep macro expansions may nest (a macro used in another's body or argument), and how deep
 * `#if` groups may nest: the nesting limit of the syntax tree, KC114 beyond it.
 */
export const MAX_MACRO_NESTING = MAX_NESTING;

/** A macro as `#define` left it. */
export interface Macro {
  name: string;
  /** Parameter names, `__VA_ARGS__` last when variadic; null for an object-like macro. */
  params: string[] | null;
  variadic: boolean;
  body: RawToken[];
  /** For each token of `body`, the index of the parameter it names, or -1 (all -1 object-like). */
  bodyParams: Int32Array;
  /** The macro's name in its `#define`. */
  span: Span;
}

export interface PreprocessOptions {
  /**
   * `-D NAME=VALUE`, in the files that are not `prelude`'s (README "KC in one screen"). In the
   * name position of a top-level `const NAME =` (`const int NAME =`, `const A = 1, NAME =`) the
   * name is left alone and is from then on that constant's name: it is not expanded, and the
   * loader gives the constant the value. Everywhere else it is a macro whose body is VALUE, as
   * `cc -D` makes it (decimal; hex above INT_MAX; a negative value in parentheses). A `#define`
   * or `#undef` of it is ignored (the file's definition is the default the -D value replaces);
   * `#ifdef`, `defined` and `#if` see it as a macro whose value is VALUE.
   */
  defines?: ReadonlyMap<string, number>;
  /** Whether file `file` is the kernel prelude's, where a -D name means nothing special. */
  prelude?: (file: number) => boolean;
  /**
   * Resolves `#include "path"` (or `<path>`, then `angle` is true) met at include depth `depth`:
   * the index in the SourceSet of a new copy of the file (each inclusion is preprocessed again,
   * as in C), or null when the file is not to be read again (it said `#pragma once`: see
   * Preprocessor.once; or a kernel header already included). Throws a CompileError to refuse.
   * Without it, include tokens pass through untouched.
   */
  include?: (path: string, span: Span, depth: number, angle: boolean) => number | null;
}

/** Work done on hide sets, charged to the expansion budget with the tokens. */
interface Ledger {
  work: number;
}

/**
 * The hide set of a token (C11 6.10.3.4): the macros it came from, which it may not expand again.
 * Sets are shared and their operations remembered; each set made and each operation first done
 * adds the names it goes through to the ledger.
 */
class HideSet {
  private readonly added = new Map<string, HideSet>();
  private readonly joined = new Map<HideSet, HideSet>();
  private readonly common = new Map<HideSet, HideSet>();

  constructor(
    private readonly ledger: Ledger,
    readonly names: ReadonlySet<string> = new Set(),
  ) {}

  with(name: string): HideSet {
    if (this.names.has(name)) return this;
    let s = this.added.get(name);
    if (!s) {
      this.ledger.work += this.names.size + 1;
      s = new HideSet(this.ledger, new Set([...this.names, name]));
      this.added.set(name, s);
    }
    return s;
  }

  union(other: HideSet): HideSet {
    if (other === this || other.names.size === 0) return this;
    if (this.names.size === 0) return other;
    let s = this.joined.get(other);
    if (!s) {
      this.ledger.work += other.names.size;
      s = this;
      for (const n of other.names) s = s.with(n);
      this.joined.set(other, s);
    }
    return s;
  }

  intersect(other: HideSet, empty: HideSet): HideSet {
    if (other === this) return this;
    let s = this.common.get(other);
    if (!s) {
      this.ledger.work += this.names.size;
      s = empty;
      for (const n of this.names) if (other.names.has(n)) s = s.with(n);
      this.common.set(other, s);
    }
    return s;
  }
}

/** A token being expanded, with its hide set. */
interface PTok {
  t: RawToken;
  hs: HideSet;
}

/** Stands for an empty argument next to `##` while a body is substituted (C11 6.10.3.3). */
const PLACEMARKER: PTok = {
  t: { kind: "punct", text: "", span: { file: -1, start: 0, end: 0 } },
  hs: new HideSet({ work: 0 }),
};

/** Type words that may stand between `const` and the constant's name (`static const unsigned N =`). */
const SPECIFIERS: ReadonlySet<string> = new Set([
  "const",
  "static",
  "volatile",
  "unsigned",
  "signed",
  "int",
  "short",
  "long",
  "char",
  "bool",
  "_Bool",
]);

/**
 * Where a file's top-level text is, token by token as it is emitted: enough to tell the name
 * position of a KC constant declaration (`const N =`, `const u32 N =`, `const A = 1, N =`).
 */
class DeclState {
  private braces = 0;
  /** ( and [ open in this declaration. */
  private depth = 0;
  /** Only specifiers and names so far in this declaration, one of them `const`. */
  private specs = true;
  private hasConst = false;
  /** This declaration is a `const` one past its first name. */
  private constList = false;
  private lastComma = false;
  /** Inside the bounds of a ranged `int<lo..hi>` among the specifiers. */
  private range = false;
  private lastInt = false;

  feed(t: RawToken): void {
    if (this.range) {
      const end = isPunct(t, ";") || isPunct(t, "{") || isPunct(t, "}");
      if (isPunct(t, ">") || end) this.range = false;
      if (!end) return;
    }
    if (this.specs && this.lastInt && isPunct(t, "<")) {
      this.range = true;
      return;
    }
    this.lastInt = t.text === "int";
    this.lastComma = false;
    if (t.kind === "punct") {
      switch (t.text) {
        case "{":
        case "}":
        case ";":
          if (t.text === "{") this.braces++;
          else if (t.text === "}") this.braces--;
          this.specs = true;
          this.hasConst = false;
          this.constList = false;
          this.depth = 0;
          this.lastInt = false;
          return;
        case "(":
        case "[":
          this.depth++;
          break;
        case ")":
        case "]":
          this.depth--;
          break;
        case ",":
          this.lastComma = this.depth === 0;
          break;
      }
    } else if (this.specs && (t.kind === "ident" || SPECIFIERS.has(t.text))) {
      if (t.text === "const") this.hasConst = true;
      return;
    }
    if (this.specs && this.hasConst) this.constList = true;
    this.specs = false;
  }

  /** Whether a name read now, followed by `=`, would be the name a top-level constant declares. */
  namePosition(): boolean {
    return this.braces === 0 && ((this.specs && this.hasConst) || (this.constList && this.lastComma));
  }
}

/** An open `#if` group. */
interface Cond {
  /** Lines of this group are kept. */
  active: boolean;
  /** Some group of this #if chain was kept (or the chain is inside a skipped group). */
  taken: boolean;
  sawElse: boolean;
  span: Span;
}

function isPunct(t: RawToken | undefined, text: string): boolean {
  return t !== undefined && t.kind === "punct" && t.text === text;
}

function isName(t: RawToken | undefined): t is RawToken & { kind: "ident" | "keyword" } {
  return t !== undefined && (t.kind === "ident" || t.kind === "keyword");
}

/** The tokens still to read: expansion results (a stack, next last), then a file's tokens up to its next directive. */
class Input {
  readonly pending: PTok[] = [];
  pos = 0;

  constructor(
    readonly raw: RawToken[] | null,
    private readonly empty: HideSet,
  ) {}

  /** The next token of text; null at the end, or where a directive or `#include` line begins. */
  next(): PTok | null {
    const p = this.pending.pop();
    if (p) return p;
    const t = this.peekRaw();
    if (!t) return null;
    this.pos++;
    return { t, hs: this.empty };
  }

  peek(): RawToken | null {
    const p = this.pending[this.pending.length - 1];
    return p ? p.t : this.peekRaw();
  }

  /** Puts `list` back to be read next, in order. */
  unread(list: PTok[]): void {
    for (let i = list.length - 1; i >= 0; i--) this.pending.push(list[i] as PTok);
  }

  /** Why `next` returned null: what the text ran into. */
  stop(): string {
    const t = this.raw?.[this.pos];
    if (!t) return "the end of the macro argument";
    return t.kind === "eof" ? "the end of the file" : "a directive";
  }

  private peekRaw(): RawToken | null {
    const t = this.raw?.[this.pos];
    if (!t || t.kind === "eof" || t.kind === "include" || (t.bol && isPunct(t, "#"))) return null;
    return t;
  }
}

/** `file:line:col` of a span, for messages. */
function where(sources: SourceSet, s: Span): string {
  const { line, col } = sources.position(s.file, s.start);
  return `${sources.file(s.file).name}:${line}:${col}`;
}

/**
 * Preprocesses the files of one program, in the order they are given (the kernel prelude first,
 * then the main file), with one macro table for all: a macro defined in an included file is
 * visible after the `#include`. The first error throws a CompileError.
 */
export class Preprocessor {
  readonly macros = new Map<string, Macro>();
  /** The text of each file preprocessed so far (included ones too), as tokens for the parser. */
  readonly files = new Map<number, Token[]>();
  /** The files (their indices) that said `#pragma once` in a group that was kept. */
  readonly once = new Set<number>();
  /** Every -D name the program defines, undefines or tests in a directive, with the first such place. */
  readonly definesSeen = new Map<string, Span>();
  /** -D names met in the name position of a constant declaration (see PreprocessOptions.defines). */
  readonly definesDeclared = new Map<string, Span>();
  /** -D names replaced by their value as macros, with the first place. */
  readonly definesExpanded = new Map<string, Span>();
  /** Names the prelude #defines. */
  readonly preludeMacros = new Set<string>();
  /** -D names as the macros they are (see PreprocessOptions.defines). */
  private readonly defineMacros = new Map<string, Macro>();
  /** The text being read is a file of the program's, not the prelude's: -D applies. */
  private user = true;
  /** The top-level declaration state of the file being read. */
  private decl = new DeclState();
  /** A #if or #elif expression is being evaluated. */
  private evaluating = false;
  /** Expansion work so far (see MAX_EXPANSION_TOKENS). */
  private readonly ledger: Ledger = { work: 0 };
  private readonly empty = new HideSet(this.ledger);
  private pasted = 0;
  private readonly defines: ReadonlyMap<string, number>;

  constructor(
    private readonly sources: SourceSet,
    private readonly options: PreprocessOptions = {},
  ) {
    this.defines = options.defines ?? new Map();
    for (const [name, value] of this.defines) {
      const scratch = new SourceSet();
      const body = lexRaw(scratch, scratch.add("-D", defineSpelling(value))).filter((t) => t.kind !== "eof");
      this.defineMacros.set(name, {
        name,
        params: null,
        variadic: false,
        body,
        bodyParams: new Int32Array(body.length).fill(-1),
        // No file: diagnostics say "defined by -D" (diagnostics.ts).
        span: { file: -1, start: 0, end: 0 },
      });
    }
  }

  /** Preprocesses file `file` (at include depth `depth`) and returns its tokens, also kept in `files`. */
  run(file: number, depth = 0): Token[] {
    const outer = { user: this.user, decl: this.decl };
    this.user = this.options.prelude?.(file) !== true;
    this.decl = new DeclState();
    try {
      return this.runFile(file, depth);
    } finally {
      this.user = outer.user;
      this.decl = outer.decl;
    }
  }

  private runFile(file: number, depth: number): Token[] {
    const raw = lexRaw(this.sources, file);
    const input = new Input(raw, this.empty);
    const out: Token[] = [];
    const conds: Cond[] = [];
    const emit = (p: PTok): void => {
      const t = p.t;
      if (t.kind === "bad") throw new CompileError([t.diagnostic]);
      if (t.kind === "punct" && (t.text === "#" || t.text === "##"))
        this.fail("KC101", t.span, `unexpected character '#': a directive must begin its own line`);
      this.decl.feed(t);
      out.push(t as Token);
    };
    for (;;) {
      if (input.pending.length === 0) {
        const t = raw[input.pos] as RawToken;
        if (t.kind === "eof") {
          out.push(t);
          break;
        }
        const active = conds.length === 0 || (conds[conds.length - 1] as Cond).active;
        if (t.kind === "include") {
          input.pos++;
          if (active) this.include(t, out, depth);
          continue;
        }
        if (t.bol && isPunct(t, "#")) {
          input.pos = this.directive(raw, input.pos, conds);
          continue;
        }
        if (!active) {
          input.pos++;
          continue;
        }
      }
      this.step(input, input.next() as PTok, emit, 0);
    }
    const open = conds[conds.length - 1];
    if (open) this.fail("KC121", open.span, "this #if has no #endif in its file");
    this.files.set(file, out);
    return out;
  }

  private fail(code: Code, span: Span, message: string): never {
    throw new CompileError([{ code, span, message } satisfies Diagnostic]);
  }

  /** Charges `n` tokens of expansion work (and the hide sets' work) against MAX_EXPANSION_TOKENS. */
  private charge(n: number, span: Span): void {
    this.ledger.work += n;
    if (this.ledger.work > MAX_EXPANSION_TOKENS)
      this.fail(
        "KC130",
        span,
        `macro expansion handles more than ${MAX_EXPANSION_TOKENS.toLocaleString("en-US")} tokens in this program (produced, read as arguments or substituted in bodies: a macro that expands to several copies of another, nested, or a long body used often?)`,
      );
  }

  private include(t: RawToken & { kind: "include" }, out: Token[], depth: number): void {
    const target = this.options.include?.(t.path, t.span, depth, t.text.endsWith(">")) ?? null;
    if (target !== null) this.run(target, depth + 1);
    out.push(t);
  }

  // ------------------------------------------------------------ expansion

  /** Reads one token of text: expands it when it is a macro use (its result is read next), else emits it. */
  private step(input: Input, p: PTok, emit: (p: PTok) => void, level: number): void {
    const t = p.t;
    const d = t.kind === "ident" && this.user ? this.defineMacros.get(t.text) : undefined;
    if (d) {
      if (
        !this.definesDeclared.has(d.name) &&
        level === 0 &&
        this.decl.namePosition() &&
        isPunct(input.peek() ?? undefined, "=")
      )
        this.definesDeclared.set(d.name, t.span);
      if (this.definesDeclared.has(d.name) || p.hs.names.has(d.name)) emit(p);
      else {
        if (this.evaluating) this.pinned(d.name, t.span);
        else if (!this.definesExpanded.has(d.name)) this.definesExpanded.set(d.name, t.span);
        this.invoke(input, p, d, level);
      }
      return;
    }
    if (t.kind === "ident") {
      const m = this.macros.get(t.text);
      if (m && !p.hs.names.has(m.name) && (m.params === null || isPunct(input.peek() ?? undefined, "("))) {
        this.invoke(input, p, m, level);
        return;
      }
    }
    emit(p);
  }

  /** Replaces the use of `m` that starts with `p` by its expansion, put back into `input` to be rescanned. */
  private invoke(input: Input, p: PTok, m: Macro, level: number): void {
    const name = p.t;
    let hs: HideSet;
    let end = name.span.end;
    let args: PTok[][] = [];
    if (m.params !== null) {
      input.next(); // (
      const r = this.collect(input, m, name.span);
      args = r.args;
      // C11 6.10.3.4 by Prosser: what both the name and its ')' were hidden from, plus the macro.
      hs = p.hs.intersect(r.close.hs, this.empty).with(m.name);
      end = Math.max(end, r.close.t.span.end);
    } else hs = p.hs.with(m.name);
    const expansion: Expansion = { macro: m.name, defined: m.span, outer: name.span.expansion ?? null };
    const use: Span = { file: name.span.file, start: name.span.start, end, expansion };
    if (hs.names.size > MAX_MACRO_NESTING)
      this.fail(
        "KC114",
        use,
        `macro expansions nest more than ${MAX_MACRO_NESTING} levels (a macro whose body uses another, and so on)`,
      );
    // The body is walked whatever it yields (a parameter whose argument is empty yields nothing).
    this.charge(m.body.length, use);
    const result = this.substitute(m, args, hs, use, level);
    this.charge(result.length + 1, use);
    input.unread(result);
  }

  /** The arguments of a function-like macro use, after its `(`, up to the matching `)`. */
  private collect(input: Input, m: Macro, at: Span): { args: PTok[][]; close: PTok } {
    const params = m.params as string[];
    const args: PTok[][] = [[]];
    let depth = 0;
    for (;;) {
      const q = input.next();
      if (!q) {
        const s = input.stop();
        return this.fail("KC126", at, `the call of macro '${m.name}' has no ')' before ${s}`);
      }
      this.charge(1, at);
      const t = q.t;
      if (t.kind === "punct") {
        if (t.text === "(") depth++;
        else if (t.text === ")") {
          if (depth === 0) {
            if (params.length === 0 && args.length === 1 && (args[0] as PTok[]).length === 0) args.pop();
            if (m.variadic && args.length === params.length - 1) args.push([]);
            if (args.length !== params.length) {
              const n = params.length - (m.variadic ? 1 : 0);
              const takes = m.variadic ? `at least ${n}` : String(n);
              const span = { file: at.file, start: at.start, end: Math.max(at.end, t.span.end) };
              this.fail(
                "KC125",
                span,
                `macro '${m.name}' takes ${takes} argument${n === 1 && !m.variadic ? "" : "s"}, not ${args.length}`,
              );
            }
            return { args, close: q };
          }
          depth--;
        } else if (t.text === "," && depth === 0 && !(m.variadic && args.length >= params.length)) {
          args.push([]);
          continue;
        }
      }
      (args[args.length - 1] as PTok[]).push(q);
    }
  }

  /** C11 6.10.3.1-3: the body of `m` with its parameters replaced, hide set `hs` added to every token. */
  private substitute(m: Macro, args: PTok[][], hs: HideSet, use: Span, level: number): PTok[] {
    const body = m.body;
    const param = (i: number): number => (i < body.length ? (m.bodyParams[i] as number) : -1);
    const fromBody = (t: RawToken): PTok => ({ t: { ...t, span: use } as RawToken, hs: this.empty });
    const expanded = new Map<number, PTok[]>();
    const out: PTok[] = [];
    const append = (list: PTok[]): void => {
      for (const q of list) out.push(q);
    };
    for (let i = 0; i < body.length; i++) {
      const t = body[i] as RawToken;
      if (m.params !== null && isPunct(t, "#")) {
        // The definition made sure a parameter follows.
        out.push(this.stringize(args[param(i + 1)] ?? [], use));
        i++;
        continue;
      }
      if (isPunct(t, "##")) {
        // Never first or last in a body (checked at the definition), so both operands exist.
        const next = body[++i] as RawToken;
        const k = param(i);
        const a = k >= 0 ? (args[k] as PTok[]) : [fromBody(next)];
        const right = a.length > 0 ? a : [PLACEMARKER];
        const left = out.pop() as PTok;
        out.push(this.paste(left, right[0] as PTok, use));
        for (let j = 1; j < right.length; j++) out.push(right[j] as PTok);
        continue;
      }
      const k = param(i);
      if (k >= 0) {
        const a = args[k] as PTok[];
        if (isPunct(body[i + 1], "##")) append(a.length > 0 ? a : [PLACEMARKER]);
        else {
          let e = expanded.get(k);
          if (!e) {
            e = this.expandList(a, level + 1, use);
            expanded.set(k, e);
          }
          append(e);
        }
        continue;
      }
      out.push(fromBody(t));
    }
    const result: PTok[] = [];
    for (const q of out) if (q !== PLACEMARKER) result.push({ t: q.t, hs: q.hs.union(hs) });
    return result;
  }

  /** An argument fully macro-replaced on its own, as if it were the rest of the file (C11 6.10.3.1). */
  private expandList(tokens: PTok[], level: number, use: Span): PTok[] {
    if (level > MAX_MACRO_NESTING)
      this.fail(
        "KC114",
        use,
        `macro arguments nest more than ${MAX_MACRO_NESTING} levels (a macro used in the argument of another, and so on)`,
      );
    const input = new Input(null, this.empty);
    input.unread(tokens);
    const out: PTok[] = [];
    const emit = (q: PTok): void => {
      out.push(q);
    };
    for (let p = input.next(); p; p = input.next()) this.step(input, p, emit, level);
    return out;
  }

  /** `#param`: the argument's spelling as a string literal, one space where the source had any. */
  private stringize(arg: PTok[], use: Span): PTok {
    let spelling = "";
    let prev: RawToken | null = null;
    for (const q of arg) {
      if (prev && (q.t.span.start !== prev.span.end || q.t.span.file !== prev.span.file)) spelling += " ";
      spelling += q.t.text;
      prev = q.t;
    }
    this.pasted += spelling.length;
    this.charge(arg.length, use);
    this.checkPasted(use);
    const text = `"${spelling.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    return { t: { kind: "string", text, value: spelling, span: use }, hs: this.empty };
  }

  private checkPasted(use: Span): void {
    if (this.pasted > MAX_PASTED_CHARS)
      this.fail(
        "KC130",
        use,
        `'#' and '##' create more than ${MAX_PASTED_CHARS / (1 << 20)} MiB of text in this program`,
      );
  }

  /** `left ## right`: one token spelled as both together (an empty argument's placemarker gives the other). */
  private paste(left: PTok, right: PTok, use: Span): PTok {
    if (left === PLACEMARKER) return right;
    if (right === PLACEMARKER) return left;
    const text = left.t.text + right.t.text;
    this.pasted += text.length;
    this.checkPasted(use);
    const hs = left.hs.intersect(right.hs, this.empty);
    const bad = (why: string): never =>
      this.fail(
        "KC131",
        use,
        `'##' joins '${shown(left.t.text)}' and '${shown(right.t.text)}' into '${shown(text)}', which is not one token${why}`,
      );
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(text))
      return { t: { kind: KEYWORDS.has(text) ? "keyword" : "ident", text, span: use }, hs };
    // `#` ## `#` is the token `##` (C11 6.10.3.3 EXAMPLE): made by a paste, it is no operator.
    if (PUNCTUATORS.includes(text) || text === "##") return { t: { kind: "punct", text, span: use }, hs };
    if (/^[0-9]/.test(text)) {
      const scratch = new SourceSet();
      let tokens: Token[];
      try {
        tokens = lex(scratch, scratch.add("##", text));
      } catch (e) {
        if (e instanceof CompileError) return bad(`: ${e.diagnostics[0]?.message ?? "malformed number"}`);
        throw e;
      }
      const n = tokens[0];
      if (tokens.length === 2 && n?.kind === "int") return { t: { ...n, span: use }, hs };
    }
    return bad("");
  }

  // ------------------------------------------------------------ directives

  /** Runs the directive whose `#` is raw[pos]; returns the position after its line. */
  private directive(raw: RawToken[], pos: number, conds: Cond[]): number {
    let end = pos + 1;
    while (end < raw.length && !(raw[end] as RawToken).bol && (raw[end] as RawToken).kind !== "eof") end++;
    const hash = raw[pos] as RawToken;
    const line = raw.slice(pos + 1, end);
    const last = line[line.length - 1] ?? hash;
    const span: Span = { file: hash.span.file, start: hash.span.start, end: last.span.end };
    const top = conds[conds.length - 1];
    const active = !top || top.active;
    const nameTok = line[0];
    if (!nameTok) return end; // the null directive
    const name = isName(nameTok) ? nameTok.text : "";
    const nameSpan: Span = { file: span.file, start: hash.span.start, end: nameTok.span.end };
    const parentActive = conds.length < 2 || (conds[conds.length - 2] as Cond).active;
    switch (name) {
      case "if":
      case "ifdef":
      case "ifndef": {
        if (conds.length >= MAX_MACRO_NESTING)
          this.fail("KC114", nameSpan, `#if groups nest more than ${MAX_MACRO_NESTING} levels`);
        let keep = false;
        if (active) keep = name === "if" ? this.evaluate(line.slice(1), nameSpan) : this.ifdef(line, name);
        // Inside a skipped group the whole chain is skipped: mark it taken.
        conds.push({ active: keep, taken: keep || !active, sawElse: false, span: nameSpan });
        return end;
      }
      case "elif": {
        if (!top) this.fail("KC122", nameSpan, "#elif without #if");
        if (top.sawElse) this.fail("KC122", nameSpan, "#elif after #else");
        if (top.taken) top.active = false;
        else {
          top.active = parentActive && this.evaluate(line.slice(1), nameSpan);
          top.taken = top.active;
        }
        return end;
      }
      case "else":
      case "endif": {
        if (!top) this.fail("KC122", nameSpan, `#${name} without #if`);
        if (line.length > 1)
          this.fail("KC123", this.rest(line, 1), `unexpected text after #${name}; write a comment instead`);
        if (name === "endif") {
          conds.pop();
          return end;
        }
        if (top.sawElse) this.fail("KC122", nameSpan, "#else after #else");
        top.sawElse = true;
        top.active = !top.taken && parentActive;
        top.taken = true;
        return end;
      }
    }
    if (!active) return end; // other directives of a skipped group are not read
    switch (name) {
      case "define":
        this.define(line, nameSpan);
        return end;
      case "undef": {
        const n = line[1];
        if (!isName(n) || n.kind !== "ident")
          return this.fail("KC123", nameSpan, "#undef needs a macro name");
        // C11 6.10.8p4 and 6.10.3p5: neither is a name a program may define or undefine.
        if (n.text === "defined" || n.text === "__VA_ARGS__")
          this.fail("KC129", n.span, `'${n.text}' cannot be undefined: it is not a macro`);
        if (line.length > 2)
          this.fail("KC123", this.rest(line, 2), "unexpected text after the name in #undef");
        if (this.pinned(n.text, n.span)) return end;
        this.macros.delete(n.text);
        return end;
      }
      case "error": {
        const msg =
          line.length === 1 ? "" : line.length === 2 && line[1]?.kind === "string" ? line[1].value : null;
        const text = msg ?? this.sources.file(span.file).text.slice(this.rest(line, 1).start, span.end);
        return this.fail("KC120", span, `#error${text === "" ? "" : `: ${text}`}`);
      }
      case "pragma":
        // The include callback skips a later #include of this file.
        if (line.length === 2 && line[1]?.text === "once") {
          this.once.add(span.file);
          return end;
        }
        return this.fail("KC113", span, "unsupported #pragma: KC knows only '#pragma once'");
      default: {
        const what = name === "" ? `'#' followed by ${shown(nameTok.text)}` : `'#${name}'`;
        return this.fail(
          "KC113",
          nameSpan,
          `unsupported preprocessor directive ${what}: KC has #define, #undef, #include, #if, #ifdef, #ifndef, #elif, #else, #endif, #error and #pragma once`,
        );
      }
    }
  }

  /** The span of a directive's tokens from index `from` on. */
  private rest(line: RawToken[], from: number): Span {
    const a = line[from] as RawToken;
    const b = line[line.length - 1] as RawToken;
    return { file: a.span.file, start: a.span.start, end: b.span.end };
  }

  /** Whether `name` is a -D name (recording the use), so that the file's #define or #undef of it is ignored. */
  private pinned(name: string, span: Span): boolean {
    if (!this.user || !this.defines.has(name)) return false;
    if (!this.definesSeen.has(name)) this.definesSeen.set(name, span);
    return true;
  }

  private isDefined(name: string, span: Span): boolean {
    return this.pinned(name, span) || this.macros.has(name);
  }

  private ifdef(line: RawToken[], name: string): boolean {
    const n = line[1];
    if (!isName(n)) return this.fail("KC123", line[0]?.span as Span, `#${name} needs a macro name`);
    if (line.length > 2) this.fail("KC123", this.rest(line, 2), `unexpected text after the name in #${name}`);
    return this.isDefined(n.text, n.span) === (name === "ifdef");
  }

  private define(line: RawToken[], at: Span): void {
    const n = line[1];
    if (!n) this.fail("KC123", at, "#define needs a macro name");
    if (n.kind === "keyword")
      this.fail("KC129", n.span, `'${n.text}' is a KC keyword; it cannot be defined as a macro`);
    if (n.kind !== "ident")
      this.fail("KC123", n.span, `expected a macro name after #define, found ${shown(n.text)}`);
    if (n.text === "defined" || n.text === "__VA_ARGS__")
      this.fail("KC129", n.span, `'${n.text}' cannot be defined as a macro`);
    let i = 2;
    let params: string[] | null = null;
    /** Each parameter's index, by name. */
    const index = new Map<string, number>();
    let variadic = false;
    const open = line[2];
    // A '(' right after the name (no blank between) makes a function-like macro.
    if (isPunct(open, "(") && open?.span.start === n.span.end) {
      params = [];
      i = 3;
      if (isPunct(line[i], ")")) i++;
      else
        for (;;) {
          const p = line[i];
          if (isPunct(p, "...")) {
            variadic = true;
            index.set("__VA_ARGS__", params.length);
            params.push("__VA_ARGS__");
            i++;
          } else if (p?.kind === "ident" && p.text !== "__VA_ARGS__") {
            if (index.has(p.text))
              this.fail("KC123", p.span, `macro '${n.text}' has two parameters named '${p.text}'`);
            index.set(p.text, params.length);
            params.push(p.text);
            i++;
          } else
            this.fail(
              "KC123",
              p?.span ?? open.span,
              `expected a parameter name or '...' in the parameters of macro '${n.text}', found ${p ? shown(p.text) : "end of line"}`,
            );
          const sep = line[i];
          if (isPunct(sep, ")") || variadic) {
            // C11 6.10.3p12: '...' ends the parameter list.
            if (!isPunct(sep, ")"))
              this.fail(
                "KC123",
                sep?.span ?? open.span,
                `expected ')' after '...' in macro '${n.text}': '...' must be its last parameter`,
              );
            i++;
            break;
          }
          if (!isPunct(sep, ","))
            this.fail(
              "KC123",
              sep?.span ?? open.span,
              `expected ',' or ')' in the parameters of macro '${n.text}', found ${sep ? shown(sep.text) : "end of line"}`,
            );
          i++;
        }
    }
    const body = line.slice(i);
    const first = body[0];
    const lastTok = body[body.length - 1];
    if (isPunct(first, "##") || (body.length > 0 && isPunct(lastTok, "##")))
      this.fail(
        "KC127",
        (isPunct(first, "##") ? first : lastTok)?.span as Span,
        `'##' cannot begin or end the body of macro '${n.text}': it joins the tokens on both its sides`,
      );
    for (let j = 0; j < body.length; j++) {
      const t = body[j] as RawToken;
      if (params !== null && isPunct(t, "#")) {
        const p = body[j + 1];
        if (p?.kind !== "ident" || !index.has(p.text))
          this.fail(
            "KC127",
            t.span,
            `'#' in function-like macro '${n.text}' must be followed by a parameter name`,
          );
      }
      if (t.kind === "ident" && t.text === "__VA_ARGS__" && !variadic)
        this.fail("KC129", t.span, `__VA_ARGS__ can only be used in a macro whose parameters end with '...'`);
    }
    if (this.pinned(n.text, n.span)) return;
    const bodyParams = new Int32Array(body.length).fill(-1);
    if (params !== null)
      for (let j = 0; j < body.length; j++) {
        const t = body[j] as RawToken;
        if (t.kind === "ident") bodyParams[j] = index.get(t.text) ?? -1;
      }
    const m: Macro = { name: n.text, params, variadic, body, bodyParams, span: n.span };
    if (!this.user) this.preludeMacros.add(n.text);
    const old = this.macros.get(n.text);
    // An identical redefinition is allowed and changes nothing (the first stays the one named).
    if (old && sameDefinition(old, m)) return;
    if (old)
      this.fail(
        "KC128",
        n.span,
        `macro '${n.text}' is redefined differently (it was defined at ${where(this.sources, old.span)}); #undef it first`,
      );
    this.macros.set(n.text, m);
  }

  // ------------------------------------------------------------ #if expressions

  /** The value of a `#if` or `#elif` line (C11 6.10.1): `defined`, then macros, then other names are 0. */
  private evaluate(tokens: RawToken[], at: Span): boolean {
    const pre: PTok[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as RawToken;
      if (t.kind !== "ident" || t.text !== "defined") {
        pre.push({ t, hs: this.empty });
        continue;
      }
      const paren = isPunct(tokens[i + 1], "(");
      const n = tokens[i + (paren ? 2 : 1)];
      if (!isName(n) || (paren && !isPunct(tokens[i + 3], ")")))
        this.fail("KC124", t.span, "'defined' needs a macro name, as in 'defined X' or 'defined(X)'");
      const v = this.isDefined(n.text, n.span) ? 1 : 0;
      const end = (tokens[i + (paren ? 3 : 1)] as RawToken).span.end;
      pre.push({
        t: { kind: "int", text: String(v), value: v, span: { file: t.span.file, start: t.span.start, end } },
        hs: this.empty,
      });
      i += paren ? 3 : 1;
    }
    this.evaluating = true;
    let expanded: RawToken[];
    try {
      expanded = this.expandList(pre, 1, at).map((q) => q.t);
    } finally {
      this.evaluating = false;
    }
    if (expanded.length === 0)
      this.fail("KC124", at, `${shownDirective(at, this.sources)} needs an expression`);
    const v = new IfExpression(expanded, at, (name, span) => {
      if (name === "defined")
        this.fail("KC124", span, "a macro expanded to 'defined', whose meaning C leaves undefined");
      return this.pinned(name, span) ? BigInt(this.defines.get(name) as number) : null;
    }).value();
    return v !== 0n;
  }
}

/** A -D value as the text of its macro: what `cc -D` would be given for the same word. */
function defineSpelling(value: number): string {
  if (value >= 0) return value <= 0x7fffffff ? String(value) : `0x${value.toString(16)}`;
  // -2147483648 is no constant in C (2147483648 is not an int): INT_MIN's usual spelling.
  return value === -0x80000000 ? "(-2147483647 - 1)" : `(-${-value})`;
}

/** C11 6.10.3p2: the same parameters and the same body tokens, separated by blanks in the same places. */
function sameDefinition(a: Macro, b: Macro): boolean {
  if (a.variadic !== b.variadic || (a.params === null) !== (b.params === null)) return false;
  if (a.params && b.params && a.params.join(",") !== b.params.join(",")) return false;
  if (a.body.length !== b.body.length) return false;
  for (let i = 0; i < a.body.length; i++) {
    const x = a.body[i] as RawToken;
    const y = b.body[i] as RawToken;
    if (x.text !== y.text) return false;
    if (i > 0) {
      const gapX = x.span.start !== (a.body[i - 1] as RawToken).span.end;
      const gapY = y.span.start !== (b.body[i - 1] as RawToken).span.end;
      if (gapX !== gapY) return false;
    }
  }
  return true;
}

/** Token text for a message, shortened. */
function shown(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}...` : text;
}

function shownDirective(at: Span, sources: SourceSet): string {
  return sources.file(at.file).text.slice(at.start, at.end).replace(/\s+/g, "");
}

const INT64_MIN = -(1n << 63n);

/**
 * Evaluates a macro-expanded `#if` line in intmax_t (64-bit) arithmetic, as C does, by
 * precedence climbing. Recursion is bounded by MAX_NESTING (KC114). An arm that is not
 * evaluated (`0 && 1/0`) may divide by zero, as in C.
 */
class IfExpression {
  private pos = 0;
  private depth = 0;
  /** > 0 inside an operand whose value is not used. */
  private skip = 0;

  constructor(
    private readonly toks: Token[] | RawToken[],
    private readonly at: Span,
    private readonly name: (name: string, span: Span) => bigint | null,
  ) {}

  value(): bigint {
    const v = this.cond();
    const t = this.toks[this.pos];
    if (t) this.fail(t.span, `unexpected ${shown(t.text)} in #if`);
    return v;
  }

  private fail(span: Span, message: string): never {
    throw new CompileError([{ code: "KC124", span, message }]);
  }

  private enter(span: Span): void {
    if (++this.depth > MAX_NESTING)
      throw new CompileError([
        { code: "KC114", span, message: `#if expression nests more than ${MAX_NESTING} levels` },
      ]);
  }

  private peekPunct(text: string): boolean {
    return isPunct(this.toks[this.pos], text);
  }

  private cond(): bigint {
    const c = this.binary(1);
    if (!this.peekPunct("?")) return c;
    const q = this.toks[this.pos++] as RawToken;
    this.enter(q.span);
    if (c === 0n) this.skip++;
    const a = this.cond();
    if (c === 0n) this.skip--;
    if (!this.peekPunct(":")) this.fail(this.toks[this.pos]?.span ?? this.at, "expected ':' in '?:' in #if");
    this.pos++;
    if (c !== 0n) this.skip++;
    const b = this.cond();
    if (c !== 0n) this.skip--;
    this.depth--;
    return c !== 0n ? a : b;
  }

  private binary(minPrec: number): bigint {
    let left = this.unary();
    for (;;) {
      const t = this.toks[this.pos];
      const prec = t?.kind === "punct" ? BINARY_PREC[t.text] : undefined;
      if (t === undefined || prec === undefined || prec < minPrec) return left;
      this.pos++;
      this.enter(t.span);
      // The right operand of && and || is not evaluated when the left decides.
      const skipRight = (t.text === "&&" && left === 0n) || (t.text === "||" && left !== 0n);
      if (skipRight) this.skip++;
      const right = this.binary(prec + 1);
      if (skipRight) this.skip--;
      this.depth--;
      left = this.apply(t.text, left, right, t.span);
    }
  }

  private apply(op: string, a: bigint, b: bigint, span: Span): bigint {
    const wrap = (x: bigint): bigint => BigInt.asIntN(64, x);
    switch (op) {
      case "*":
        return wrap(a * b);
      case "/":
      case "%":
        if (b === 0n) {
          if (this.skip > 0) return 0n;
          return this.fail(span, `division by zero in #if`);
        }
        if (a === INT64_MIN && b === -1n) return op === "/" ? INT64_MIN : 0n;
        return op === "/" ? a / b : a % b;
      case "+":
        return wrap(a + b);
      case "-":
        return wrap(a - b);
      case "<<":
      case ">>":
        if (b < 0n || b > 63n) {
          if (this.skip > 0) return 0n;
          return this.fail(span, `shift by ${b} in #if: C defines shifts by 0 to 63 only`);
        }
        return op === "<<" ? wrap(a << b) : a >> b;
      case "<":
        return a < b ? 1n : 0n;
      case "<=":
        return a <= b ? 1n : 0n;
      case ">":
        return a > b ? 1n : 0n;
      case ">=":
        return a >= b ? 1n : 0n;
      case "==":
        return a === b ? 1n : 0n;
      case "!=":
        return a !== b ? 1n : 0n;
      case "&":
        return a & b;
      case "^":
        return a ^ b;
      case "|":
        return a | b;
      case "&&":
        return a !== 0n && b !== 0n ? 1n : 0n;
      default:
        return a !== 0n || b !== 0n ? 1n : 0n;
    }
  }

  private unary(): bigint {
    const t = this.toks[this.pos];
    if (!t) return this.fail(this.at, "the #if expression ends where a value is expected");
    this.pos++;
    if (t.kind === "punct" && (t.text === "-" || t.text === "+" || t.text === "~" || t.text === "!")) {
      this.enter(t.span);
      const v = this.unary();
      this.depth--;
      if (t.text === "-") return BigInt.asIntN(64, -v);
      if (t.text === "+") return v;
      if (t.text === "~") return ~v;
      return v === 0n ? 1n : 0n;
    }
    if (t.kind === "punct" && t.text === "(") {
      this.enter(t.span);
      const v = this.cond();
      this.depth--;
      if (!this.peekPunct(")")) this.fail(this.toks[this.pos]?.span ?? this.at, "expected ')' in #if");
      this.pos++;
      return v;
    }
    if (t.kind === "int") {
      // C11 6.10.1p4: a `u` constant makes #if arithmetic uintmax_t, which this evaluator (in
      // intmax_t) does not do; 0xffffffff without `u` fits intmax_t and stays signed here.
      if (/^[0-9]/.test(t.text) && /[uU]/.test(t.text))
        throw new CompileError([
          {
            code: "KC313",
            span: t.span,
            message: `'${t.text}' is unsigned, and #if does not do unsigned (uintmax_t) arithmetic in KC: write it without the u`,
          },
        ]);
      return BigInt(t.value);
    }
    if (t.kind === "bad") throw new CompileError([t.diagnostic]);
    if (t.kind === "ident" || t.kind === "keyword") {
      const v = this.name(t.text, t.span);
      if (v !== null) return v;
      // C11 6.10.1p4: a name that is not a macro is 0; KC's true and false are 1 and 0.
      return t.text === "true" ? 1n : 0n;
    }
    return this.fail(
      t.span,
      `expected a value in #if, found ${t.kind === "string" ? "a string" : shown(t.text)}`,
    );
  }
}
