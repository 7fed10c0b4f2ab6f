// The KC syntax tree: plain data, unions on `kind`, a source span on every node. No classes.

/** A region of one source file: byte offsets into the file's text (end exclusive). */
export interface Span {
  /** Index of the file in the `SourceSet` that was parsed. */
  file: number;
  start: number;
  end: number;
  /**
   * Set on what a macro expansion produced (model/preprocess.ts): `file`, `start` and `end` are
   * then the macro's use, and this names the macro and where it was defined.
   */
  expansion?: Expansion;
}

/** One macro expansion, for diagnostics: the macro, its definition, and the expansion it happened in. */
export interface Expansion {
  macro: string;
  /** The macro's name in its `#define`. */
  defined: Span;
  /** The expansion whose result this macro's use came from (a macro used in another's body); null at the outermost. */
  outer: Expansion | null;
}

// ---------------------------------------------------------------- types as written

export type TypeExpr =
  | { kind: "named"; name: NamedType; span: Span }
  /** `int<lo..hi>`: an int whose value must stay within [lo, hi]. */
  | { kind: "range"; lo: Expr; hi: Expr; span: Span }
  /**
   * `struct NAME`, or `struct NAME { fields }` when defined inline; `union` marks a union (C's
   * tags of both live in one namespace, as here).
   */
  | { kind: "struct"; name: string; fields: FieldDecl[] | null; union?: true; span: Span }
  /** `enum NAME`, or `enum NAME { A, B = 3 }` when defined inline. */
  | { kind: "enum"; name: string | null; members: EnumMember[] | null; span: Span }
  /** A typedef name (user typedefs, and built-ins such as `wait_queue_head_t`). */
  | { kind: "typedef"; name: string; span: Span }
  | { kind: "pointer"; to: TypeExpr; span: Span }
  /** `T name[size]`; size is a constant expression. */
  | { kind: "array"; of: TypeExpr; size: Expr; span: Span }
  /** A function type, only ever pointed to: `int (*op)(struct file *, int)`. */
  | { kind: "function"; returns: TypeExpr; params: Param[]; span: Span }
  /** GNU C's `typeof(x)` (`__typeof__`): the type of an expression (not evaluated), or of a type name. */
  | { kind: "typeof"; of: TypeExpr | Expr; span: Span };

export interface FieldDecl {
  /** "" for an anonymous struct or union member (C11): its fields are reached as the parent's. */
  name: string;
  type: TypeExpr;
  span: Span;
}

export interface EnumMember {
  name: string;
  value: Expr | null;
  span: Span;
}

// ---------------------------------------------------------------- expressions

/** The integer types C spells with keywords (`long` is int on i386), and bool and void. */
export type NamedType =
  | "int"
  | "unsigned int"
  | "short"
  | "unsigned short"
  | "signed char"
  | "unsigned char"
  | "bool"
  | "char"
  | "void";

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "<<"
  | ">>"
  | "&"
  | "|"
  | "^"
  | "<"
  | "<="
  | ">"
  | ">="
  | "=="
  | "!="
  | "&&"
  | "||";

export type AssignOp = "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "<<=" | ">>=" | "&=" | "|=" | "^=";

export type UnaryOp = "-" | "+" | "!" | "~" | "*" | "&";

export type Expr =
  /** An integer constant, 0 .. 2^32 - 1; `unsigned` when C types it unsigned int (`1u`, `0xffffffff`). */
  | { kind: "int"; value: number; span: Span; unsigned?: true }
  /** `true` / `false`. */
  | { kind: "bool"; value: boolean; span: Span }
  /**
   * A string literal: only as an assert message or a char-array initializer. `multibyte`: it
   * holds a character beyond ASCII written as itself, which C stores as several UTF-8 bytes.
   */
  | { kind: "string"; value: string; multibyte: boolean; span: Span }
  /** `NULL`. */
  | { kind: "null"; span: Span }
  /** Any identifier, including `self`, `current`, constants and enum members. */
  | { kind: "name"; name: string; span: Span }
  | { kind: "unary"; op: UnaryOp; operand: Expr; span: Span }
  /** `++x`, `--x` (prefix) and `x++`, `x--` (postfix). */
  | { kind: "incdec"; op: "++" | "--"; prefix: boolean; operand: Expr; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: "assign"; op: AssignOp; target: Expr; value: Expr; span: Span }
  | { kind: "cond"; test: Expr; then: Expr; else: Expr; span: Span }
  /**
   * `f(a, b)`; a call through any other expression (`p->op(x)`, `(*fn)(x)`) has that expression
   * as `fn` and an empty callee. A name may also be a function pointer variable.
   */
  | {
      kind: "call";
      callee: string;
      calleeSpan: Span;
      args: Expr[];
      fn?: Expr;
      /** The type argument of offsetof(T, m), container_of(p, T, m) and list_entry(p, T, m). */
      typeArg?: TypeExpr;
      span: Span;
    }
  | { kind: "index"; base: Expr; index: Expr; span: Span }
  /** `base.field` (arrow false) or `base->field` (arrow true). */
  | { kind: "member"; base: Expr; field: string; arrow: boolean; span: Span }
  | { kind: "sizeof"; of: TypeExpr | Expr; span: Span }
  | { kind: "cast"; to: TypeExpr; operand: Expr; span: Span }
  /** `e1, e2` (comma operator). */
  | { kind: "comma"; left: Expr; right: Expr; span: Span }
  /**
   * Properties only: `worker[1] at LABEL` (its next step starts at that label of its body),
   * `worker[1] in FUNCTION` (a call of it is on its stack), `worker[1] exited`.
   */
  | { kind: "where"; process: Expr; op: "at" | "in" | "exited"; name: string; nameSpan: Span; span: Span }
  /** Properties only: `forall i: e` / `exists i: e`, i over the instances of the processes it indexes. */
  | { kind: "quantifier"; q: "forall" | "exists"; name: string; body: Expr; span: Span }
  /**
   * GNU `({ stmt; ...; expr; })`: the statements run in a scope of their own; the value is the
   * last statement's, when that is an expression statement, else void.
   */
  | { kind: "stmtExpr"; body: Stmt[]; span: Span };

