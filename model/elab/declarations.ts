// Declarations: types, structs, enums, constants, globals and their initializers, function signatures.
import type { Decl, Expr, Init, InitItem, Span, TypeExpr, VarDecl } from "../ast";
import {
  commonType,
  convertValue,
  fitsType,
  irOperator,
  isArithmetic,
  isByteType,
  isUnsigned32,
  NAMED_TYPES,
  promote,
  valueOfWord,
  WIDE_TYPEDEFS,
} from "../ctypes";
import { MAX_NESTING, nestingMessage } from "../nesting";
import {
  BOOL,
  cLayout,
  fieldNames,
  findField,
  INT,
  isIntegral,
  isScalar,
  isWordInt,
  type StructInfo,
  showType,
  sizeOf,
  type Type,
  typeEquals,
  UINT,
} from "../types";
import { unionClash } from "../unions";
import { ElabContext, ERR, type FnSig, type Sym, type UnitCtx } from "./context";
import { foldBin, isTypeExpr, NOSPAN } from "./util";

export abstract class Declarations extends ElabContext {
  // ------------------------------------------------------------ declarations

  protected declare(d: Decl): void {
    switch (d.kind) {
      case "const":
        this.declareConst(d);
        return;
      case "struct":
        this.declareStruct(d.name, d.fields, d.span, d.union === true);
        return;
      case "enum":
        this.declareEnum(d.members, d.name);
        return;
      case "typedef": {
        // C11 6.7p3: a typedef may be declared again as the same type (`typedef unsigned int
        // u32;` in a pasted header, beside the prelude's).
        const t = this.resolveType(d.type);
        const was = this.typedefs.get(d.name);
        if (was && !typeEquals(was, t))
          this.error(
            "KC202",
            d.span,
            `typedef '${d.name}' is already defined${was === ERR ? "" : ` as ${showType(was)}`}`,
          );
        if (!was) this.typedefs.set(d.name, t);
        return;
      }
      case "var":
        this.declareGlobalVar(d.decl);
        return;
      case "function":
        this.declareFunction(d);
        return;
      case "pool":
        this.declarePool(d);
        return;
      case "process":
      case "interrupt":
      case "init":
      case "property":
      case "expect":
      case "include":
        return;
    }
  }

  /**
   * `const N = 3;` or `const unsigned M = 4096;`: the constant has its declared type, or its
   * initialiser's (promoted, so int or unsigned int), and holds its value converted to that type
   * as C converts. A `-D` value replaces the initialiser: a 32-bit word for an int or unsigned
   * const, a value in range for a narrower or ranged one.
   */
  protected declareConst(d: Extract<Decl, { kind: "const" }>): void {
    const o = this.overrides.get(d.name);
    const c = this.constTypedExpr(d.value);
    const declared = d.type ? this.resolveType(d.type) : null;
    const t = declared && isIntegral(declared) ? declared : promote(c.t);
    let value = valueOfWord(c.v, c.t);
    if (o) {
      o.used = true;
      // A -D value is a 32-bit word (the CLI reads 0xffffffff as -1): an int or unsigned int
      // const takes it as C converts it; a narrower or ranged one must hold it as it is.
      value = isWordInt(t) ? valueOfWord(o.value | 0, t) : o.value;
      if (!fitsType(value, t))
        this.error("KC408", d.value.span, `-D ${d.name}=${value} is not a value of ${showType(t)}`);
    } else if (t.k === "int" && t.lo !== null && !fitsType(value, t))
      this.error("KC408", d.value.span, `constant ${d.name} = ${value} is outside ${showType(t)}`);
    const word = convertValue(value, t);
    this.defineGlobal(d.name, { k: "const", value: word, type: t }, d.nameSpan);
    this.constants.set(d.name, word);
  }

