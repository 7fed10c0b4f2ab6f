// Function pointers: a function's name (or &name) as a value, and calls through a pointer
// (`p->op(x)`, `(*p->op)(x)`, `fn(x)`), as tables of operations use them. A call through a
// pointer lowers to a switch over the functions that pointer can hold (those whose address the
// program takes, of the pointer's type), each a direct call: frames, stack bounds and traces
// then treat it as any call. The switch's value is checked first (the IR's "callee").
import type { Decl, Expr, Span } from "../ast";
import { fnPointer, type IExpr, MAX_FUNCTIONS } from "../ir";
import { showType, type Type, typeEquals, VOID } from "../types";
import { C0, ERR, type FnSig, type RValue } from "./context";
import { Pointers } from "./pointers";

type FnType = Extract<Type, { k: "fn" }>;

/** Most direct calls that calls through pointers may lower to, in a whole program. */
export const MAX_DISPATCH_CALLS = 20_000;

export abstract class FunctionPointers extends Pointers {
  /**
   * Functions whose name appears anywhere other than as a direct call's callee: only these can
   * be reached through a pointer. Found by name over the whole program before any body is
   * lowered, so a local that shadows a function only makes the set larger (never unsound).
   */
  private readonly addressTaken = new Set<string>();
  /** Direct calls emitted for calls through pointers so far (bounded: see indirectCall). */
  private dispatchCalls = 0;
  /** Functions used as values, and where: each must have a body somewhere in the program. */
  private readonly namedAsValue: Array<{ sig: FnSig; span: Span }> = [];

  /** A pointer to a function that is declared but never defined has nothing to call: KC205. */
  protected checkPointedFunctionsDefined(): void {
    for (const { sig, span } of this.namedAsValue)
      if (!sig.decl?.body) this.error("KC205", span, `function '${sig.name}' is declared but never defined`);
  }

  /** The function type of a signature. */
  protected fnTypeOf(sig: FnSig): FnType {
    return { k: "fn", returns: sig.returns, params: sig.params };
  }

  /** Notes every function named as a value in `decls` (with a worklist: bodies may be long). */
  protected noteAddressTaken(decls: Decl[]): void {
    const stack: unknown[] = [decls];
    while (stack.length > 0) {
      const x = stack.pop();
      if (Array.isArray(x)) {
        for (const y of x) stack.push(y);
        continue;
      }
      if (typeof x !== "object" || x === null) continue;
      const node = x as { kind?: unknown; name?: unknown };
      if (node.kind === "name" && typeof node.name === "string" && this.fns.has(node.name))
        this.addressTaken.add(node.name);
      for (const v of Object.values(x)) if (typeof v === "object" && v !== null) stack.push(v);
    }
    if (this.fnList.length > MAX_FUNCTIONS)
      this.error("KC410", null, `${this.fnList.length} functions; KC allows at most ${MAX_FUNCTIONS}`);
  }

  /** A function's name used as a value (`f` or `&f`): its pointer; null when no function has that name. */
  protected functionValue(name: string, span: Span): RValue | null {
    const sig = this.fns.get(name);
    if (!sig || this.lookup(name)) return null;
    // A global initializer may name a function defined further down, as in C: checked at the end.
    this.namedAsValue.push({ sig, span });
    return { x: { k: "const", v: fnPointer(sig.index) }, type: { k: "ptr", to: this.fnTypeOf(sig) } };
  }

  /** Whether a call `name(...)` goes through a variable (a function pointer) rather than to a function. */
  protected callsThroughVariable(name: string): boolean {
    const s = this.lookup(name);
    return s !== undefined && s.k !== "const";
  }

  /** `fn(args)` where fn is a pointer-valued expression. */
  protected indirectCall(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue {
    let target: Expr = e.fn ?? { kind: "name", name: e.callee, span: e.calleeSpan };
    // (*fn)(x) calls what fn points to, as fn(x) does.
    while (target.kind === "unary" && target.op === "*") target = target.operand;
    const f = this.rvalue(target);
    if (f.type.k !== "ptr" || f.type.to.k !== "fn") {
      if (f.type !== ERR)
        this.error(
          "KC305",
          target.span,
          `only a function or a function pointer can be called, not ${showType(f.type)}`,
        );
      for (const a of e.args) this.rvalue(a);
      return { x: C0, type: ERR };
    }
    const ft = f.type.to;
    const shown = showType(f.type);
    if (e.args.length !== ft.params.length)
      this.error(
        "KC303",
        e.span,
        `a ${shown} takes ${ft.params.length} argument${ft.params.length === 1 ? "" : "s"}, not ${e.args.length}`,
      );
    // A function's own type can carry struct parameters (`(*f)(s)`); the dispatch below passes
    // one word per parameter, so such a call is refused, as a pointer type holding them is.
    if (ft.params.some((p) => p.k === "struct") || ft.returns.k === "struct")
      this.error(
        "KC312",
        e.span,
        `a call through ${shown} passes or returns a struct by value, which KC supports only in a direct call: call the function by name`,
      );
    const args: IExpr[] = e.args.map((a, i) => {
      const r = this.rvalue(a);
      const pt = ft.params[i];
      return pt ? this.convert(r, pt, a.span, `argument ${i + 1} of a call through ${shown}`) : r.x;
    });
    if (wantValue && ft.returns.k === "void")
      this.error("KC309", e.span, `a call through ${shown} returns void; its value cannot be used`);
    let targets = this.fnList.filter(
      (s) => this.addressTaken.has(s.name) && s.decl?.body && typeEquals(this.fnTypeOf(s), ft),
    );
    // Each call site holds a call per target: a hostile spec with thousands of both would make
    // code quadratic in its size. The bound is far above any table of operations.
    const before = this.dispatchCalls;
    this.dispatchCalls += targets.length;
    if (this.dispatchCalls > MAX_DISPATCH_CALLS) {
      if (before <= MAX_DISPATCH_CALLS)
        this.error(
          "KC410",
          e.span,
          `calls through function pointers reach more than ${MAX_DISPATCH_CALLS} functions in all (each call site calls each function of its type whose address is taken)`,
        );
      targets = [];
    }
    const dest = wantValue && ft.returns.k !== "void" ? this.temp() : -1;
    const unit = this.units.length - 1;
    const sw = this.emit({
      k: "switch",
      value: {
        k: "callee",
        e: f.x,
        ok: targets.map((s) => fnPointer(s.index)),
        type: shown,
        span: target.span,
      },
      cases: [],
      dflt: -1,
      at: this.currentSite,
    });
    const ends: number[] = [];
    const cases: Array<[number, number]> = [];
    for (const s of targets) {
      cases.push([fnPointer(s.index), this.here()]);
      // Every function the pointer may hold is a callee, for the stack bound (computeStacks).
      this.callees[unit]?.add(s.index);
      this.emit({ k: "call", fn: s.index, args, destOff: dest >= 0 ? dest : null, at: this.currentSite });
      this.pendingBoundary = true;
      ends.push(this.emit({ k: "jump", to: -1, at: this.currentSite }));
    }
    const end = this.here();
    for (const j of ends) this.patchJump(j, end);
    const ins = this.code[sw];
    if (ins?.k === "switch") {
      ins.cases = cases;
      ins.dflt = end; // never taken: the callee check faults first
    }
    if (dest < 0) return { x: C0, type: ft.returns.k === "void" ? VOID : ft.returns };
    return { x: { k: "take", off: dest }, type: ft.returns };
  }
}
