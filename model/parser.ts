// The KC parser: recursive descent over the lexer's tokens, C precedence, KC top-level forms; the first error throws.
import type {
  AssignOp,
  BinaryOp,
  Decl,
  EnumMember,
  Expansion,
  Expr,
  FieldDecl,
  Init,
  InitItem,
  NamedType,
  Param,
  Program,
  PropertyKind,
  Span,
  Stmt,
  TypeExpr,
  UnaryOp,
  VarDecl,
} from "./ast";
import { KERNEL_INT_TYPEDEFS, WIDE_TYPEDEFS } from "./ctypes";
import { type Code, CompileError } from "./diagnostics";
import { lex, type Token } from "./lexer";
import { checkNesting, MAX_NESTING, nestingMessage } from "./nesting";
import type { SourceSet } from "./source";

/** What the parser needs to know beyond one file's tokens. */
export interface ParseContext {
  /** Names that are types here: built-ins and every typedef seen so far, including in included files. */
  typedefs: Set<string>;
  /** Called when `#include` is met, before parsing goes on, so the included file's typedefs are known. */
  onInclude?: (path: string, span: Span) => void;
}

/** Type names the kernel model provides without a declaration. */
export const BUILTIN_TYPEDEFS: readonly string[] = [
  "wait_queue_head_t",
  "wait_queue_entry_t",
  "spinlock_t",
  "atomic_t",
  ...KERNEL_INT_TYPEDEFS.map(([name]) => name),
  ...WIDE_TYPEDEFS,
];

/** A fresh context knowing only the built-in type names. */
export function newParseContext(onInclude?: (path: string, span: Span) => void): ParseContext {
  return onInclude
    ? { typedefs: new Set(BUILTIN_TYPEDEFS), onInclude }
    : { typedefs: new Set(BUILTIN_TYPEDEFS) };
}

/**
 * Parses one file of `sources` into its top-level declarations, in source order.
 *
 * Every struct and enum body, wherever it is written (a global's type, a typedef, a field, a
 * local, a cast), becomes its own top-level `struct`/`enum` Decl placed before the declaration
 * that contains it; type expressions then refer to it by name with `fields`/`members` null.
 * An anonymous struct gets the name `<anon@FILE:LINE:COL>`. `#include` calls `ctx.onInclude`
 * at once and stays in the result as an `include` Decl. Throws a `CompileError` at the first error.
 * `tokens`, when given, are the file's tokens as the preprocessor left them (else it is lexed);
 * a node that starts with a token from a macro expansion carries the expansion in its span.
 */
export function parseProgram(sources: SourceSet, file: number, ctx: ParseContext, tokens?: Token[]): Program {
  const program = new Parser(sources, file, ctx, tokens).program();
  checkNesting(program.decls);
  return program;
}

const CONTEXTUAL = new Set([
  "process",
  "interrupt",
  "invariant",
  "final",
  "reachable",
  "expect",
  "pool",
  "model",
]);

// Binding strength of the binary operators; higher binds tighter (also in #if: preprocess.ts).
export const BINARY_PREC: Partial<Record<string, number>> = {
  "||": 1,
  "&&": 2,
  "|": 3,
  "^": 4,
  "&": 5,
  "==": 6,
  "!=": 6,
  "<": 7,
  "<=": 7,
  ">": 7,
  ">=": 7,
  "<<": 8,
  ">>": 8,
  "+": 9,
  "-": 9,
  "*": 10,
  "/": 10,
  "%": 10,
};
// The bounds of `int<lo..hi>` stop below the relational operators, so that `>` closes the range.
const SHIFT_PREC = 8;

const ASSIGN_OPS = new Set(["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^="]);
const UNARY_OPS = new Set(["-", "+", "!", "~", "*", "&"]);
const TYPE_KEYWORDS = new Set([
  "int",
  "char",
  "bool",
  "void",
  "unsigned",
  "signed",
  "long",
  "short",
  "struct",
  "enum",
  "union",
  "const",
  "volatile",
  "typeof",
  "__typeof__",
]);
const DECL_KEYWORDS = new Set([...TYPE_KEYWORDS, "typedef", "static", "extern", "inline", "register"]);
const INT_MODIFIERS = new Set(["unsigned", "signed", "long", "short"]);

/** The declaration specifiers before the declarators: the base type and the words that qualify it. */
interface Specifiers {
  type: TypeExpr;
  /** Offset of the first specifier, qualifiers included. */
  start: number;
  isStatic: boolean;
  isConst: boolean;
  isTypedef: boolean;
  /** A struct or enum body was written here (and has been hoisted to its own Decl). */
  defined: boolean;
}

/** One array dimension as written; `size` null for `[]`. */
interface Dim {
  size: Expr | null;
  span: Span;
}

/** A parsed declarator, before array dimensions are applied to its type. */
interface Declarator {
  name: string;
  nameSpan: Span;
  /** The base type with the declarator's pointers applied. */
  type: TypeExpr;
  dims: Dim[];
  /** Present when the declarator declares a function. */
  params: Param[] | null;
  /** Offset of the declarator's first token (a `*` or the name). */
  start: number;
  /** Where its derived (pointer and array) types start: the base type for a first declarator, else `start`. */
  typeStart: number;
}

type Label =
  | { kind: "label"; name: string; start: number }
  | { kind: "case"; value: Expr | null; start: number };

/** `'text'` for a token in a message, or `end of file`. */
function describe(t: Token): string {
  if (t.kind === "eof") return "end of file";
  const text = t.text.length > 24 ? `${t.text.slice(0, 24)}...` : t.text;
  return `'${text}'`;
}