  /** `pool T[COUNT];`: COUNT slots of [allocated flag, object words] in global memory. */
  protected declarePool(d: Extract<Decl, { kind: "pool" }>): void {
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 1) {
      this.error("KC312", d.span, `a pool needs a complete type, not ${showType(t)}`);
      return;
    }
    const count = this.constExpr(d.count);
    if (count < 1) {
      this.error("KC403", d.count.span, `a pool needs at least one object, not ${count}`);
      return;
    }
    if (this.pools.some((q) => typeEquals(q.type, t))) {
      this.error("KC202", d.span, `there is already a pool of ${showType(t)}`);
      return;
    }
    if (!this.roomFor(count * (size + 1) + this.redzone(), d.span, `pool ${showType(t)}[${count}]`)) return;
    const base = this.globalInit.length;
    const label = t.k === "struct" ? t.name : showType(t);
    for (let i = 0; i < count; i++) {
      const slot = base + i * (size + 1);
      this.globals.push({ name: `pool<${label}>[${i}].allocated`, type: BOOL, offset: slot });
      this.globals.push({ name: `pool<${label}>[${i}]`, type: t, offset: slot + 1 });
    }
    for (let i = 0; i < count * (size + 1) + this.redzone(); i++) this.globalInit.push(0);
    this.pools.push({ typeName: showType(t), type: t, size, count, base });
  }

  protected defineGlobal(name: string, sym: Sym, span: Span): void {
    if (this.globalsScope.has(name) || this.fns.has(name)) {
      this.error("KC202", span, `'${name}' is already defined`);
      return;
    }
    this.globalsScope.set(name, sym);
  }

  /**
   * Declares struct or union `name` (`union`), defining it when `fields` is given. A union's
   * members all start at word 0, and must agree on the words they share (model/unions.ts).
   */
  protected declareStruct(
    name: string,
    fields: import("../ast").FieldDecl[] | null,
    span: Span,
    union: boolean,
  ): void {
    const info = this.structTag(name, union, span);
    if (!fields) return;
    const what = union ? "union" : "struct";
    if (info.size >= 0) {
      this.error("KC202", span, `${what} ${name} is already defined`);
      return;
    }
    const out: StructInfo["fields"] = [];
    let offset = 0;
    let size = 0;
    const names = new Set<string>();
    const spans: Span[] = [];
    for (const f of fields) {
      const t = this.resolveType(f.type);
      const reached = f.name !== "" ? [f.name] : t.k === "struct" ? fieldNames(this.structs, t.name) : [];
      for (const n of reached) {
        if (names.has(n)) this.error("KC202", f.span, `${what} ${name} has two fields named '${n}'`);
        names.add(n);
      }
      const fsize = sizeOf(t, this.structs);
      if (fsize < 0) {
        this.error("KC312", f.span, `field '${f.name}' has incomplete type ${showType(t)}`);
        continue;
      }
      if (t.k === "void") this.error("KC312", f.span, `field '${f.name}' cannot be void`);
      out.push({ name: f.name, type: t, offset: union ? 0 : offset });
      spans.push(f.span);
      offset += fsize;
      size = Math.max(size, fsize);
    }
    info.fields = out;
    info.size = union ? size : offset;
    if (union) {
      const clash = unionClash(info, this.structs, this.cLayouts);
      if (clash) this.error("KC313", spans[clash.member] ?? span, clash.message);
    }
    const depth = 1 + Math.max(0, ...out.map((f) => this.typeDepth(f.type)));
    if (depth > MAX_NESTING)
      this.error("KC114", span, `${nestingMessage()} of structs, arrays and pointers in ${what} ${name}`);
    this.structDepth.set(name, Math.min(depth, MAX_NESTING));
  }

  /**
   * The table entry of tag `name`, made at its first mention. C gives struct and union tags one
   * namespace: `union X` after `struct X` names no type (KC202).
   */
  protected structTag(name: string, union: boolean, span: Span): StructInfo {
    let info = this.structs.get(name);
    if (!info) {
      info = { name, fields: [], size: -1, ...(union && { union: true as const }) };
      this.structs.set(name, info);
    } else if ((info.union === true) !== union)
      this.error(
        "KC202",
        span,
        `'${name}' is a ${info.union ? "union" : "struct"} tag, named here as a ${union ? "union" : "struct"}`,
      );
    return info;
  }

  /** Whether each enum type (by tag) is unsigned int: no enumerator is negative. */
  private readonly enumUnsigned = new Map<string, boolean>();

  /** Declares the enumerators; returns whether the enum type is unsigned (none is negative). */
  protected declareEnum(members: import("../ast").EnumMember[], tag: string | null): boolean {
    let nonNegative = true;
    let next = 0;
    let after: string | null = null;
    for (const m of members) {
      // C: an enumerator without a value is the previous one plus one, which must fit in int.
      if (!m.value && after !== null && next === -(2 ** 31))
        this.error(
          "KC408",
          m.span,
          `enumerator '${m.name}' would be ${after} + 1, which does not fit in int`,
        );
      let v = m.value ? this.constExpr(m.value) : next;
      if (!fitsType(v, INT)) {
        this.error("KC408", m.span, `enumerator '${m.name}' = ${v} does not fit in int`);
        v |= 0;
      }
      this.defineGlobal(m.name, { k: "const", value: v, type: INT }, m.span);
      this.constants.set(m.name, v);
      if (v < 0) nonNegative = false;
      next = (v + 1) | 0;
      after = m.name;
    }
    if (tag !== null) this.enumUnsigned.set(tag, nonNegative);
    return nonNegative;
  }

  /**
   * The type a type expression names. Each is resolved once: a type may be met again (a cast
   * is typed, then folded), and an array size inside it holding another such type made the
   * work double at every level.
   */
  protected resolveType(t: TypeExpr): Type {
    let r = this.resolved.get(t);
    if (!r) {
      r = this.resolveTypeOnce(t);
      this.resolved.set(t, r);
    }
    return r;
  }

  protected resolveTypeOnce(t: TypeExpr): Type {
    switch (t.kind) {
      case "named":
        return NAMED_TYPES[t.name];
      case "range": {
        const lo = this.constExpr(t.lo);
        const hi = this.constExpr(t.hi);
        // A ranged int is an int: bounds outside it (an unsigned constant above INT_MAX) would
        // make a range no int word can hold.
        for (const [v, e] of [
          [lo, t.lo],
          [hi, t.hi],
        ] as const)
          if (!fitsType(v, INT)) {
            this.error("KC408", e.span, `the bound ${v} of a ranged int does not fit in int`);
            return ERR;
          }
        if (lo > hi) this.error("KC403", t.span, `empty range int<${lo}..${hi}>`);
        return { k: "int", lo, hi };
      }
      case "struct":
        if (t.fields) this.declareStruct(t.name, t.fields, t.span, t.union === true);
        else this.structTag(t.name, t.union === true, t.span);
        return { k: "struct", name: t.name, ...(t.union && { union: true as const }) };
      case "enum": {
        // gcc's i386 ABI: an enum type with no negative enumerator is unsigned int, else int
        // (its enumerators, the constants, are int either way: C11 6.7.2.2).
        const unsigned = t.members
          ? this.declareEnum(t.members, t.name)
          : this.enumUnsigned.get(t.name ?? "");
        return unsigned === true ? UINT : INT;
      }
      case "typedef": {
        const r = this.typedefs.get(t.name);
        if (!r && WIDE_TYPEDEFS.includes(t.name)) {
          this.error("KC313", t.span, `'${t.name}' is a 64-bit type, and KC has no 64-bit integers`);
          return ERR;
        }
        if (!r) {
          this.error("KC112", t.span, `unknown type name '${t.name}'`);
          return ERR;
        }
        return r;
      }
      case "pointer":
        return this.bounded({ k: "ptr", to: this.resolveType(t.to) }, t.span);
      case "array": {
        const n = this.constExpr(t.size);
        if (n <= 0) this.error("KC403", t.size.span, `array size must be positive, not ${n}`);
        return this.bounded({ k: "array", of: this.resolveType(t.of), n: Math.max(1, n) }, t.span);
      }
      case "function": {
        const returns = this.resolveType(t.returns);
        const params = t.params.map((p) => this.resolveType(p.type));
        // C drops an array parameter's first size but still checks it (checkDecayedSizes).
        for (const p of t.params) if (p.decayedSize) this.speculate(() => this.rvalue(p.decayedSize as Expr));
        if (
          params.some((p) => sizeOf(p, this.structs) !== 1) ||
          (returns.k !== "void" && sizeOf(returns, this.structs) !== 1)
        )
          this.error(
            "KC312",
            t.span,
            "a function pointer's parameters and result must be scalars or pointers: KC passes and returns a struct by value only in a direct call",
          );
        return this.bounded({ k: "fn", returns, params }, t.span);
      }
      case "typeof":
        // As sizeof sees it: an array stays an array, and the expression is not run.
        return this.sizeofType(t.of);
    }
  }

  /**
   * A type no deeper than MAX_NESTING, or KC114. Typedefs (`typedef T1 *T2;` ...) and structs
   * holding structs build deep types from shallow declarations, and printing, comparing and
   * laying out types recurse once per level.
   */
  protected bounded(t: Type, span: Span): Type {
    if (this.typeDepth(t) <= MAX_NESTING) return t;
    this.error("KC114", span, `${nestingMessage()} of pointers, arrays and structs in one type`);
    return ERR;
  }

  /** Levels of a type: one per pointer and array, and a struct's deepest field below it. */
  protected typeDepth(t: Type): number {
    if (t.k === "struct") return this.structDepth.get(t.name) ?? 1;
    if (t.k !== "ptr" && t.k !== "array" && t.k !== "fn") return 1;
    let d = this.typeDepths.get(t);
    if (d === undefined) {
      // A pointer does not hold its struct: walks over a pointer's type print only its name.
      // A fold, not Math.max(...): a hostile parameter list may be longer than a call's arguments.
      if (t.k === "fn")
        d = 1 + t.params.reduce((m, p) => Math.max(m, this.typeDepth(p)), this.typeDepth(t.returns));
      else d = 1 + (t.k === "array" ? this.typeDepth(t.of) : t.to.k === "struct" ? 1 : this.typeDepth(t.to));
      this.typeDepths.set(t, d);
    }
    return d;
  }

  /**
   * Evaluates a constant expression (consts, enum members, literals, sizeof, operators). The
   * expression is first checked as any other, so that an unknown name in it (also in an arm
   * that folding skips) is reported as such, not as a mere "not a constant".
   */
  protected constExpr(e: Expr): number {
    const c = this.constTypedExpr(e);
    return valueOfWord(c.v, c.t);
  }

  /** A constant's exact value, or KC408 when it does not fit in int (then wrapped, to go on). */
  protected exact(v: number, span: Span): number {
    if (v >= -(2 ** 31) && v < 2 ** 31) return v;
    this.error(
      "KC408",
      span,
      `this constant expression overflows int (${v} does not fit); C makes that undefined`,
    );
    return v | 0;
  }

  /** A constant expression's C value (an unsigned int's from 0 to 2^32 - 1), or null. */
  protected tryConst(e: Expr): number | null {
    const c = this.constTyped(e);
    return c && valueOfWord(c.v, c.t);
  }

  /** Like constExpr, with the constant's type: its word (int32) and C type. */
  protected constTypedExpr(e: Expr): { v: number; t: Type } {
    const before = this.diags.items.length;
    this.speculate(() => this.rvalue(e));
    const c = this.constTyped(e);
    if (c === null) {
      if (this.diags.items.length === before) this.error("KC401", e.span, "not a constant expression");
      return { v: 0, t: INT };
    }
    return c;
  }

  /**
   * Evaluates a constant expression with C's types (model/ctypes.ts), as the same expression
   * computes at run time: the word it yields and its type, or null when it is not constant.
   */
  protected constTyped(e: Expr): { v: number; t: Type } | null {
    switch (e.kind) {
      case "int":
        return { v: e.value | 0, t: e.unsigned ? UINT : INT };
      case "bool":
        return { v: e.value ? 1 : 0, t: BOOL };
      case "null":
        return { v: 0, t: INT };
      case "name": {
        const s = this.lookup(e.name);
        return s && s.k === "const" ? { v: s.value, t: s.type } : null;
      }
      case "unary": {
        const c = this.constTyped(e.operand);
        if (c === null) return null;
        const t = promote(c.t);
        if (e.op === "!") return { v: +(c.v === 0), t: INT };
        if (e.op === "+") return { v: c.v, t };
        if (e.op === "~") return { v: ~c.v, t };
        // Unsigned negation wraps (C11 6.2.5p9); an int's overflows only at INT_MIN.
        if (e.op === "-") return { v: isUnsigned32(t) ? -c.v | 0 : this.exact(-c.v, e.span), t };
        return null;
      }
      case "binary":
        return this.constBinary(e);
      case "cond": {
        const c = this.constTyped(e.test);
        if (c === null) return null;
        const arm = this.constTyped(c.v ? e.then : e.else);
        if (arm === null) return null;
        const other = this.typeOfExpr(c.v ? e.else : e.then);
        return isIntegral(arm.t) && isIntegral(other) ? { v: arm.v, t: commonType(arm.t, other) } : arm;
      }
      case "sizeof":
        return { v: this.sizeofOf(e), t: UINT };
      case "cast": {
        const c = this.constTyped(e.operand);
        const to = this.resolveType(e.to);
        if (c === null) return null;
        // The same conversions as at run time: (char)200 is -56, (bool)7 is 1, (u8)-1 is 255.
        return { v: convertValue(c.v, to), t: to };
      }
      default:
        return null;
    }
  }

  /** A binary operator over constants, by C's conversions: see constTyped. */
  protected constBinary(e: Extract<Expr, { kind: "binary" }>): { v: number; t: Type } | null {
    const a = this.constTyped(e.left);
    const b = this.constTyped(e.right);
    if (a === null || b === null) return null;
    const op = e.op;
    if (op === "&&" || op === "||") return { v: foldBin(op, a.v, b.v) as number, t: INT };
    if (op === "<<" || op === ">>") {
      // C11 6.5.7: the type is the promoted left operand's; the count is the right's value.
      const n = valueOfWord(b.v, b.t);
      if (n < 0 || n > 31) {
        this.error("KC408", e.span, `shift count ${n} is outside 0..31: C makes that undefined`);
        return null;
      }
      const t = promote(a.t);
      return { v: foldBin(irOperator(op, t), a.v, b.v) as number, t };
    }
    const t = commonType(a.t, b.t);
    const rt = isArithmetic(op) ? t : INT;
    // Signed overflow in a constant expression is undefined in C (gcc: "overflow in constant
    // expression"): an error rather than a silently wrapped size or value. Unsigned wraps.
    if (!isUnsigned32(t)) {
      if (op === "+") return { v: this.exact(a.v + b.v, e.span), t };
      if (op === "-") return { v: this.exact(a.v - b.v, e.span), t };
      if (op === "*") return { v: this.exact(a.v * b.v, e.span), t };
    }
    const v = foldBin(irOperator(op, t), a.v, b.v);
    return v === null ? null : { v, t: rt };
  }

  /** The type `sizeof` (or kmalloc's size) names: a type as written, or an expression's type. */
  protected sizeofType(of: TypeExpr | Expr): Type {
    return isTypeExpr(of) ? this.resolveType(of) : this.typeOfExpr(of);
  }

  /** Words a dereferenced pointer's object spans (at least the word it points at). */
  protected pointeeSize(t: Type): number {
    return Math.max(1, sizeOf(t, this.structs));
  }

  /** C's `sizeof`, in bytes on i386 (see cLayout); KC312 for an incomplete type or void. */
  protected sizeofOf(e: Extract<Expr, { kind: "sizeof" }>): number {
    const t = this.sizeofType(e.of);
    const designator = e.of.kind === "name" && !this.lookup(e.of.name) && this.fns.has(e.of.name);
    if (t.k === "fn" || designator) {
      // C forbids it; gcc answers 1 (a GNU extension) where KC's pointer-sized word would say 4.
      this.error(
        "KC313",
        e.span,
        "sizeof a function: C has no size for it (gcc's extension says 1); take sizeof of a pointer to it",
      );
      return 0;
    }
    const l = cLayout(t, this.structs, this.cLayouts);
    if (l && l.size > 0x7fffffff) {
      this.error("KC408", e.span, `sizeof ${showType(t)} is ${l.size} bytes, more than an int holds`);
      return 0;
    }
    if (l) return l.size;
    this.error("KC312", e.span, `sizeof needs a complete type, not ${showType(t)}`);
    return 0;
  }

  /** The type of an expression without running it (for sizeof); its errors are reported. */
  protected typeOfExpr(e: Expr): Type {
    return this.speculate(() => this.rvalueNoDecay(e)).type;
  }

  /**
   * Checks and lowers with `f` for its type and its diagnostics only: the code it emits is
   * dropped. Outside a body (a global's size or initializer), `f` runs in a scratch unit.
   */
  protected speculate<T>(f: () => T): T {
    const outer = this.cur;
    // Locals it declares (a statement expression's, in sizeof) take no frame words either.
    const frame = outer
      ? { next: outer.next, locals: outer.unit.locals.length, scoped: outer.unit.scoped.length }
      : null;
    const globals = { words: this.globalInit.length, named: this.globals.length };
    const code = this.code.length;
    const boundary = this.pendingBoundary;
    const units = this.units.length;
    const callees = outer ? new Set(this.callees[units - 1]) : null;
    // The calls it lowers are lowered again for real: they stay ahead.
    const ahead = new Set(this.callsAhead);
    if (!outer) this.beginUnit("function", "<constant>", NOSPAN, null);
    // Names it declares (wait_event's hidden locals) vanish with its code.
    (this.cur as UnitCtx).scopes.push(new Map());
    try {
      return f();
    } finally {
      (this.cur as UnitCtx).scopes.pop();
      this.code.length = code;
      this.info.length = code;
      this.pendingBoundary = boundary;
      this.callsAhead = ahead;
      this.units.length = units;
      this.callees.length = units;
      if (callees) this.callees[units - 1] = callees;
      this.cur = outer;
      if (outer && frame) {
        for (const w of outer.escapingWords) if (w >= frame.next) outer.escapingWords.delete(w);
        outer.next = frame.next;
        outer.unit.locals.length = frame.locals;
        outer.unit.scoped.length = frame.scoped;
      }
      // And its static locals no global words.
      this.globalInit.length = globals.words;
      this.globals.length = globals.named;
    }
  }

  protected declareGlobalVar(d: VarDecl): void {
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 0 || t.k === "void") {
      this.error("KC312", d.span, `variable '${d.name}' has incomplete type ${showType(t)}`);
      return;
    }
    if (!this.roomFor(size + this.redzone(), d.span, `variable '${d.name}'`)) {
      // Known by name all the same, so that its uses raise no errors of their own.
      this.defineGlobal(d.name, { k: "global", addr: 0, type: t }, d.span);
      return;
    }
    const addr = this.globalInit.length;
    for (let i = 0; i < size + this.redzone(); i++) this.globalInit.push(0);
    this.defineGlobal(d.name, { k: "global", addr, type: t }, d.span);
    this.globals.push({ name: d.name, type: t, offset: addr });
    if (d.init) this.constInit(addr, t, d.init, d.name);
    this.checkZeroInRange(addr, t, d.name, d.span);
  }

  /** A ranged int that is not explicitly initialised starts at 0, which must be in its range. */
  protected checkZeroInRange(addr: number, t: Type, name: string, span: Span): void {
    if (t.k === "int" && t.lo !== null && (t.lo > 0 || (t.hi as number) < 0)) {
      const v = this.globalInit[addr] as number;
      if (v < t.lo || v > (t.hi as number))
        this.error("KC408", span, `initial value ${v} of '${name}' is outside ${showType(t)}`);
    }
  }

  /** Writes a global initializer into the initial memory image. */
  protected constInit(addr: number, t: Type, init: Init, what: string): void {
    if (init.kind === "expr") {
      const e = init.expr;
      if (e.kind === "string" && t.k === "array" && isByteType(t.of)) {
        if (e.value.length > t.n)
          this.error("KC311", e.span, `string of ${e.value.length} bytes does not fit ${showType(t)}`);
        const chars = this.charsOf(e);
        for (let i = 0; i < Math.min(t.n, chars.length); i++)
          this.globalInit[addr + i] = convertValue(chars[i] as number, t.of);
        return;
      }
      if (!isScalar(t)) {
        this.error("KC311", e.span, `${what} of type ${showType(t)} needs a brace-enclosed initializer`);
        return;
      }
      // Checked as a local's initializer is: an int is no pointer, an int * no char *.
      const before = this.diags.items.length;
      this.speculate(() => this.convert(this.rvalue(e), t, e.span, "assignment"));
      if (this.diags.items.length > before) return;
      if (e.kind === "unary" && e.op === "&") {
        const a = this.constAddress(e.operand);
        if (a !== null) {
          this.globalInit[addr] = t.k === "bool" ? 1 : a;
          return;
        }
      }
      if (t.k === "ptr") {
        // A table of operations (`.read = pipe_read`), a global array decayed (`int *p = buf`),
        // an error pointer: a pointer whose value is known before the program runs.
        const f = this.speculate(() => this.rvalue(e));
        if (f.x.k === "const") {
          this.globalInit[addr] = f.x.v;
          return;
        }
      }
      const v = this.constExpr(e);
      if (t.k === "ptr" && v !== 0)
        this.error(
          "KC311",
          e.span,
          "a pointer can only be initialised with NULL, &global, a global array or a function",
        );
      if (t.k === "int" && t.lo !== null && (v < t.lo || v > (t.hi as number)))
        this.error("KC408", e.span, `initial value ${v} is outside ${showType(t)}`);
      // C's conversion to the variable's type, as a store does it: bool is 0 or 1, char wraps.
      this.globalInit[addr] = convertValue(v, t);
      return;
    }
    this.walkInitList(t, init, what, (off, ft, item) => this.constInit(addr + off, ft, item, what));
  }

  /** A string's characters as C stores them in a char array: signed bytes ("\xff" is -1). */
  protected charsOf(e: Extract<Expr, { kind: "string" }>): number[] {
    if (e.multibyte) {
      this.error(
        "KC311",
        e.span,
        'a char array cannot be initialised from non-ASCII text yet (C stores it as UTF-8 bytes): write the bytes as escapes, as in "\\xc3\\xa9"',
      );
      return [];
    }
    return Array.from(e.value, (c) => (c.charCodeAt(0) << 24) >> 24);
  }

  /** The address of a global lvalue expression (`&g`, `&g.f`, `&g[2]`), or null. */
  protected constAddress(e: Expr): number | null {
    if (e.kind === "name") {
      const s = this.lookup(e.name);
      return s && s.k === "global" ? s.addr : null;
    }
    if (e.kind === "member" && !e.arrow) {
      const base = this.constAddress(e.base);
      const t = this.typeOfExpr(e.base);
      if (base === null || t.k !== "struct") return null;
      const f = findField(this.structs, t.name, e.field);
      return f ? base + f.offset : null;
    }
    if (e.kind === "index") {
      const base = this.constAddress(e.base);
      const t = this.typeOfExpr(e.base);
      const i = this.tryConst(e.index);
      if (base === null || t.k !== "array" || i === null || i < 0 || i >= t.n) return null;
      return base + i * sizeOf(t.of, this.structs);
    }
    return null;
  }

  /**
   * Walks a brace initializer for an aggregate, calling `each` with the word offset, type and
   * initializer of every element it sets (designators and positional items as in C99); a braced
   * list for a struct or array element is walked here too, so `each` gets scalars, strings and
   * struct-valued expressions. `ctx` carries, through the whole initializer, the word offset of
   * the list being walked and the member each union there was initialised through.
   */
  protected walkInitList(
    t: Type,
    init: Init,
    what: string,
    each: (off: number, t: Type, init: Init) => void,
    ctx: { base: number; unions: Map<string, string> } = { base: 0, unions: new Map() },
  ): void {
    if (init.kind !== "list") {
      this.error("KC311", init.span, `${what} of type ${showType(t)} needs a brace-enclosed initializer`);
      return;
    }
    // One element: a braced list for an aggregate is walked on, anything else is the caller's.
    const element = (off: number, et: Type, value: Init): void => {
      if (value.kind === "list" && (et.k === "struct" || et.k === "array"))
        this.walkInitList(et, value, what, (o, ft, v) => each(off + o, ft, v), {
          base: ctx.base + off,
          unions: ctx.unions,
        });
      else each(off, et, value);
    };
    // Designators below the first: the element is walked as a list of that one item.
    const deeper = (off: number, et: Type, item: InitItem, ds: InitItem["designators"]) =>
      this.walkInitList(
        et,
        { kind: "list", items: [{ ...item, designators: ds }], span: item.span },
        what,
        (o, ft, v) => each(off + o, ft, v),
        {
          base: ctx.base + off,
          unions: ctx.unions,
        },
      );
    // C goes on after `.a.b = 1` with the member after b, inside a; KC does not follow it there.
    const positionalAfterNested = (item: { span: Span }): void =>
      this.error(
        "KC311",
        item.span,
        "a positional initializer after a designator into a member: C goes on inside that member, KC does not; designate this one too",
      );
    if (t.k === "struct") {
      const info = this.structs.get(t.name);
      const what2 = showType(t);
      if (!info || info.size < 0) {
        this.error("KC312", init.span, `${what2} is incomplete`);
        return;
      }
      let pos = 0;
      let nested = false;
      for (const item of init.items) {
        let field = info.fields[pos];
        let designators = item.designators.slice(1);
        const d = item.designators[0];
        if (!d && nested) {
          positionalAfterNested(item);
          break;
        }
        if (d) {
          if (d.kind !== "field") {
            this.error("KC311", d.span, `an index designator cannot initialise ${what2}`);
            continue;
          }
          // A field of an anonymous member (C11) is designated through that member.
          const i = info.fields.findIndex(
            (f) =>
              f.name === d.name ||
              (f.name === "" &&
                f.type.k === "struct" &&
                findField(this.structs, f.type.name, d.name) !== null),
          );
          if (i < 0) {
            this.error("KC204", d.span, `${what2} has no field '${d.name}'`);
            continue;
          }
          field = info.fields[i];
          if (field?.name === "") designators = item.designators;
          pos = i;
        } else if (info.union && item !== init.items[0]) {
          this.error("KC311", item.span, `a union takes one initializer: ${what2} has one already`);
          break;
        }
        if (!field) {
          this.error("KC311", item.span, `too many initializers for ${what2}`);
          break;
        }
        if (info.union) {
          // C initialises one member of a union; a second one replaces the first whole, which
          // KC's item-by-item stores would not do.
          const key = `${ctx.base}:${t.name}`;
          const member = field.name === "" ? `#${pos}` : field.name;
          const before = ctx.unions.get(key);
          if (before !== undefined && before !== member) {
            this.error(
              "KC311",
              item.span,
              `${what2} is initialised through two members: C keeps only the last, whole; initialise one`,
            );
            break;
          }
          ctx.unions.set(key, member);
        }
        if (designators.length > 0) deeper(field.offset, field.type, item, designators);
        else element(field.offset, field.type, item.value);
        nested = designators.length > 0;
        pos++;
      }
      return;
    }
    if (t.k === "array") {
      const es = sizeOf(t.of, this.structs);
      let pos = 0;
      let nested = false;
      for (const item of init.items) {
        const d = item.designators[0];
        if (!d && nested) {
          positionalAfterNested(item);
          break;
        }
        if (d) {
          if (d.kind !== "index") {
            this.error("KC311", d.span, `a field designator cannot initialise ${showType(t)}`);
            continue;
          }
          pos = this.constExpr(d.index);
        }
        if (pos < 0 || pos >= t.n) {
          this.error("KC311", item.span, `initializer index ${pos} is outside ${showType(t)}`);
          break;
        }
        const rest = item.designators.slice(1);
        if (rest.length > 0) deeper(pos * es, t.of, item, rest);
        else element(pos * es, t.of, item.value);
        nested = rest.length > 0;
        pos++;
      }
      return;
    }
    // A scalar in braces: `int x = { 3 };`
    const first = init.items[0];
    if (init.items.length === 1 && first && first.designators.length === 0) each(0, t, first.value);
    else this.error("KC311", init.span, `${what} of type ${showType(t)} takes a single value`);
  }

  protected declareFunction(d: Extract<Decl, { kind: "function" }>): void {
    const returns = this.resolveType(d.returns);
    // C has no array results (a struct result is copied word by word, model/elab/calls.ts).
    if (returns.k === "array")
      this.error("KC313", d.span, `'${d.name}' returns an array, which C does not allow: return a pointer`);
    if (returns.k === "struct" && sizeOf(returns, this.structs) < 1)
      this.error("KC312", d.span, `'${d.name}' returns incomplete ${showType(returns)}`);
    const params = d.params.map((p) => this.paramType(this.resolveType(p.type)));
    this.checkDecayedSizes(d, params);
    const existing = this.fns.get(d.name);
    if (existing) {
      const same =
        typeEquals(existing.returns, returns) &&
        existing.params.length === params.length &&
        existing.params.every((p, i) => typeEquals(p, params[i] as Type));
      if (!same) this.error("KC202", d.nameSpan, `'${d.name}' is declared again with a different signature`);
      else if (d.body && existing.decl?.body && this.replaceable(existing.decl, d)) {
        this.replaced.push({ name: d.name, prelude: existing.decl.nameSpan, spec: d.nameSpan });
        existing.decl = d;
      } else if (d.body && existing.decl?.body)
        this.error("KC202", d.nameSpan, `function '${d.name}' is already defined`);
      else if (d.body) existing.decl = d;
      return;
    }
    if (this.globalsScope.has(d.name)) {
      this.error("KC202", d.nameSpan, `'${d.name}' is already defined`);
      return;
    }
    const sig: FnSig = {
      index: this.fnList.length,
      name: d.name,
      params,
      paramNames: d.params.map((p) => p.name),
      returns,
      decl: d,
      unit: -1,
    };
    this.fns.set(d.name, sig);
    this.fnList.push(sig);
  }

  /**
   * A spec may define again, once, a function the kernel prelude defines (same signature), as the
   * kernel links a strong definition over a weak one; the replacement is listed, never silent.
   */
  private replaceable(
    old: Extract<Decl, { kind: "function" }>,
    d: Extract<Decl, { kind: "function" }>,
  ): boolean {
    // A prelude function by a library's or a spec's, a library function by a spec's: a layer
    // below is replaced from a layer above (the prelude's send_sig by the library's, which a
    // bug variant may replace again).
    const prelude = this.options.preludeFiles;
    const library = this.options.libraryFiles;
    const layer = (file: number): number => (prelude?.has(file) ? 0 : library?.has(file) ? 1 : 2);
    return layer(old.span.file) < layer(d.span.file);
  }

  /** The dropped first size of array parameters (`int a[n]`) is checked with the parameters in scope. */
  protected checkDecayedSizes(d: Extract<Decl, { kind: "function" }>, params: Type[]): void {
    if (d.params.every((p) => p.decayedSize === null)) return;
    this.speculate(() => {
      const scopes = (this.cur as UnitCtx).scopes;
      const scope = scopes[scopes.length - 1] as Map<string, Sym>;
      d.params.forEach((p, i) => {
        if (p.decayedSize) this.rvalue(p.decayedSize);
        scope.set(p.name, { k: "local", off: 0, type: params[i] as Type, escapes: false });
      });
    });
  }

  /** Array parameters decay to pointers, as in C. */
  protected paramType(t: Type): Type {
    return t.k === "array" ? { k: "ptr", to: t.of } : t;
  }

  protected lookup(name: string): Sym | undefined {
    if (this.cur) {
      for (let i = this.cur.scopes.length - 1; i >= 0; i--) {
        const s = this.cur.scopes[i]?.get(name);
        if (s) return s;
      }
    }
    return this.globalsScope.get(name);
  }
}
