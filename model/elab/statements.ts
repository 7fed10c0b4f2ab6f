// Statements: control flow, scopes, local declarations, labels and goto, atomic blocks.
import type { Expr, Init, Span, Stmt, VarDecl } from "../ast";
import { isByteType } from "../ctypes";
import type { IExpr, Instr } from "../ir";
import { isIntegral, isScalar, showType, sizeOf, type Type, VOID } from "../types";

import { Calls } from "./calls";

import { C0, C1, ERR, type LValue, type RValue, type Sym, type UnitCtx } from "./context";

export abstract class Statements extends Calls {
  protected pushScope(): void {
    this.cur?.scopes.push(new Map());
  }

  protected popScope(): void {
    const c = this.cur;
    if (!c) return;
    this.leaveScopes(c.scopes.length - 1);
    c.scopes.pop();
  }

  protected startStmt(span: Span): void {
    this.pendingBoundary = true;
    this.currentSite = this.site(span);
  }

  protected lowerStmt(s: Stmt): void {
    const c = this.cur as UnitCtx;
    switch (s.kind) {
      case "block":
        this.pushScope();
        for (const b of s.body) this.lowerStmt(b);
        this.popScope();
        return;
      case "empty":
        return;
      case "decl":
        for (const d of s.decls) this.lowerLocalDecl(d);
        return;
      case "expr":
        this.startStmt(s.span);
        this.fullExpression(s.expr, () => this.effect(s.expr));
        return;
      case "if": {
        // An else-if chain is read in a loop: it may be far longer than statements may nest.
        const ends: number[] = [];
        let rest: Stmt | null = s;
        while (rest?.kind === "if") {
          this.startStmt(rest.test.span);
          const br = this.branch(rest.test);
          this.patchTrue(br, this.here());
          this.lowerStmt(rest.then);
          if (rest.else) ends.push(this.emit({ k: "jump", to: -1, at: this.currentSite }));
          this.patchFalse(br, this.here());
          rest = rest.else;
        }
        if (rest) this.lowerStmt(rest);
        for (const j of ends) this.patchJump(j, this.here());
        return;
      }
      case "while": {
        const head = this.here();
        this.startStmt(s.test.span);
        const br = this.branch(s.test);
        this.patchTrue(br, this.here());
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        this.emit({ k: "jump", to: head, at: this.currentSite });
        const end = this.here();
        this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, head);
        return;
      }
      case "doWhile": {
        const head = this.here();
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.pendingBoundary = true;
        this.lowerStmt(s.body);
        c.loops.pop();
        const testPc = this.here();
        this.startStmt(s.test.span);
        const br = this.branch(s.test);
        this.patchTrue(br, head);
        const end = this.here();
        this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, testPc);
        return;
      }
      case "for": {
        this.pushScope();
        if (s.init) this.lowerStmt(s.init);
        const head = this.here();
        let br: number[] | null = null;
        if (s.test) {
          this.startStmt(s.test.span);
          br = this.branch(s.test);
          this.patchTrue(br, this.here());
        }
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        const updatePc = this.here();
        if (s.update) {
          const update = s.update;
          this.startStmt(update.span);
          this.fullExpression(update, () => this.effect(update));
        }
        // An empty `for (;;) {}` still needs a boundary so that a step can end in it.
        if (!s.test && updatePc === head) this.pendingBoundary = true;
        this.emit({ k: "jump", to: head, at: this.currentSite });
        const end = this.here();
        if (br) this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, updatePc);
        this.popScope();
        return;
      }
      case "break":
      case "continue": {
        this.startStmt(s.span);
        const target =
          s.kind === "break"
            ? c.loops[c.loops.length - 1]
            : [...c.loops].reverse().find((l) => l.continueTo !== null);
        if (!target) {
          if (s.kind === "break" ? c.sealed?.loop : c.sealed?.continues)
            this.error(
              "KC406",
              s.span,
              `'${s.kind}' inside a statement expression ({ ... }) cannot leave it for the ${s.kind === "break" ? "loop or switch" : "loop"} outside: a statement expression cannot be jumped out of`,
            );
          else
            this.error(
              "KC208",
              s.span,
              `'${s.kind}' outside a loop${s.kind === "break" ? " or switch" : ""}`,
            );
          return;
        }
        this.leaveAtomic(c.atomicDepth - target.atomic);
        this.leaveScopes(target.scopes);
        const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
        (s.kind === "break" ? target.breakTo : (target.continueTo as number[])).push(j);
        return;
      }
      case "return": {
        this.startStmt(s.span);
        const fn = c.fn;
        if (!fn) {
          this.error("KC406", s.span, "'return' outside a function (a process ends when its body ends)");
          return;
        }
        let values: IExpr[] = [];
        const value = s.value;
        if (value) {
          values = this.fullExpression(value, () => {
            const r = this.rvalue(value);
            if (fn.returns.k === "void")
              this.error("KC308", value.span, `function '${fn.name}' returns void but a value is returned`);
            else if (fn.returns.k === "struct")
              return this.structWords(r, fn.returns, value.span, "return value");
            else return [this.convert(r, fn.returns, value.span, "return value")];
            return [];
          });
        } else if (fn.returns.k !== "void")
          this.error(
            "KC308",
            s.span,
            `function '${fn.name}' must return a value of type ${showType(fn.returns)}`,
          );
        this.leaveAtomic(c.atomicDepth);
        this.emit({ k: "ret", values, at: this.currentSite });
        return;
      }
      case "goto": {
        this.startStmt(s.span);
        const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
        c.gotos.push({ instr: j, label: s.label, atomic: c.atomicDepth, span: s.span });
        return;
      }
      case "labeled":
      case "case": {
        // A run of labels (`case 1: case 2: ...`) is read in a loop, as the parser reads it.
        let body: Stmt = s;
        while (body.kind === "labeled" || body.kind === "case") {
          this.placeLabel(body);
          body = body.body;
        }
        this.lowerStmt(body);
        return;
      }
      case "switch": {
        this.startStmt(s.test.span);
        const r = this.fullExpression(s.test, () => this.rvalue(s.test));
        if (!isIntegral(r.type))
          this.error("KC301", s.test.span, `switch needs an integer, not ${showType(r.type)}`);
        const sw = this.emit({ k: "switch", value: r.x, cases: [], dflt: -1, at: this.currentSite });
        const ctxSw = {
          cases: [] as Array<[number, number]>,
          dflt: null as number | null,
          atomic: c.atomicDepth,
        };
        c.inSwitch.push(ctxSw);
        const loop = {
          breakTo: [] as number[],
          continueTo: null,
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        c.inSwitch.pop();
        const end = this.here();
        const ins = this.code[sw] as Extract<Instr, { k: "switch" }>;
        ins.cases = ctxSw.cases;
        ins.dflt = ctxSw.dflt ?? end;
        for (const b of loop.breakTo) this.patchJump(b, end);
        return;
      }
      case "atomic": {
        this.startStmt(s.span);
        this.emit({ k: "atomic", delta: 1, at: this.currentSite });
        c.atomicDepth++;
        this.lowerStmt(s.body);
        c.atomicDepth--;
        this.startStmt({ file: s.span.file, start: s.span.end - 1, end: s.span.end });
        this.emit({ k: "atomic", delta: -1, at: this.currentSite });
        return;
      }
      case "assert": {
        this.startStmt(s.span);
        const r = this.fullExpression(s.test, () => this.rvalue(s.test));
        this.condition(r, s.test.span);
        this.emit({
          k: "assert",
          cond: r.x,
          message: s.message ?? "assertion failed",
          at: this.currentSite,
          shown: this.operands(s.test),
        });
        return;
      }
      case "assume":
      case "await": {
        this.startStmt(s.span);
        // A guard is checked in one step, also in the fine mode (await would block on a stale read).
        this.noHoist++;
        const r = this.fullExpression(s.test, () => this.rvalue(s.test));
        this.noHoist--;
        this.condition(r, s.test.span);
        this.emit({ k: s.kind, cond: r.x, at: this.currentSite });
        return;
      }
    }
  }

  /** Makes the next instruction the target of a goto label or a case of the enclosing switch. */
  protected placeLabel(s: Extract<Stmt, { kind: "labeled" | "case" }>): void {
    const c = this.cur as UnitCtx;
    if (s.kind === "labeled") {
      if (c.labels.has(s.label)) this.error("KC202", s.span, `label '${s.label}' is already defined`);
      this.pendingBoundary = true;
      c.labels.set(s.label, { pc: this.here(), atomic: c.atomicDepth, span: s.span });
      this.markInScope();
      return;
    }
    const sw = c.inSwitch[c.inSwitch.length - 1];
    if (!sw) {
      const what = s.value ? "case" : "default";
      if (c.sealed?.switch)
        this.error(
          "KC406",
          s.span,
          `'${what}' inside a statement expression ({ ... }) cannot belong to the switch outside: a statement expression cannot be jumped into`,
        );
      else this.error("KC210", s.span, `'${what}' outside a switch`);
      return;
    }
    // The case label is lexically inside its switch, so it can only be deeper: the jump would enter
    // the atomic block without its entry, and leave the task atomic for good.
    if (c.atomicDepth !== sw.atomic)
      this.error(
        "KC406",
        s.span,
        `'${s.value ? "case" : "default"}' inside an atomic block that its switch is outside of: the jump from the switch crosses the edge of the atomic block`,
      );
    this.pendingBoundary = true;
    const pc = this.here();
    if (s.value) {
      // C converts a case to the promoted type of the switch's value; either 32-bit type holds
      // the value's bit pattern (model/ctypes.ts), which is what the switch compares.
      const v = this.constExpr(s.value) | 0;
      if (sw.cases.some(([x]) => x === v)) this.error("KC202", s.value.span, `duplicate case ${v}`);
      sw.cases.push([v, pc]);
    } else {
      if (sw.dflt !== null) this.error("KC202", s.span, "two default labels in one switch");
      sw.dflt = pc;
    }
    this.markInScope();
  }

  /**
   * A jump to a label inside a block skips the declarations before it, but their variables are
   * in scope there (C): mark every inner-block local in scope, so none is taken for ended.
   */
  protected markInScope(): void {
    this.setScopeFlags(2, C1);
  }

  /** Ends the inner-block locals of the scopes a jump leaves (those opened after `depth`): see popScope. */
  protected leaveScopes(depth: number): void {
    this.setScopeFlags(depth, C0);
  }

  /** Sets the in-scope flags (Unit.scoped) of the inner-block locals of the scopes from `depth` on. */
  protected setScopeFlags(depth: number, value: IExpr): void {
    for (const scope of this.cur?.scopes.slice(depth) ?? [])
      for (const s of scope.values())
        if (s.k === "local" && s.flag !== undefined)
          this.emit({ k: "store", addr: this.frameAddr(s.flag), value, range: null, at: this.currentSite });
  }

  protected leaveAtomic(n: number): void {
    for (let i = 0; i < n; i++) this.emit({ k: "atomic", delta: -1, at: this.currentSite });
  }

  protected lowerLocalDecl(d: VarDecl): void {
    const c = this.cur as UnitCtx;
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 0 || t.k === "void") {
      this.error("KC312", d.span, `variable '${d.name}' has incomplete type ${showType(t)}`);
      return;
    }
    const scope = c.scopes[c.scopes.length - 1] as Map<string, Sym>;
    if (scope.has(d.name)) this.error("KC202", d.span, `'${d.name}' is already declared in this block`);
    if (d.isStatic) {
      // A static local is a global with a local name.
      if (!this.roomFor(size + this.redzone(), d.span, `variable '${d.name}'`)) {
        scope.set(d.name, { k: "global", addr: 0, type: t });
        return;
      }
      const addr = this.globalInit.length;
      for (let i = 0; i < size + this.redzone(); i++) this.globalInit.push(0);
      this.globals.push({ name: `${c.unit.name}.${d.name}`, type: t, offset: addr });
      if (d.init) this.constInit(addr, t, d.init, d.name);
      scope.set(d.name, { k: "global", addr, type: t });
      return;
    }
    const off = this.allocLocal(size);
    this.allocLocal(this.redzone());
    c.unit.locals.push({ name: d.name, type: t, offset: off });
    // A struct with an array member escapes like an array: `pub = b.a` takes b's address without '&'.
    const sym: Sym = { k: "local", off, type: t, escapes: c.escaping.has(d.name) || this.holdsArray(t) };
    if (sym.escapes) for (let w = off; w < off + size; w++) c.escapingWords.add(w);
    // A local of an inner block (scopes: parameters, the body, then blocks) whose address may be
    // taken: a flag word marks it in scope, set here and cleared where the block ends (popScope).
    if (sym.escapes && c.scopes.length > 2) {
      sym.flag = this.allocLocal(1);
      c.unit.scoped.push({ offset: off, flag: sym.flag });
      this.emit({ k: "store", addr: this.frameAddr(sym.flag), value: C1, range: null, at: this.currentSite });
    }
    if (d.init) {
      this.startStmt(d.span);
      const base: LValue = { addr: this.frameAddr(off), type: t, local: !sym.escapes };
      // The name is in scope in its own initializer only after it, as in C; declare first.
      scope.set(d.name, sym);
      // Its initializer's stores stay local-only: no valid pointer to the variable can exist before
      // its declaration has run (an older one is a use after scope or return, checked as such).
      // Not after a goto: jumping back before the declaration runs it again on the same object,
      // whose address may already be out.
      this.initializing = c.hasGoto ? null : [off, off + size];
      this.initLocal(base, d.init, d.name, size);
      this.initializing = null;
    } else scope.set(d.name, sym);
  }

  /** Whether a type is an array or holds one (a member array decays to a pointer without '&'). */
  protected holdsArray(t: Type): boolean {
    if (t.k === "array") return true;
    if (t.k !== "struct") return false;
    return (this.structs.get(t.name)?.fields ?? []).some((f) => this.holdsArray(f.type));
  }

  protected initLocal(lv: LValue, init: Init, what: string, size: number): void {
    if (init.kind === "expr" && !(init.expr.kind === "string")) {
      const e = init.expr;
      this.fullExpression(e, () => this.assignTo(lv, this.rvalue(e), e.span));
      return;
    }
    // Aggregate: zero every word first (a block inside a loop reuses its slots), then set items.
    const written = new Set<number>();
    const items: Array<[number, Type, Init]> = [];
    if (init.kind === "expr" && init.expr.kind === "string") {
      const e = init.expr;
      if (lv.type.k !== "array" || !isByteType(lv.type.of)) {
        this.error("KC311", e.span, `a string cannot initialise ${showType(lv.type)}`);
        return;
      }
      const chars = this.charsOf(e);
      // Signed bytes, converted to the element type as the char array of C's string would be.
      for (let i = 0; i < Math.min(lv.type.n, chars.length); i++)
        items.push([
          i,
          lv.type.of,
          { kind: "expr", expr: { kind: "int", value: chars[i] as number, span: e.span }, span: e.span },
        ]);
    } else this.walkInitList(lv.type, init, what, (off, t, item) => items.push([off, t, item]));
    for (const [off, t, item] of items) {
      const addr = this.offsetAddr(lv.addr, off);
      if (item.kind === "list" || !isScalar(t)) {
        this.initLocal({ addr, type: t, local: lv.local }, item, what, sizeOf(t, this.structs));
        for (let i = 0; i < sizeOf(t, this.structs); i++) written.add(off + i);
      } else {
        // Each item is checked on its own: C sequences them indeterminately, not unsequenced.
        const e = item.expr;
        this.fullExpression(e, () =>
          this.assignTo({ addr, type: t, local: lv.local }, this.rvalue(e), item.span),
        );
        written.add(off);
      }
    }
    for (let i = 0; i < size; i++)
      if (!written.has(i))
        this.emit({
          k: "store",
          addr: this.offsetAddr(lv.addr, i),
          value: C0,
          range: null,
          at: this.currentSite,
        });
  }

  // ------------------------------------------------------------ control-flow helpers

  /** Emits a branch on a condition (a full expression); returns its instruction index (targets patched later). */
  protected branch(e: Expr): number[] {
    return this.fullExpression(e, () => {
      const r = this.rvalue(e);
      this.condition(r, e.span);
      return [this.emit({ k: "branch", cond: r.x, t: -1, f: -1, at: this.currentSite })];
    });
  }

  protected condition(r: RValue, span: Span): void {
    if (!isScalar(r.type))
      this.error("KC310", span, `a condition must be a number, bool or pointer, not ${showType(r.type)}`);
  }

  /**
   * GNU `({ ... })`: the statements in a scope of their own, then the last one's value (void when
   * it is not an expression statement), copied to a temp before the scope ends. Leaving it by a
   * jump (return, goto, a label, break or continue to a loop outside) is an error: the enclosing
   * expression would be left half evaluated.
   */
  protected statementExpression(e: Extract<Expr, { kind: "stmtExpr" }>, wantValue: boolean): RValue {
    const c = this.cur as UnitCtx;
    this.callsAhead.delete(e);
    if (this.noHoist > 0) {
      // An await or assume condition (or a property) is checked in one step, and checked again
      // whole while the task waits: statements inside it would run once, as steps of their own.
      this.error(
        "KC406",
        e.span,
        "a statement expression ({ ... }) inside a condition that is checked in one step (await, assume, a property): it is checked again whole while a task waits, so it cannot hold statements (write the wait as a loop, or use wait_event)",
      );
      this.checkOnly(() => this.statementExpression(e, wantValue));
      return { x: C0, type: ERR };
    }
    const jumps: Stmt[] = [...e.body];
    for (let s = jumps.pop(); s; s = jumps.pop()) {
      if (s.kind === "return" || s.kind === "goto" || s.kind === "labeled") {
        const what = s.kind === "labeled" ? "a label" : `'${s.kind}'`;
        this.error(
          "KC406",
          s.span,
          `${what} inside a statement expression ({ ... }): it cannot be jumped out of or into`,
        );
      } else if (s.kind === "block") for (const b of s.body) jumps.push(b);
      else if (s.kind === "if") {
        jumps.push(s.then);
        if (s.else) jumps.push(s.else);
      } else if ("body" in s && !Array.isArray(s.body)) jumps.push(s.body);
    }
    this.pushScope();
    // A break, continue or case inside belongs to a loop or switch inside; one that would reach
    // a loop or switch outside is KC406, else KC208/KC210.
    const { loops, inSwitch, sealed } = c;
    c.loops = [];
    c.inSwitch = [];
    c.sealed = {
      loop: loops.length + inSwitch.length > 0 || sealed?.loop === true,
      continues: loops.some((l) => l.continueTo !== null) || sealed?.continues === true,
      switch: inSwitch.length > 0 || sealed?.switch === true,
    };
    try {
      const last = e.body[e.body.length - 1];
      const valued = last?.kind === "expr" ? last : null;
      for (const s of valued ? e.body.slice(0, -1) : e.body) this.lowerStmt(s);
      if (!valued) return { x: C0, type: VOID };
      this.startStmt(valued.span);
      if (!wantValue) {
        this.fullExpression(valued.expr, () => this.effect(valued.expr));
        return { x: C0, type: VOID };
      }
      const r = this.fullExpression(valued.expr, () => this.rvalue(valued.expr));
      if (r.type.k === "void" || r.type === ERR || r.x.k === "const") return r;
      if (!isScalar(r.type)) {
        this.error(
          "KC313",
          valued.span,
          `a statement expression whose value is ${showType(r.type)} is not supported yet`,
        );
        return { x: C0, type: ERR };
      }
      const t = this.temp();
      this.emit({ k: "store", addr: this.frameAddr(t), value: r.x, range: null, at: this.currentSite });
      return { x: { k: "take", off: t }, type: r.type };
    } finally {
      c.loops = loops;
      c.inSwitch = inSwitch;
      c.sealed = sealed;
      this.popScope();
    }
  }

  /**
   * Lowers a refused statement expression for its own errors only (an unknown name inside it):
   * as statements, not as a one-step condition, and with its code dropped.
   */
  protected checkOnly(f: () => void): void {
    const hoist = this.noHoist;
    this.noHoist = 0;
    try {
      this.speculate(f);
    } finally {
      this.noHoist = hoist;
    }
  }
}