/** An initializer: an expression, or a brace list with optional `.field =` / `[i] =` designators. */
export type Init = { kind: "expr"; expr: Expr; span: Span } | { kind: "list"; items: InitItem[]; span: Span };

export interface InitItem {
  /** `.name` or `[index]` designators, outermost first; empty for a positional item. */
  designators: Array<
    { kind: "field"; name: string; span: Span } | { kind: "index"; index: Expr; span: Span }
  >;
  value: Init;
  span: Span;
}

// ---------------------------------------------------------------- statements

export interface VarDecl {
  name: string;
  type: TypeExpr;
  init: Init | null;
  /** `static` locals keep their value across calls: they are stored as globals. */
  isStatic: boolean;
  span: Span;
}

export type Stmt =
  | { kind: "block"; body: Stmt[]; span: Span }
  /** One or more declarators (`int a = 1, b;`), in order. */
  | { kind: "decl"; decls: VarDecl[]; span: Span }
  | { kind: "expr"; expr: Expr; span: Span }
  | { kind: "empty"; span: Span }
  | { kind: "if"; test: Expr; then: Stmt; else: Stmt | null; span: Span }
  | { kind: "while"; test: Expr; body: Stmt; span: Span }
  | { kind: "doWhile"; body: Stmt; test: Expr; span: Span }
  /** `for (init; test; update) body`; init is a declaration or an expression statement. */
  | { kind: "for"; init: Stmt | null; test: Expr | null; update: Expr | null; body: Stmt; span: Span }
  | { kind: "break"; span: Span }
  | { kind: "continue"; span: Span }
  | { kind: "return"; value: Expr | null; span: Span }
  | { kind: "goto"; label: string; span: Span }
  | { kind: "labeled"; label: string; body: Stmt; span: Span }
  | { kind: "switch"; test: Expr; body: Stmt; span: Span }
  /** `case e:` / `default:` labels inside a switch body (value null for default). */
  | { kind: "case"; value: Expr | null; body: Stmt; span: Span }
  | { kind: "atomic"; body: Stmt; span: Span }
  | { kind: "assert"; test: Expr; message: string | null; span: Span }
  | { kind: "assume"; test: Expr; span: Span }
  | { kind: "await"; test: Expr; span: Span };

// ---------------------------------------------------------------- top level

export interface Param {
  name: string;
  type: TypeExpr;
  /** The size in an array parameter's first dimension (`int a[N]`): C drops it, but still checks it. */
  decayedSize: Expr | null;
  span: Span;
}

export type PropertyKind = "invariant" | "final" | "reachable";

export type Decl =
  /** `const N = 3;` or `const int N = 3;` — overridable with `-D N=VALUE`. */
  | { kind: "const"; name: string; type: TypeExpr | null; value: Expr; span: Span; nameSpan: Span }
  | { kind: "var"; decl: VarDecl; span: Span }
  /**
   * `struct S { ... };` (a definition), or `struct S;` (a forward declaration, fields null);
   * `union` for `union S`.
   */
  | { kind: "struct"; name: string; fields: FieldDecl[] | null; union?: true; span: Span }
  | { kind: "enum"; name: string | null; members: EnumMember[]; span: Span }
  | { kind: "typedef"; name: string; type: TypeExpr; span: Span }
  /** A function definition (body) or prototype (body null). */
  | {
      kind: "function";
      name: string;
      returns: TypeExpr;
      params: Param[];
      body: Stmt | null;
      span: Span;
      nameSpan: Span;
    }
  /** `process NAME[COUNT] { body }`; count null means one instance. */
  | { kind: "process"; name: string; count: Expr | null; body: Stmt; span: Span; nameSpan: Span }
  /** `interrupt NAME { body }`: a handler that may fire whenever interrupts are enabled. */
  | { kind: "interrupt"; name: string; body: Stmt; span: Span; nameSpan: Span }
  /** `init { body }`: runs to completion, before any process starts, to build the initial state. */
  | { kind: "init"; body: Stmt; span: Span }
  | { kind: "property"; property: PropertyKind; name: string; expr: Expr; span: Span; nameSpan: Span }
  /** `expect holds;` or `expect violation NAME;`. */
  | { kind: "expect"; verdict: "holds" | "violation"; property: string | null; span: Span }
  /** `model uniprocessor;` or `model smp;`: the execution model (ir.ts ExecModel). */
  | { kind: "model"; model: import("./ir").ExecModel; span: Span }
  /** `pool struct T[COUNT];`: at most COUNT live objects of type T from kmalloc. */
  | { kind: "pool"; type: TypeExpr; count: Expr; span: Span }
  /** `#include "path"`: resolved and parsed by the loader, not the parser. */
  | { kind: "include"; path: string; span: Span };

/** One parsed file. */
export interface Program {
  file: number;
  decls: Decl[];
}