function isScalarType(t: TypeExpr): boolean {
  return t.kind === "named" || t.kind === "range" || t.kind === "enum" || t.kind === "typedef";
}

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private depth = 0;
  /** While a property's expression is parsed (see kcDecl). */
  private inProperty = false;
  /** End offset of the last consumed token: where a node being finished ends. */
  private lastEnd = 0;
  private lastSpan: Span | null = null;
  /** The program's declarations; hoisted struct and enum definitions are pushed here as they are met. */
  private readonly decls: Decl[] = [];
  /** The macro expansion of the first expanded token at each offset (all of one use share the use's offset). */
  private readonly expansions = new Map<number, Expansion>();

  constructor(
    private readonly sources: SourceSet,
    private readonly file: number,
    private readonly ctx: ParseContext,
    tokens?: Token[],
  ) {
    this.toks = tokens ?? lex(sources, file);
    for (const t of this.toks) {
      const x = t.span.expansion;
      if (x && !this.expansions.has(t.span.start)) this.expansions.set(t.span.start, x);
    }
  }

  // ------------------------------------------------------------ token helpers

  private peek(ahead = 0): Token {
    return this.toks[Math.min(this.pos + ahead, this.toks.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") {
      this.pos++;
      this.lastEnd = t.span.end;
      this.lastSpan = t.span;
    }
    return t;
  }

  /** Whether the token `ahead` is the punctuator or keyword `text`. */
  private is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === "punct" || t.kind === "keyword") && t.text === text;
  }

  private eat(text: string): boolean {
    if (!this.is(text)) return false;
    this.next();
    return true;
  }

  private isIdent(ahead = 0): boolean {
    return this.peek(ahead).kind === "ident";
  }

  private isTypedefName(t: Token): boolean {
    return t.kind === "ident" && this.ctx.typedefs.has(t.text);
  }

  private fail(code: Code, span: Span, message: string): never {
    throw new CompileError([{ code, span, message }]);
  }

  /** Fails at `span` (by default the current token) with `expected WHAT, found 'X'`. */
  private unexpected(code: Code, what: string, span: Span = this.peek().span): never {
    const t = this.peek();
    if (t.kind === "include")
      this.fail(
        "KC113",
        t.span,
        "#include is only allowed at the top level of a file, between declarations (KC includes a file as a whole list of declarations, not inside one)",
      );
    return this.fail(code, span, `expected ${what}, found ${describe(t)}`);
  }

  /**
   * Where a missing punctuator belongs. When the next token is on a later line (the usual
   * forgotten `;` at the end of a line), that is right after the previous token, as compilers
   * show it; otherwise it is the token found instead.
   */
  private missingSpan(): Span {
    const t = this.peek();
    if (this.pos === 0) return t.span;
    const before = this.sources.position(this.file, this.lastEnd).line;
    const after = this.sources.position(this.file, t.span.start).line;
    return after > before ? { file: this.file, start: this.lastEnd, end: this.lastEnd } : t.span;
  }

  /** Consumes the punctuator or keyword `text`, or fails with `expected 'text' CONTEXT, found 'X'`. */
  private expect(text: string, context: string): Token {
    if (this.is(text)) return this.next();
    return this.unexpected("KC110", `'${text}' ${context}`, this.missingSpan());
  }

  /** Consumes the closer of a bracket pair opened by `open`, naming the opener in the message. */
  private close(text: string, open: Token): void {
    if (this.eat(text)) return;
    const { line } = this.sources.position(this.file, open.span.start);
    const where = open.text === "{" ? ` on line ${line}` : "";
    this.unexpected("KC110", `'${text}' to close '${open.text}'${where}`, this.missingSpan());
  }

  private ident(what: string): Token {
    if (this.isIdent()) return this.next();
    return this.unexpected("KC110", what);
  }

  /** The span from `start` to the end of the last consumed token. */
  private spanFrom(start: number): Span {
    const expansion = this.expansions.get(start);
    if (expansion) return { file: this.file, start, end: this.lastEnd, expansion };
    // A node that starts at a macro argument and ends in the macro's body is shown as the use.
    const last = this.lastSpan;
    if (last?.expansion && last.start <= start && start < last.end)
      return { file: this.file, start: last.start, end: this.lastEnd, expansion: last.expansion };
    return { file: this.file, start, end: this.lastEnd };
  }

  private join(a: Span, b: Span): Span {
    return a.expansion
      ? { file: this.file, start: a.start, end: b.end, expansion: a.expansion }
      : { file: this.file, start: a.start, end: b.end };
  }

  private enter(): void {
    this.depth++;
    if (this.depth > MAX_NESTING) {
      this.fail("KC114", this.peek().span, nestingMessage());
    }
  }

  private leave(): void {
    this.depth--;
  }

  // ------------------------------------------------------------ top level

  program(): Program {
    while (this.peek().kind !== "eof") this.topLevel();
    return { file: this.file, decls: this.decls };
  }

  private topLevel(): void {
    const t = this.peek();
    if (t.kind === "include") {
      this.next();
      this.decls.push({ kind: "include", path: t.path, span: t.span });
      this.ctx.onInclude?.(t.path, t.span);
      return;
    }
    // A stray `;` (as after a function body, `void f() { };`) is harmless.
    if (this.eat(";")) return;
    // `init {`: the word alone stays an ordinary name (a function called init, say).
    if (
      t.kind === "ident" &&
      t.text === "init" &&
      this.peek(1).text === "{" &&
      !this.ctx.typedefs.has(t.text)
    ) {
      const start = this.next().span.start;
      const body = this.block("the body of 'init'");
      this.decls.push({ kind: "init", body, span: this.spanFrom(start) });
      return;
    }
    if (t.kind === "ident" && CONTEXTUAL.has(t.text) && !this.ctx.typedefs.has(t.text)) {
      this.decls.push(this.kcDecl());
      return;
    }
    if (this.is("const") && this.isIdent(1) && !this.isTypedefName(this.peek(1))) {
      this.untypedConst();
      return;
    }
    this.declaration();
  }

  /** `process`, `interrupt`, a property, or `expect`. */
  private kcDecl(): Decl {
    const kw = this.next();
    const start = kw.span.start;
    switch (kw.text) {
      case "process": {
        const name = this.ident("a process name after 'process'");
        let count: Expr | null = null;
        if (this.is("[")) {
          const open = this.next();
          count = this.expr();
          this.close("]", open);
        }
        const body = this.block(`the body of process '${name.text}'`);
        return {
          kind: "process",
          name: name.text,
          count,
          body,
          span: this.spanFrom(start),
          nameSpan: name.span,
        };
      }
      case "interrupt": {
        const name = this.ident("an interrupt name after 'interrupt'");
        const body = this.block(`the body of interrupt '${name.text}'`);
        return { kind: "interrupt", name: name.text, body, span: this.spanFrom(start), nameSpan: name.span };
      }
      case "pool": {
        // `pool struct T[COUNT];`: the type name parser reads `struct T[COUNT]` as an array type.
        const t = this.typeName();
        this.expect(";", "after the pool declaration");
        if (t.kind !== "array")
          this.fail("KC110", this.spanFrom(start), "a pool needs a count: pool struct NAME[COUNT];");
        const arr = t as Extract<TypeExpr, { kind: "array" }>;
        return { kind: "pool", type: arr.of, count: arr.size, span: this.spanFrom(start) };
      }
      case "expect": {
        const verdict = this.peek();
        if (verdict.kind === "ident" && verdict.text === "holds") {
          this.next();
          this.expect(";", "after 'expect holds'");
          return { kind: "expect", verdict: "holds", property: null, span: this.spanFrom(start) };
        }
        if (verdict.kind === "ident" && verdict.text === "violation") {
          this.next();
          const name = this.ident("the name of the property expected to fail after 'expect violation'");
          this.expect(";", `after 'expect violation ${name.text}'`);
          return { kind: "expect", verdict: "violation", property: name.text, span: this.spanFrom(start) };
        }
        return this.unexpected("KC110", "'holds' or 'violation' after 'expect'");
      }
      case "model": {
        // The execution model (README "Execution models"); `--model` overrides it.
        const m = this.peek();
        if (m.kind === "ident" && (m.text === "uniprocessor" || m.text === "smp")) {
          this.next();
          this.expect(";", `after 'model ${m.text}'`);
          return { kind: "model", model: m.text === "smp" ? "smp" : "up", span: this.spanFrom(start) };
        }
        return this.unexpected("KC110", "'uniprocessor' or 'smp' after 'model'");
      }
      default: {
        const property = kw.text as PropertyKind;
        const name = this.ident(`a property name after '${property}'`);
        this.expect(":", `after the name of ${property} '${name.text}'`);
        // Only a property reads processes: `at`, `in`, `exited`, `forall` and `exists` are
        // words of property expressions, ordinary names everywhere else.
        this.inProperty = true;
        const expr = this.expr();
        this.inProperty = false;
        this.expect(";", `after ${property} '${name.text}'`);
        return {
          kind: "property",
          property,
          name: name.text,
          expr,
          span: this.spanFrom(start),
          nameSpan: name.span,
        };
      }
    }
  }

  /** `const N = 3;` (also `const A = 1, B = 2;`): constants whose type comes from their use. */
  private untypedConst(): void {
    const start = this.next().span.start;
    const own: Decl[] = [];
    do {
      const itemStart = own.length === 0 ? start : this.peek().span.start;
      const name = this.ident("a constant name");
      this.expect("=", `after constant '${name.text}': a constant needs a value`);
      const value = this.assign();
      own.push({
        kind: "const",
        name: name.text,
        type: null,
        value,
        span: this.spanFrom(itemStart),
        nameSpan: name.span,
      });
    } while (this.eat(","));
    this.expect(";", "after constant declaration");
    this.finishDecls(own, start);
  }

  /** Adds the Decls of one declaration; a lone one's span is widened to the whole declaration and its `;`. */
  private finishDecls(own: Decl[], start: number): void {
    const only = own[0];
    if (own.length === 1 && only) only.span = this.spanFrom(start);
    this.decls.push(...own);
  }

  /** A top-level declaration: globals, constants, typedefs, functions, struct/enum definitions. */
  private declaration(): void {
    const specs = this.specifiers("a type or a declaration");
    const start = specs.start;
    if (this.eat(";")) {
      if (specs.isTypedef) this.fail("KC110", this.spanFrom(start), "this typedef gives no name to its type");
      if (specs.type.kind === "struct" && !specs.defined) {
        // `struct S;`: a forward declaration.
        const { name, union, span } = specs.type;
        this.decls.push({ kind: "struct", name, fields: null, span, ...(union && { union }) });
        return;
      }
      if (specs.type.kind === "enum" && !specs.defined) {
        this.fail("KC110", specs.type.span, "an enum must list its members where it is declared");
      }
      if (!specs.defined) this.fail("KC110", this.spanFrom(start), "this declaration declares nothing");
      return;
    }
    const own: Decl[] = [];
    for (let first = true; ; first = false) {
      const d = this.declarator(specs.type, first, "in the declaration", false);
      const itemStart = first ? start : d.start;
      if (d.params) {
        if (specs.isTypedef) this.fail("KC110", d.nameSpan, "function types are not supported in KC");
        if (d.dims.length > 0) this.fail("KC110", d.nameSpan, "a function cannot return an array");
        if (this.is("{")) {
          if (!first)
            this.fail("KC110", this.peek().span, "a function body must belong to the first declarator");
          const body = this.block(`the body of function '${d.name}'`);
          this.decls.push({
            kind: "function",
            name: d.name,
            returns: d.type,
            params: d.params,
            body,
            span: this.spanFrom(start),
            nameSpan: d.nameSpan,
          });
          return;
        }
        if (!this.is(",") && !this.is(";")) {
          this.unexpected(
            "KC110",
            `'{' to begin the body of function '${d.name}', or ';' after its prototype`,
          );
        }
        own.push({
          kind: "function",
          name: d.name,
          returns: d.type,
          params: d.params,
          body: null,
          span: this.spanFrom(itemStart),
          nameSpan: d.nameSpan,
        });
      } else if (specs.isTypedef) {
        if (this.is("="))
          this.fail("KC110", this.peek().span, `typedef '${d.name}' cannot have an initializer`);
        const type = this.applyDims(d, null);
        // Known at once, so that the rest of this file (and includers) parse uses of it as a type.
        this.ctx.typedefs.add(d.name);
        own.push({ kind: "typedef", name: d.name, type, span: this.spanFrom(itemStart) });
      } else {
        const init = this.eat("=") ? this.initializer() : null;
        const type = this.applyDims(d, init);
        const span = this.spanFrom(itemStart);
        // Only a const scalar is a KC constant; a const array, pointer or struct is an ordinary
        // global (KC does not enforce const), as is `const int x = { 1 }`.
        const isConstant = specs.isConst && isScalarType(type);
        if (isConstant && init === null) {
          this.fail(
            "KC110",
            d.nameSpan,
            `constant '${d.name}' needs a value, as in 'const int ${d.name} = 1;'`,
          );
        }
        if (isConstant && init?.kind === "expr") {
          own.push({ kind: "const", name: d.name, type, value: init.expr, span, nameSpan: d.nameSpan });
        } else {
          own.push({ kind: "var", decl: { name: d.name, type, init, isStatic: false, span }, span });
        }
      }
      if (!this.eat(",")) break;
    }
    this.expect(";", specs.isTypedef ? "after typedef" : "after declaration");
    // With a struct or enum defined in the same declaration, the lone Decl is not the whole of it.
    if (specs.defined) this.decls.push(...own);
    else this.finishDecls(own, start);
  }

  // ------------------------------------------------------------ types and declarators

  /** `typeof ( type-name )` or `typeof ( expression )`, GNU C's: the operand is never evaluated. */
  private typeofType(): TypeExpr {
    const start = this.next().span.start;
    const open = this.expect("(", "after typeof");
    this.enter();
    const of: TypeExpr | Expr = this.isTypeStart(this.peek()) ? this.typeName() : this.expr();
    this.leave();
    this.close(")", open);
    return { kind: "typeof", of, span: this.spanFrom(start) };
  }

  /** Whether `t` can begin a type name (in a cast, `sizeof`, or a declaration). */
  private isTypeStart(t: Token): boolean {
    return (t.kind === "keyword" && TYPE_KEYWORDS.has(t.text)) || this.isTypedefName(t);
  }

  /** Whether the statement at the current token is a declaration. */
  private isDeclStart(): boolean {
    const t = this.peek();
    if (t.kind === "keyword") return DECL_KEYWORDS.has(t.text);
    // `name:` is a label even when `name` is also a type.
    return this.isTypedefName(t) && !this.is(":", 1);
  }

  /**
   * Declaration specifiers: qualifiers and storage classes (accepted, mostly ignored) around one
   * base type. `signed` and `long` (alone or with int) mean int, as on i386; `unsigned`, `short`
   * and `signed`/`unsigned char` name C's other integer types, and `long long` is rejected (see
   * checkModifiers). Fails with KC112
   * `expected WHAT, found X` when no type is there.
   */
  private specifiers(what: string): Specifiers {
    const start = this.peek().span.start;
    let base: TypeExpr | null = null;
    let baseWord = "";
    let defined = false;
    const mods: Token[] = [];
    let isStatic = false;
    let isConst = false;
    let isTypedef = false;
    for (;;) {
      const t = this.peek();
      if (t.kind === "ident") {
        // A typedef name is the type only if no type word came before it: in a second
        // `typedef long T;` the `T` after `long` is the name being declared.
        if (base !== null || mods.length > 0 || !this.ctx.typedefs.has(t.text)) break;
        this.next();
        base = { kind: "typedef", name: t.text, span: t.span };
        baseWord = t.text;
        continue;
      }
      if (t.kind !== "keyword") break;
      const word = t.text;
      if (word === "static") isStatic = true;
      else if (word === "const") isConst = true;
      else if (word === "typedef") isTypedef = true;
      else if (INT_MODIFIERS.has(word)) mods.push(t);
      else if (word === "int" || word === "char" || word === "bool" || word === "void") {
        if (base !== null)
          this.fail("KC110", t.span, `two types in one declaration: '${baseWord}' and '${word}'`);
        this.next();
        baseWord = word;
        base =
          this.is("<") && word === "int" ? this.rangeType(t) : { kind: "named", name: word, span: t.span };
        continue;
      } else if (word === "typeof" || word === "__typeof__") {
        if (base !== null)
          this.fail("KC110", t.span, `two types in one declaration: '${baseWord}' and '${word}'`);
        base = this.typeofType();
        baseWord = word;
        continue;
      } else if (word === "struct" || word === "union" || word === "enum") {
        if (base !== null)
          this.fail("KC110", t.span, `two types in one declaration: '${baseWord}' and '${word}'`);
        const before = this.decls.length;
        base = word === "enum" ? this.enumType() : this.structType();
        baseWord = word;
        defined ||= this.decls.length > before;
        continue;
      } else if (word !== "extern" && word !== "inline" && word !== "volatile" && word !== "register") break;
      this.next();
    }
    const first = mods[0];
    const last = mods[mods.length - 1];
    if (first && last) {
      const name = this.checkModifiers(mods, base, baseWord);
      if (base === null || (base.kind === "named" && (base.name === "int" || base.name === "char"))) {
        if (
          base?.kind === "named" &&
          base.name === "char" &&
          mods.some((m) => m.text === "long" || m.text === "short")
        ) {
          this.fail("KC110", base.span, `'${mods.map((m) => m.text).join(" ")} char' is not a C type`);
        }
        const from = Math.min(first.span.start, base?.span.start ?? first.span.start);
        const to = Math.max(last.span.end, base?.span.end ?? last.span.end);
        base = { kind: "named", name, span: { file: this.file, start: from, end: to } };
      } else if (base.kind !== "range") {
        this.fail("KC110", first.span, `'${first.text}' cannot be combined with '${baseWord}'`);
      }
    }
    if (base === null) return this.unexpected("KC112", what);
    return { type: base, start, isStatic, isConst, isTypedef, defined };
  }

  /**
   * KC's integer types are C's on i386: int, long and signed are 32-bit, short 16-bit, char a
   * signed byte, each also unsigned. long long is 64-bit, which KC does not have: rejected rather
   * than read as a 32-bit type. A ranged int `int<lo..hi>` is a signed int and takes only
   * `signed` and `long`. Returns the type the words name with an `int` or `char` base.
   */
  private checkModifiers(mods: Token[], base: TypeExpr | null, baseWord: string): NamedType {
    const all = (w: string): Token[] => mods.filter((m) => m.text === w);
    const [signed, unsigned, short, long] = ["signed", "unsigned", "short", "long"].map(all) as Token[][];
    for (const ws of [signed, unsigned, short])
      if (ws?.[1]) this.fail("KC110", ws[1].span, `duplicate '${ws[1].text}'`);
    if (long?.[2]) this.fail("KC110", long[2].span, "'long long long' is not a C type");
    if (signed?.[0] && unsigned?.[0])
      this.fail("KC110", unsigned[0].span, "both 'signed' and 'unsigned' in one type");
    if (short?.[0] && long?.[0]) this.fail("KC110", short[0].span, "both 'long' and 'short' in one type");
    // The caller reports words that cannot qualify this base type at all (`long char`, `unsigned bool`).
    const intBase = base === null || base.kind === "range" || (base.kind === "named" && baseWord === "int");
    if (intBase && long?.[1])
      this.fail(
        "KC313",
        long[1].span,
        "long long (64-bit) is not supported: KC's integers are at most 32-bit (int and long, as on i386)",
      );
    if (base?.kind === "range" && (unsigned?.[0] || short?.[0])) {
      const w = (unsigned?.[0] ?? short?.[0]) as Token;
      this.fail(
        "KC313",
        w.span,
        `a ranged int<lo..hi> is a signed int and cannot be '${w.text}': its range says which values it holds`,
      );
    }
    if (baseWord === "char") return unsigned?.[0] ? "unsigned char" : signed?.[0] ? "signed char" : "char";
    if (short?.[0]) return unsigned?.[0] ? "unsigned short" : "short";
    return unsigned?.[0] ? "unsigned int" : "int";
  }

  /** `int<lo..hi>`, after the `int`. */
  private rangeType(intTok: Token): TypeExpr {
    this.next(); // <
    const lo = this.binary(SHIFT_PREC);
    this.expect("..", "between the bounds of 'int<lo..hi>'");
    const hi = this.binary(SHIFT_PREC);
    this.expect(">", "to close 'int<lo..hi>'");
    return { kind: "range", lo, hi, span: this.spanFrom(intTok.span.start) };
  }

  /** A generated, unique and readable name for an anonymous struct at `offset`. */
  private anonName(offset: number): string {
    const { line, col } = this.sources.position(this.file, offset);
    const name = `<anon@${this.sources.file(this.file).name}:${line}:${col}>`;
    // Every token of one macro expansion has the macro call's place: number the later ones.
    const n = (this.anonNames.get(name) ?? 0) + 1;
    this.anonNames.set(name, n);
    return n === 1 ? name : `${name.slice(0, -1)}#${n}>`;
  }

  /** Anonymous struct names given so far, with how many times each place was used. */
  private readonly anonNames = new Map<string, number>();

  /**
   * `struct NAME`, `struct NAME { fields }` or `struct { fields }`, and the same with `union`;
   * a body is hoisted to a Decl.
   */
  private structType(): TypeExpr {
    const kw = this.next();
    const union = kw.text === "union" ? ({ union: true } as const) : {};
    const tag = this.isIdent() ? this.next() : null;
    if (!this.is("{")) {
      if (!tag) return this.unexpected("KC110", `a ${kw.text} name or '{' after '${kw.text}'`);
      return { kind: "struct", name: tag.text, fields: null, ...union, span: this.spanFrom(kw.span.start) };
    }
    const open = this.next();
    this.enter();
    const fields: FieldDecl[] = [];
    while (!this.is("}") && this.peek().kind !== "eof") this.fieldDecls(fields);
    this.close("}", open);
    this.leave();
    const name = tag ? tag.text : this.anonName(kw.span.start);
    const span = this.spanFrom(kw.span.start);
    if (fields.length === 0) this.fail("KC110", span, `${kw.text} '${name}' has no fields`);
    this.decls.push({ kind: "struct", name, fields, ...union, span });
    return { kind: "struct", name, fields: null, ...union, span };
  }

  /**
   * One field declaration line in a struct or union body: `int a, *b;`, or an anonymous struct
   * or union member (C11) whose fields are reached as the parent's: `union { int a; long b; };`.
   */
  private fieldDecls(fields: FieldDecl[]): void {
    const specs = this.specifiers("a type for a struct field");
    if (specs.isTypedef)
      this.fail("KC110", this.spanFrom(specs.start), "typedef is not allowed inside a struct");
    if (
      specs.type.kind === "struct" &&
      specs.defined &&
      specs.type.name.startsWith("<anon@") &&
      this.eat(";")
    ) {
      fields.push({ name: "", type: specs.type, span: this.spanFrom(specs.start) });
      return;
    }
    for (let first = true; ; first = false) {
      const d = this.declarator(specs.type, first, "for the struct field", false);
      if (d.params) this.fail("KC110", d.nameSpan, `field '${d.name}' cannot be a function`);
      if (this.is(":")) this.fail("KC110", this.peek().span, "bit-fields are not supported in KC");
      const type = this.applyDims(d, null);
      fields.push({ name: d.name, type, span: this.spanFrom(first ? specs.start : d.start) });
      if (!this.eat(",")) break;
    }
    this.expect(";", "after struct field");
  }

  /** `enum NAME`, or an enum with its members (hoisted to an `enum` Decl). */
  private enumType(): TypeExpr {
    const kw = this.next();
    const tag = this.isIdent() ? this.next() : null;
    const name = tag ? tag.text : null;
    if (!this.is("{")) {
      if (!tag) return this.unexpected("KC110", "an enum name or '{' after 'enum'");
      return { kind: "enum", name, members: null, span: this.spanFrom(kw.span.start) };
    }
    const open = this.next();
    const members: EnumMember[] = [];
    do {
      if (this.is("}") && members.length > 0) break; // a trailing comma
      const m = this.ident("an enum member name");
      const value = this.eat("=") ? this.cond() : null;
      members.push({ name: m.text, value, span: this.spanFrom(m.span.start) });
    } while (this.eat(","));
    this.close("}", open);
    const span = this.spanFrom(kw.span.start);
    this.decls.push({ kind: "enum", name, members, span });
    return { kind: "enum", name, members: null, span };
  }

  /**
   * A declarator: pointers, a name, then either array dimensions or a parameter list. `what`
   * completes "expected a name ..." when the name is missing; with `nameOptional` (prototype
   * parameters) a missing name yields "".
   */
  private declarator(base: TypeExpr, first: boolean, what: string, nameOptional: boolean): Declarator {
    const start = this.peek().span.start;
    // In `int a, *b` the type of b is spelled `int` ... `*`: its span covers just the `*`.
    const typeStart = first ? base.span.start : start;
    let type = base;
    while (this.is("*")) {
      this.next();
      type = { kind: "pointer", to: type, span: this.spanFrom(typeStart) };
      while (this.eat("const") || this.eat("volatile")) {
        // Qualifiers on the pointer itself mean nothing to KC.
      }
    }
    if (this.is("(") && this.is("*", 1))
      return this.functionPointer(type, start, typeStart, what, nameOptional);
    if (this.is("(")) {
      this.fail(
        "KC110",
        this.peek().span,
        "parenthesized declarators other than a function pointer's are not supported in KC",
      );
    }
    let name = "";
    let nameSpan: Span = { file: this.file, start: this.peek().span.start, end: this.peek().span.start };
    if (this.isIdent()) {
      const t = this.next();
      name = t.text;
      nameSpan = t.span;
    } else if (!nameOptional) {
      this.unexpected("KC110", `a name ${what}`);
    }
    if (name !== "" && this.is("("))
      return { name, nameSpan, type, dims: [], params: this.params(), start, typeStart };
    const dims: Dim[] = [];
    while (this.is("[")) {
      const open = this.next();
      const size = this.is("]") ? null : this.expr();
      this.close("]", open);
      if (size === null && dims.length > 0) {
        this.fail(
          "KC110",
          this.spanFrom(open.span.start),
          "only the first array dimension may be left empty",
        );
      }
      dims.push({ size, span: this.spanFrom(open.span.start) });
    }
    return { name, nameSpan, type, dims, params: null, start, typeStart };
  }

  /** `(*name)(params)` after the return type: a pointer to a function (name optional in a type name). */
  private functionPointer(
    returns: TypeExpr,
    start: number,
    typeStart: number,
    what: string,
    nameOptional: boolean,
  ): Declarator {
    const open = this.next();
    this.next(); // *
    while (this.eat("const") || this.eat("volatile")) {
      // Qualifiers on the pointer itself mean nothing to KC.
    }
    let name = "";
    let nameSpan: Span = { file: this.file, start: this.peek().span.start, end: this.peek().span.start };
    if (this.isIdent()) {
      const t = this.next();
      name = t.text;
      nameSpan = t.span;
    } else if (!nameOptional) {
      this.unexpected("KC110", `a name ${what}`);
    }
    if (this.is("["))
      this.fail(
        "KC110",
        this.peek().span,
        "arrays of function pointers are not supported in KC; use a struct of them",
      );
    this.close(")", open);
    if (!this.is("(")) this.unexpected("KC110", "the parameter list of the function pointer");
    const params = this.params();
    const fn: TypeExpr = { kind: "function", returns, params, span: this.spanFrom(typeStart) };
    return {
      name,
      nameSpan,
      type: { kind: "pointer", to: fn, span: fn.span },
      dims: [],
      params: null,
      start,
      typeStart,
    };
  }

  /**
   * The declarator's full type, array dimensions applied (`int a[3][2]`: 3 arrays of 2 ints).
   * An empty first dimension takes its size from `init` (`int a[] = {1, 2}`, `char s[] = "ab"`).
   */
  private applyDims(d: Declarator, init: Init | null): TypeExpr {
    let type = d.type;
    const end = d.dims[d.dims.length - 1]?.span.end ?? 0;
    for (let i = d.dims.length - 1; i >= 0; i--) {
      const dim = d.dims[i] as Dim;
      const size = dim.size ?? this.inferSize(d, dim, init);
      type = { kind: "array", of: type, size, span: { file: this.file, start: d.typeStart, end } };
    }
    return type;
  }

  private inferSize(d: Declarator, dim: Dim, init: Init | null): Expr {
    let count: number | null = null;
    if (init?.kind === "expr" && init.expr.kind === "string") count = init.expr.value.length + 1;
    if (init?.kind === "list") {
      count = 0;
      let next = 0;
      for (const item of init.items) {
        const first = item.designators[0];
        if (first?.kind === "index") {
          if (first.index.kind !== "int") {
            count = null;
            break;
          }
          next = first.index.value;
        }
        next++;
        count = Math.max(count, next);
      }
    }
    if (count === null) {
      return this.fail(
        "KC110",
        dim.span,
        `array '${d.name}' needs a size (or an initializer that gives one)`,
      );
    }
    return { kind: "int", value: count, span: dim.span };
  }

  /** `(params)`: `(void)` and `()` mean none; array parameters become pointers, as in C. */
  private params(): Param[] {
    const open = this.next();
    if (this.is("void") && this.is(")", 1)) {
      this.next();
      this.next();
      return [];
    }
    if (this.eat(")")) return [];
    const params: Param[] = [];
    do {
      if (this.is("..."))
        this.fail("KC110", this.peek().span, "variadic functions ('...') are not supported in KC");
      const specs = this.specifiers("a type for a parameter");
      if (specs.isTypedef)
        this.fail("KC110", this.spanFrom(specs.start), "typedef is not allowed in a parameter");
      const d = this.declarator(specs.type, true, "for the parameter", true);
      if (d.params)
        this.fail("KC110", d.nameSpan, "function parameters (function pointers) are not supported in KC");
      let type: TypeExpr;
      const [outer, ...inner] = d.dims;
      if (outer) {
        const elem = this.applyDims({ ...d, dims: inner }, null);
        type = { kind: "pointer", to: elem, span: this.spanFrom(d.typeStart) };
      } else {
        type = d.type;
      }
      params.push({ name: d.name, type, decayedSize: outer?.size ?? null, span: this.spanFrom(specs.start) });
    } while (this.eat(","));
    this.close(")", open);
    return params;
  }

  /** A type name as in a cast or `sizeof`: specifiers, then `*`s and array dimensions. */
  private typeName(): TypeExpr {
    const specs = this.specifiers("a type");
    if (specs.isTypedef) this.fail("KC110", this.spanFrom(specs.start), "typedef is not allowed here");
    const d = this.declarator(specs.type, true, "", true);
    if (d.name !== "")
      this.fail("KC110", d.nameSpan, `a type name has no variable name, but found '${d.name}'`);
    return this.applyDims(d, null);
  }

  // ------------------------------------------------------------ initializers

  /** `= expr` or a brace list with `.field =` / `[index] =` designators, nested. */
  private initializer(): Init {
    if (!this.is("{")) {
      const expr = this.assign();
      return { kind: "expr", expr, span: expr.span };
    }
    const open = this.next();
    this.enter();
    const items: InitItem[] = [];
    while (!this.is("}")) {
      const start = this.peek().span.start;
      const designators: InitItem["designators"] = [];
      while (this.is(".") || this.is("[")) {
        const d = this.next();
        if (d.text === ".") {
          const name = this.ident("a field name after '.' in the initializer");
          designators.push({ kind: "field", name: name.text, span: this.spanFrom(d.span.start) });
        } else {
          const index = this.cond();
          this.close("]", d);
          designators.push({ kind: "index", index, span: this.spanFrom(d.span.start) });
        }
      }
      if (designators.length > 0) this.expect("=", "after the designator");
      const value = this.initializer();
      items.push({ designators, value, span: this.spanFrom(start) });
      if (!this.eat(",")) {
        if (!this.is("}")) this.unexpected("KC110", "',' or '}' after the initializer");
        break;
      }
    }
    this.close("}", open);
    this.leave();
    return { kind: "list", items, span: this.spanFrom(open.span.start) };
  }

  // ------------------------------------------------------------ statements

  /** `{ statements }`; `what` names the block in the message when the `{` is missing. */
  private block(what: string): Stmt {
    if (!this.is("{")) this.unexpected("KC110", `'{' to begin ${what}`);
    return this.statement();
  }

  private statement(): Stmt {
    this.enter();
    const s = this.statementInner();
    this.leave();
    return s;
  }

  private statementInner(): Stmt {
    const t = this.peek();
    const start = t.span.start;
    if ((t.kind === "ident" && this.is(":", 1)) || this.is("case") || this.is("default"))
      return this.labeled();
    if (t.kind === "include") this.unexpected("KC113", "a statement");
    if (t.kind === "punct") {
      if (t.text === "{") {
        this.next();
        const body: Stmt[] = [];
        while (!this.is("}") && this.peek().kind !== "eof") body.push(this.statement());
        this.close("}", t);
        return { kind: "block", body, span: this.spanFrom(start) };
      }
      if (t.text === ";") {
        this.next();
        return { kind: "empty", span: t.span };
      }
    }
    if (t.kind === "keyword") {
      switch (t.text) {
        case "if":
          return this.ifChain();
        case "else":
          return this.fail("KC110", t.span, "'else' without a matching 'if'");
        case "while": {
          this.next();
          const test = this.condition("while");
          const body = this.statement();
          return { kind: "while", test, body, span: this.spanFrom(start) };
        }
        case "do": {
          this.next();
          const body = this.statement();
          this.expect("while", "after the body of 'do'");
          const test = this.condition("while");
          this.expect(";", "after 'do ... while (...)'");
          return { kind: "doWhile", body, test, span: this.spanFrom(start) };
        }
        case "for":
          return this.forStmt();
        case "switch": {
          this.next();
          const test = this.condition("switch");
          const body = this.statement();
          return { kind: "switch", test, body, span: this.spanFrom(start) };
        }
        case "break":
        case "continue":
          this.next();
          this.expect(";", `after '${t.text}'`);
          return { kind: t.text === "break" ? "break" : "continue", span: this.spanFrom(start) };
        case "return": {
          this.next();
          const value = this.is(";") ? null : this.expr();
          this.expect(";", value ? "after the return value" : "after 'return'");
          return { kind: "return", value, span: this.spanFrom(start) };
        }
        case "goto": {
          this.next();
          const label = this.ident("a label name after 'goto'");
          this.expect(";", `after 'goto ${label.text}'`);
          return { kind: "goto", label: label.text, span: this.spanFrom(start) };
        }
        case "atomic": {
          this.next();
          const body = this.statement();
          return { kind: "atomic", body, span: this.spanFrom(start) };
        }
        case "assert":
        case "assume":
        case "await":
          return this.checkStmt(t);
        case "typedef":
          return this.fail("KC110", t.span, "typedef is only allowed at the top level in KC");
      }
    }
    if (this.isDeclStart()) return this.localDecl();
    const expr = this.expr();
    this.expect(";", "after expression");
    return { kind: "expr", expr, span: this.spanFrom(start) };
  }

  /** `(expr)` after `if`, `while`, `switch`. */
  private condition(keyword: string): Expr {
    const open = this.expect("(", `after '${keyword}'`);
    const test = this.expr();
    this.close(")", open);
    return test;
  }

  /**
   * A run of labels (`name:`, `case e:`, `default:`) and the statement they label. The run is
   * read in a loop so that `case 1: case 2: ... case 300:` does not nest the recursion.
   */
  private labeled(): Stmt {
    const labels: Label[] = [];
    let text = "";
    for (;;) {
      const t = this.peek();
      if (t.kind === "ident" && this.is(":", 1)) {
        this.next();
        this.next();
        labels.push({ kind: "label", name: t.text, start: t.span.start });
        text = `${t.text}:`;
      } else if (this.is("case")) {
        this.next();
        const value = this.cond();
        if (this.is("..."))
          this.fail("KC110", this.peek().span, "case ranges ('...') are not supported in KC");
        this.expect(":", "after the case value");
        labels.push({ kind: "case", value, start: t.span.start });
        text = "case ...:";
      } else if (this.is("default")) {
        this.next();
        this.expect(":", "after 'default'");
        labels.push({ kind: "case", value: null, start: t.span.start });
        text = "default:";
      } else break;
    }
    if (this.is("}") || this.peek().kind === "eof") this.unexpected("KC110", `a statement after '${text}'`);
    let body = this.statement();
    const end = body.span.end;
    for (let i = labels.length - 1; i >= 0; i--) {
      const l = labels[i] as Label;
      const span = { file: this.file, start: l.start, end };
      body =
        l.kind === "label"
          ? { kind: "labeled", label: l.name, body, span }
          : { kind: "case", value: l.value, body, span };
    }
    return body;
  }

  /** `if` with its `else if` chain, read in a loop; `else` binds to the nearest `if`. */
  private ifChain(): Stmt {
    const chain: Array<{ start: number; test: Expr; then: Stmt }> = [];
    let otherwise: Stmt | null = null;
    for (;;) {
      const start = this.next().span.start;
      const test = this.condition("if");
      const then = this.statement();
      chain.push({ start, test, then });
      if (!this.eat("else")) break;
      if (!this.is("if")) {
        otherwise = this.statement();
        break;
      }
    }
    const end = this.lastEnd;
    let result = otherwise;
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i] as (typeof chain)[number];
      result = {
        kind: "if",
        test: c.test,
        // biome-ignore lint/suspicious/noThenProperty: ast.ts names the branch of an `if` node "then".
        then: c.then,
        else: result,
        span: { file: this.file, start: c.start, end },
      };
    }
    return result as Stmt;
  }

  private forStmt(): Stmt {
    const start = this.next().span.start;
    const open = this.expect("(", "after 'for'");
    let init: Stmt | null = null;
    if (!this.eat(";")) {
      if (this.isDeclStart()) {
        init = this.localDecl();
      } else {
        const initStart = this.peek().span.start;
        const expr = this.expr();
        this.expect(";", "after the initialization of 'for'");
        init = { kind: "expr", expr, span: this.spanFrom(initStart) };
      }
    }
    const test = this.is(";") ? null : this.expr();
    this.expect(";", "after the condition of 'for'");
    const update = this.is(")") ? null : this.expr();
    this.close(")", open);
    const body = this.statement();
    return { kind: "for", init, test, update, body, span: this.spanFrom(start) };
  }

  /** `assert(e);`, `assert(e, "message");`, `assume(e);`, `await(e);`. */
  private checkStmt(kw: Token): Stmt {
    this.next();
    const open = this.expect("(", `after '${kw.text}'`);
    const test = this.assign();
    let message: string | null = null;
    if (kw.text === "assert" && this.eat(",")) {
      if (this.peek().kind !== "string") this.unexpected("KC110", "a message string after ',' in 'assert'");
      message = this.strings().value;
    }
    this.close(")", open);
    this.expect(";", `after '${kw.text}(...)'`);
    const span = this.spanFrom(kw.span.start);
    if (kw.text === "assert") return { kind: "assert", test, message, span };
    return { kind: kw.text === "assume" ? "assume" : "await", test, span };
  }

  /** A local declaration statement, `;` included; `static` locals are marked. */
  private localDecl(): Stmt {
    const specs = this.specifiers("a type");
    const start = specs.start;
    if (specs.isTypedef)
      this.fail("KC110", this.spanFrom(start), "typedef is only allowed at the top level in KC");
    if (this.eat(";")) {
      // A struct or enum defined here was hoisted to the top level: nothing is left to run.
      if (specs.defined || specs.type.kind === "struct") return { kind: "empty", span: this.spanFrom(start) };
      this.fail("KC110", this.spanFrom(start), "this declaration declares nothing");
    }
    const decls: VarDecl[] = [];
    for (let first = true; ; first = false) {
      const d = this.declarator(specs.type, first, "in the declaration", false);
      if (d.params) this.fail("KC110", d.nameSpan, "functions cannot be declared inside a function in KC");
      const init = this.eat("=") ? this.initializer() : null;
      const type = this.applyDims(d, init);
      decls.push({
        name: d.name,
        type,
        init,
        isStatic: specs.isStatic,
        span: this.spanFrom(first ? start : d.start),
      });
      if (!this.eat(",")) break;
    }
    this.expect(";", "after declaration");
    return { kind: "decl", decls, span: this.spanFrom(start) };
  }

  // ------------------------------------------------------------ expressions

  /** A full expression, comma operator included. */
  private expr(): Expr {
    // Spans start at the first token, which is before `left.span` when `left` is parenthesized.
    const start = this.peek().span.start;
    let left = this.assign();
    while (this.eat(",")) {
      const right = this.assign();
      left = { kind: "comma", left, right, span: this.spanFrom(start) };
    }
    return left;
  }

  /** Assignment (right associative) and everything tighter. */
  private assign(): Expr {
    this.enter();
    const start = this.peek().span.start;
    let result = this.cond();
    const t = this.peek();
    if (t.kind === "punct" && ASSIGN_OPS.has(t.text)) {
      this.next();
      const value = this.assign();
      result = {
        kind: "assign",
        op: t.text as AssignOp,
        target: result,
        value,
        span: this.spanFrom(start),
      };
    }
    this.leave();
    return result;
  }

  /** `test ? then : else`, where `then` is a full expression and `else` another conditional. */
  private cond(): Expr {
    const start = this.peek().span.start;
    const test = this.binary(1);
    if (!this.is("?")) return test;
    this.next();
    this.enter();
    const then = this.expr();
    this.expect(":", "after the middle of '?:'");
    const otherwise = this.cond();
    this.leave();
    return { kind: "cond", test, then, else: otherwise, span: this.spanFrom(start) };
  }

  /** Binary operators binding at least as tight as `minPrec`, by precedence climbing (left associative). */
  private binary(minPrec: number): Expr {
    const start = this.peek().span.start;
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "punct" ? BINARY_PREC[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.binary(prec + 1);
      left = { kind: "binary", op: t.text as BinaryOp, left, right, span: this.spanFrom(start) };
    }
  }

  /** Prefix operators, `sizeof` and casts, then postfix expressions. */
  private unary(): Expr {
    const t = this.peek();
    const start = t.span.start;
    if (t.kind === "punct" && (t.text === "++" || t.text === "--" || UNARY_OPS.has(t.text))) {
      this.next();
      this.enter();
      const operand = this.unary();
      this.leave();
      const span = this.spanFrom(start);
      if (t.text === "++" || t.text === "--")
        return { kind: "incdec", op: t.text, prefix: true, operand, span };
      return { kind: "unary", op: t.text as UnaryOp, operand, span };
    }
    if (this.is("sizeof")) {
      this.next();
      this.enter();
      let of: TypeExpr | Expr;
      if (this.is("(") && this.isTypeStart(this.peek(1))) {
        const open = this.next();
        of = this.typeName();
        this.close(")", open);
      } else {
        of = this.unary();
      }
      this.leave();
      return { kind: "sizeof", of, span: this.spanFrom(start) };
    }
    if (this.is("(") && this.isTypeStart(this.peek(1))) {
      const open = this.next();
      this.enter();
      const to = this.typeName();
      this.close(")", open);
      const operand = this.unary();
      this.leave();
      return { kind: "cast", to, operand, span: this.spanFrom(start) };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    const start = this.peek().span.start;
    let e = this.primary();
    for (;;) {
      const t = this.peek();
      if (
        t.kind === "ident" &&
        this.inProperty &&
        (t.text === "at" || t.text === "in" || t.text === "exited")
      ) {
        this.next();
        const op = t.text;
        const name =
          op === "exited" ? t : this.ident(`a ${op === "at" ? "label" : "function"} name after '${op}'`);
        e = {
          kind: "where",
          process: e,
          op,
          name: name.text,
          nameSpan: name.span,
          span: this.spanFrom(start),
        };
        continue;
      }
      if (t.kind !== "punct") return e;
      if (t.text === "[") {
        this.next();
        const index = this.expr();
        this.close("]", t);
        e = { kind: "index", base: e, index, span: this.spanFrom(start) };
      } else if (t.text === "(") {
        // A call through a pointer (`p->op(x)`, `(*fn)(x)`) keeps its callee expression.
        if (e.kind === "name") e = this.call(e.name, e.span, start);
        else {
          const c = this.call("", e.span, start);
          if (c.kind === "call") c.fn = e;
          e = c;
        }
      } else if (t.text === "." || t.text === "->") {
        this.next();
        const field = this.ident(`a field name after '${t.text}'`);
        e = {
          kind: "member",
          base: e,
          field: field.text,
          arrow: t.text === "->",
          span: this.spanFrom(start),
        };
      } else if (t.text === "++" || t.text === "--") {
        this.next();
        e = { kind: "incdec", op: t.text, prefix: false, operand: e, span: this.spanFrom(start) };
      } else {
        return e;
      }
    }
  }

  private call(callee: string, calleeSpan: Span, start: number): Expr {
    const open = this.next();
    const args: Expr[] = [];
    // The kernel's offsetof and container_of take a type among their arguments.
    const typeAt = callee === "offsetof" ? 0 : callee === "container_of" || callee === "list_entry" ? 1 : -1;
    let typeArg: TypeExpr | undefined;
    if (!this.is(")")) {
      do {
        if (args.length === typeAt && typeArg === undefined && this.isTypeStart(this.peek()))
          typeArg = this.typeName();
        else args.push(this.assign());
      } while (this.eat(","));
    }
    if (!this.is(")"))
      this.unexpected(
        "KC110",
        callee === "" ? "',' or ')' in the arguments" : `',' or ')' in the arguments of '${callee}'`,
      );
    this.close(")", open);
    const span = this.spanFrom(start);
    return typeArg
      ? { kind: "call", callee, calleeSpan, args, typeArg, span }
      : { kind: "call", callee, calleeSpan, args, span };
  }

  /** One or more adjacent string literals, joined as in C. */
  private strings(): { value: string; multibyte: boolean; span: Span } {
    const start = this.peek().span.start;
    let value = "";
    let multibyte = false;
    for (let t = this.peek(); t.kind === "string"; t = this.peek()) {
      value += t.value;
      // Escapes are ASCII in the source: a character above it was written as itself.
      multibyte ||= /\P{ASCII}/u.test(t.text);
      this.next();
    }
    return { value, multibyte, span: this.spanFrom(start) };
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case "int":
        this.next();
        return t.unsigned
          ? { kind: "int", value: t.value, span: t.span, unsigned: true }
          : { kind: "int", value: t.value, span: t.span };
      case "string":
        return { kind: "string", ...this.strings() };
      case "ident":
        if (
          this.inProperty &&
          (t.text === "forall" || t.text === "exists") &&
          this.isIdent(1) &&
          this.peek(2).text === ":"
        ) {
          this.next();
          const name = this.next().text;
          this.next();
          this.enter();
          const body = this.assign();
          this.leave();
          return { kind: "quantifier", q: t.text, name, body, span: this.spanFrom(t.span.start) };
        }
        this.next();
        return { kind: "name", name: t.text, span: t.span };
      case "keyword":
        if (t.text === "true" || t.text === "false") {
          this.next();
          return { kind: "bool", value: t.text === "true", span: t.span };
        }
        if (t.text === "NULL") {
          this.next();
          return { kind: "null", span: t.span };
        }
        break;
      case "punct":
        if (t.text === "(" && this.is("{", 1)) return this.statementExpression();
        if (t.text === "(") {
          this.next();
          const e = this.expr();
          this.close(")", t);
          return e;
        }
        break;
    }
    return this.unexpected("KC111", "an expression");
  }

  /** GNU `({ statements })`, the form of the kernel's wait_event_interruptible. */
  private statementExpression(): Expr {
    const open = this.next();
    this.enter();
    const block = this.statement() as Extract<Stmt, { kind: "block" }>;
    this.leave();
    this.close(")", open);
    return { kind: "stmtExpr", body: block.body, span: this.spanFrom(open.span.start) };
  }
}
