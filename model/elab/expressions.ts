// Expressions: lvalues, rvalues, operators, conversions, assignment; every expression is typed as it is lowered.
import type { BinaryOp, Expr, Span } from "../ast";
import { commonType, isUnsigned32 } from "../ctypes";
import { type IExpr, stackTag } from "../ir";
import {
  BOOL,
  findField,
  INT,
  isIntegral,
  isScalar,
  NULLT,
  pointeesAgree,
  showType,
  sizeOf,
  type Type,
  typeEquals,
  UINT,
  VOID,
} from "../types";
import { Arith } from "./arith";
import { C0, ERR, type LValue, type RValue, type UnitCtx } from "./context";
import { callsIn, unsequenced } from "./sequencing";
import { fold, fpRooted, NOSPAN, pointerValue, takes } from "./util";

/** The `1` of `x++` and `x--`. */
const ONE: RValue = { x: { k: "const", v: 1 }, type: INT };

export abstract class Expressions extends Arith {
  // ------------------------------------------------------------ expressions

  /** Lowers an expression evaluated only for its effects. */
  protected effect(e: Expr): void {
    if (e.kind === "call") {
      this.call(e, false);
      return;
    }
    if (e.kind === "comma") {
      this.effect(e.left);
      this.effect(e.right);
      return;
    }
    if (e.kind === "stmtExpr") {
      this.statementExpression(e, false);
      return;
    }
    if (e.kind === "incdec") {
      const lv = this.object(e.operand);
      this.storeIncDec(lv, e.op, e.span);
      return;
    }
    if (e.kind === "assign") {
      this.assign(e);
      return;
    }
    // A pure expression statement (e.g. `x;`) still evaluates, so a fault in it shows.
    const r = this.rvalue(e);
    if (r.x.k !== "const")
      this.emit({
        k: "assume",
        cond: { k: "bin", op: "||", l: r.x, r: { k: "const", v: 1 }, span: e.span },
        at: this.currentSite,
      });
  }

  /** Whether shared reads are split off into steps of their own (the fine mode). */
  protected fineActive(): boolean {
    return this.options.fine === true && this.cur !== null && this.noHoist === 0;
  }

  /**
   * Lowers one full expression with `f`: its unsequenced accesses are KC314 (sequencing.ts),
   * and its calls are ahead until lowered (see callsAhead).
   */
  protected fullExpression<T>(e: Expr, f: () => T): T {
    for (const u of unsequenced(e)) this.error("KC314", u.span, u.message);
    const outer = this.callsAhead;
    this.callsAhead = callsIn(e);
    try {
      return f();
    } finally {
      this.callsAhead = outer;
    }
  }

  /**
   * The value of an lvalue. A shared scalar is read at once into a temporary in the fine mode
   * (in a step of its own), and while a call of the full expression is ahead (in the same
   * step), so that both modes read it before the call; else where the value is used.
   */
  protected valueLoad(lv: LValue): IExpr {
    const load: IExpr = { k: "load", addr: lv.addr, local: lv.local };
    if (lv.local || !isScalar(lv.type) || this.cur === null || this.noHoist > 0) return load;
    const fine = this.fineActive();
    if (!fine && this.callsAhead.size === 0) return load;
    const t = this.temp();
    if (fine) this.pendingBoundary = true;
    this.emit({ k: "store", addr: this.frameAddr(t), value: load, range: null, at: this.currentSite });
    if (fine) this.pendingBoundary = true;
    return { k: "take", off: t };
  }

  /**
   * A read-modify-write of a shared lvalue in the fine mode: the address is computed once into
   * a temporary, then the read and the write are separate steps. Yields the old value, the
   * new value, or nothing; every temporary is cleared by its last use.
   */
  protected rmwFine(lv: LValue, op: BinaryOp, rhs: RValue, span: Span, want: "none" | "old" | "new"): IExpr {
    const tA = this.temp();
    this.emit({ k: "store", addr: this.frameAddr(tA), value: lv.addr, range: null, at: this.currentSite });
    const addrKeep: IExpr = { k: "load", addr: this.frameAddr(tA), local: true };
    const tV = this.temp();
    this.pendingBoundary = true;
    this.emit({
      k: "store",
      addr: this.frameAddr(tV),
      value: { k: "load", addr: addrKeep, local: false },
      range: null,
      at: this.currentSite,
    });
    this.pendingBoundary = true;
    const target: LValue = { addr: { k: "take", off: tA }, type: lv.type, local: false };
    if (want === "old") {
      const v = this.update(op, { k: "load", addr: this.frameAddr(tV), local: true }, rhs, lv.type, span);
      this.emitStore(target, v, span);
      return { k: "take", off: tV };
    }
    const v = this.update(op, { k: "take", off: tV }, rhs, lv.type, span);
    if (want === "none") {
      this.emitStore(target, v, span);
      return C0;
    }
    const tN = this.temp();
    this.emit({ k: "store", addr: this.frameAddr(tN), value: v, range: null, at: this.currentSite });
    this.emitStore(target, { k: "load", addr: this.frameAddr(tN), local: true }, span);
    return { k: "take", off: tN };
  }

  /** `++`/`--` need an integer lvalue: reports KC301 otherwise. */
  protected checkIncDec(lv: LValue, op: "++" | "--", span: Span): void {
    if (isIntegral(lv.type) || lv.type.k === "bool" || lv.type.k === "ptr" || lv.type === ERR) return;
    this.error("KC301", span, `'${op}' needs an integer or a pointer, not ${showType(lv.type)}`);
  }

  /**
   * The new value of `old op rhs` stored back into an lvalue of type t (x++, x += n): a pointer
   * moves by elements (pointers.ts), an integer is computed in C's common type and converted
   * back (arith.ts compoundValue).
   */
  protected update(op: BinaryOp, old: IExpr, rhs: RValue, t: Type, span: Span): IExpr {
    if (t.k === "ptr" && (op === "+" || op === "-"))
      return this.pointerAdd(old, t, op === "-" ? fold({ k: "un", op: "-", e: rhs.x }) : rhs.x, span);
    // A bool: computed in int, then converted as C converts to _Bool (b++ is 1, b-- toggles).
    if (t.k === "bool") return { k: "bool", e: this.intBinary(op, { x: old, type: INT }, rhs, span).x };
    return this.compoundValue(t, old, op, rhs, span);
  }

  /** x++ or x-- whose value is not used. */
  protected storeIncDec(lv: LValue, op: "++" | "--", span: Span): void {
    this.checkIncDec(lv, op, span);
    if (this.fineActive() && !lv.local) {
      this.rmwFine(lv, op === "++" ? "+" : "-", ONE, span, "none");
      return;
    }
    const s = this.stableLvalue(lv);
    const old: IExpr = { k: "load", addr: s.lv.addr, local: lv.local };
    this.emitStore(s.lv, this.update(op === "++" ? "+" : "-", old, ONE, lv.type, span), span);
    s.release();
  }

  /**
   * An lvalue whose address reads a temporary (`buf[i++]`, `*q++`, `*f()`) cannot be evaluated
   * twice, as a read-modify-write needs it: the address goes to a temporary first, read (not
   * taken) by every use, and `release` clears it after the last.
   */
  protected stableLvalue(lv: LValue): { lv: LValue; release: () => void } {
    if (!takes(lv.addr)) return { lv, release: () => {} };
    const t = this.temp();
    this.emit({ k: "store", addr: this.frameAddr(t), value: lv.addr, range: null, at: this.currentSite });
    const addr: IExpr = { k: "load", addr: this.frameAddr(t), local: true };
    return {
      lv: { ...lv, addr },
      release: () =>
        this.emit({ k: "store", addr: this.frameAddr(t), value: C0, range: null, at: this.currentSite }),
    };
  }

  /**
   * `&a[N]`: C lets the address of an array's element one past its end be formed (not read), as
   * in `p < &a[N]`. The last subscript's check then admits N; such a program is laid out with
   * redzones (elaborate), so that address is never another object's.
   */
  protected onePastAllowed(addr: IExpr): IExpr {
    if (addr.k !== "bin" || addr.op !== "+") return addr;
    const r = addr.r;
    const widen = (x: IExpr): IExpr | null => (x.k === "index" ? { ...x, n: x.n + 1 } : null);
    const w = r.k === "bin" && r.op === "*" ? widen(r.l) : widen(r);
    if (w === null) return addr;
    this.formsOnePast = true;
    return { ...addr, r: r.k === "bin" && r.op === "*" ? { ...r, l: w } : w };
  }

  protected emitStore(lv: LValue, value: IExpr, _span: Span): void {
    const t = lv.type;
    const range: [number, number] | null = t.k === "int" && t.lo !== null ? [t.lo, t.hi as number] : null;
    this.emit({ k: "store", addr: lv.addr, value, range, at: this.currentSite });
  }

  protected assign(e: Extract<Expr, { kind: "assign" }>): RValue {
    const lv = this.object(e.target);
    if (e.op === "=") {
      const r = this.rvalue(e.value);
      return this.assignTo(lv, r, e.span);
    }
    const op = e.op.slice(0, -1) as BinaryOp;
    const r = this.rvalue(e.value);
    const pointerStep = lv.type.k === "ptr" && (op === "+" || op === "-") && isIntegral(r.type);
    if (!pointerStep && (!isIntegral(lv.type) || !isIntegral(r.type))) {
      this.error(
        "KC301",
        e.span,
        `'${e.op}' needs integers, not ${showType(lv.type)} and ${showType(r.type)}`,
      );
      return { x: C0, type: ERR };
    }
    if (this.fineActive() && !lv.local) {
      this.rmwFine(lv, op, r, e.span, "none");
      return { x: C0, type: lv.type };
    }
    const s = this.stableLvalue(lv);
    const value = this.update(op, { k: "load", addr: s.lv.addr, local: lv.local }, r, lv.type, e.span);
    this.emitStore(s.lv, value, e.span);
    s.release();
    // Only statements use this value (effect); an expression's assignment is lowered in rvalue.
    return { x: C0, type: lv.type };
  }

  protected assignTo(lv: LValue, r: RValue, span: Span): RValue {
    if (lv.type.k === "struct" && typeEquals(lv.type, r.type)) {
      // Struct copy, word by word, in one statement.
      const words = this.structWords(r, lv.type, span, "assignment");
      words.forEach((value, i) => {
        // The fine mode writes each shared word in a step of its own, as it reads them.
        if (i > 0 && this.fineActive() && !lv.local) this.pendingBoundary = true;
        this.emit({
          k: "store",
          addr: this.offsetAddr(lv.addr, i),
          value,
          range: null,
          at: this.currentSite,
        });
      });
      // The assignment's value is the object's, now that a call's result words are clear.
      return { x: { k: "load", addr: lv.addr, local: lv.local }, type: lv.type };
    }
    if (lv.type.k === "array") {
      this.error("KC302", span, `an array (${showType(lv.type)}) cannot be assigned`);
      return r;
    }
    const x = this.convert(r, lv.type, span, "assignment");
    this.emitStore(lv, x, span);
    return { x, type: lv.type };
  }

  /** Checks that r can be stored in a t, and returns the converted value. */
  protected convert(r: RValue, t: Type, span: Span, what: string): IExpr {
    if (r.type.k === "void") {
      this.error("KC309", span, `a void value is used in ${what}`);
      return C0;
    }
    if (isIntegral(t) && isIntegral(r.type)) return this.narrow(r.x, t);
    if (t.k === "bool" && isScalar(r.type)) return { k: "bool", e: r.x };
    if (t.k === "ptr" && r.type.k === "null") return C0;
    // C's null pointer constant: an integer constant expression of value 0 (C11 6.3.2.3).
    if (t.k === "ptr" && isIntegral(r.type) && r.x.k === "const" && r.x.v === 0) return C0;
    if (t.k === "ptr" && r.type.k === "ptr") {
      // A function is no data: its pointer never passes through a void * (nor one into it).
      const data = t.to.k !== "fn" && r.type.to.k !== "fn";
      if (typeEquals(t, r.type) || (data && (t.to.k === "void" || r.type.to.k === "void")))
        return this.checkLayout(r.x, r.type, t, span);
    }
    if (typeEquals(t, r.type)) return r.x;
    if (r.type !== ERR && t !== ERR)
      this.error(
        what === "assignment" || what === "return value" ? "KC301" : "KC304",
        span,
        `${what}: cannot use ${showType(r.type)} as ${showType(t)}`,
      );
    return r.x;
  }

  /**
   * A pointer converted from `from` to `to`: when the pointees differ (a `void *` given a type, a
   * struct pointer cast to another struct), memory must be laid out as `to` where it points, a
   * check made when the program runs (the IR's "layout").
   */
  protected checkLayout(x: IExpr, from: Type, to: Type, span: Span): IExpr {
    if (to.k !== "ptr" || from.k !== "ptr" || to.to.k === "void" || typeEquals(from.to, to.to)) return x;
    return { k: "layout", e: x, to: to.to, span };
  }

  protected lvalue(e: Expr): LValue {
    switch (e.kind) {
      case "name": {
        const s = this.lookup(e.name);
        if (!s) {
          if (e.name === "current" || e.name === "self")
            this.error("KC302", e.span, `'${e.name}' cannot be assigned`);
          else this.error("KC201", e.span, `unknown name '${e.name}'`);
          return { addr: C0, type: ERR, local: true };
        }
        if (s.k === "const") {
          this.error("KC302", e.span, `constant '${e.name}' cannot be assigned`);
          return { addr: C0, type: ERR, local: true };
        }
        if (s.k === "global") return { addr: { k: "const", v: s.addr }, type: s.type, local: false };
        return { addr: this.frameAddr(s.off), type: s.type, local: !s.escapes };
      }
      case "unary":
        if (e.op === "*") {
          const r = this.rvalue(e.operand);
          if (r.type.k !== "ptr") {
            this.error("KC305", e.span, `'*' needs a pointer, not ${showType(r.type)}`);
            return { addr: C0, type: ERR, local: true };
          }
          if (r.type.to.k === "void") this.error("KC305", e.span, "cannot dereference a void pointer");
          if (r.type.to.k === "fn")
            this.error("KC305", e.span, "a function pointer can only be called: (*fn)(x) or fn(x)");
          return {
            addr: { k: "ptr", e: r.x, size: this.pointeeSize(r.type.to), span: e.span },
            type: r.type.to,
            local: false,
          };
        }
        break;
      case "member": {
        let base: LValue;
        let arrow: IExpr | null = null;
        if (e.arrow) {
          const r = this.rvalue(e.base);
          if (r.type.k !== "ptr" || r.type.to.k !== "struct") {
            if (r.type !== ERR)
              this.error("KC305", e.span, `'->' needs a pointer to a struct, not ${showType(r.type)}`);
            return { addr: C0, type: ERR, local: true };
          }
          arrow = r.x;
          base = {
            addr: { k: "ptr", e: r.x, size: this.pointeeSize(r.type.to), span: e.base.span },
            type: r.type.to,
            local: false,
          };
        } else {
          const local = this.processLocal(e);
          if (local) return local;
          base = this.memberBase(e.base);
        }
        if (base.type.k !== "struct") {
          if (base.type !== ERR)
            this.error("KC306", e.span, `'.${e.field}' needs a struct, not ${showType(base.type)}`);
          return { addr: C0, type: ERR, local: true };
        }
        const info = this.structs.get(base.type.name);
        if (!info || info.size < 0) {
          this.error("KC312", e.span, `${showType(base.type)} is incomplete`);
          return { addr: C0, type: ERR, local: true };
        }
        const f = findField(this.structs, info.name, e.field, this.cLayouts);
        if (!f) {
          this.error("KC204", e.span, `${showType(base.type)} has no field '${e.field}'`);
          return { addr: C0, type: ERR, local: true };
        }
        if (arrow !== null) {
          // p->f reaches the words of the struct up to the end of f, not beyond (as KASAN sees
          // an access): a pointer cast from a smaller object may still read the fields it has.
          const reach = f.offset + sizeOf(f.type, this.structs);
          const ptr: IExpr = { k: "ptr", e: arrow, size: reach, span: e.base.span };
          return { addr: this.offsetAddr(ptr, f.offset), type: f.type, local: false };
        }
        return { addr: this.offsetAddr(base.addr, f.offset), type: f.type, local: base.local };
      }
      case "index": {
        // An array operand lowers to a load of its first word; its address is the array's.
        const b = this.rvalueNoDecay(e.base);
        const i = this.rvalue(e.index);
        const bt = b.type;
        if (bt.k === "array" && b.x.k === "load") {
          if (!isIntegral(i.type))
            this.error("KC301", e.index.span, `an index must be an integer, not ${showType(i.type)}`);
          const stride = sizeOf(bt.of, this.structs);
          const idx: IExpr = isUnsigned32(i.type)
            ? { k: "index", e: i.x, n: bt.n, span: e.index.span, unsigned: true }
            : { k: "index", e: i.x, n: bt.n, span: e.index.span };
          const scaled: IExpr =
            stride === 1 ? idx : { k: "bin", op: "*", l: idx, r: { k: "const", v: stride }, span: NOSPAN };
          return {
            addr: { k: "bin", op: "+", l: b.x.addr, r: scaled, span: NOSPAN },
            type: bt.of,
            local: b.x.local,
          };
        }
        if (bt.k === "ptr") {
          // p[i] is *(p + i), as in C.
          if (!isIntegral(i.type))
            this.error("KC301", e.index.span, `an index must be an integer, not ${showType(i.type)}`);
          const at = this.pointerAdd(b.x, bt, i.x, e.span);
          return {
            addr: { k: "ptr", e: at, size: this.pointeeSize(bt.to), span: e.span },
            type: bt.to,
            local: false,
          };
        }
        if (bt !== ERR) this.error("KC307", e.span, `${showType(bt)} cannot be indexed`);
        return { addr: C0, type: ERR, local: true };
      }
      default:
        break;
    }
    // Not an lvalue; its own errors (an unknown name inside) come first, and say more.
    if (this.speculate(() => this.rvalue(e)).type !== ERR)
      this.error("KC302", e.span, "this expression cannot be assigned or have its address taken");
    return { addr: C0, type: ERR, local: true };
  }

  /**
   * The struct that `.` selects from: an object, or a struct a call returned (`f().x`), which
   * lies in the caller's frame words the call filled. `object` keeps the latter from being assigned.
   */
  private memberBase(e: Expr): LValue {
    if (!this.fromCallResult(e)) return this.lvalue(e);
    const r = this.rvalueNoDecay(e);
    if (r.x.k === "load") return { addr: r.x.addr, type: r.type, local: true };
    return { addr: C0, type: r.type === ERR ? ERR : r.type, local: true };
  }

  /** Whether `e` is a call's result or a part of one reached by `.` or an array index (no object). */
  protected fromCallResult(e: Expr): boolean {
    if (e.kind === "call") return true;
    if (e.kind === "member" && !e.arrow) return this.fromCallResult(e.base);
    if (e.kind === "index" && this.fromCallResult(e.base))
      return this.speculate(() => this.rvalueNoDecay(e.base)).type.k === "array";
    return false;
  }

  /**
   * An lvalue that is modified or whose address is taken: C's modifiable lvalue. A call's result
   * (`f().x`) is a value, not an object, in C (KC302).
   */
  protected object(e: Expr): LValue {
    if (e.kind !== "call" && this.fromCallResult(e)) {
      this.error(
        "KC302",
        e.span,
        "a function's result is a value, not an object: it cannot be assigned or have its address taken",
      );
      this.speculate(() => this.rvalue(e));
      return { addr: C0, type: ERR, local: true };
    }
    return this.lvalue(e);
  }

  /** An rvalue with arrays decayed to pointers. */
  protected rvalue(e: Expr): RValue {
    const r = this.rvalueNoDecay(e);
    if (r.type.k === "array" && r.x.k === "load")
      return { x: this.tagStack(r.x.addr), type: { k: "ptr", to: r.type.of } };
    return r;
  }

  /**
   * A pointer value to a word of the running frame carries the frame's unit above its address
   * bits (STACK_TAG_SHIFT in ir.ts): a pointer into a frame that has returned then cannot pass
   * for one into the frame of another function that took its place on the stack.
   */
  protected tagStack(addr: IExpr): IExpr {
    addr = pointerValue(addr);
    if (!fpRooted(addr) || this.cur === null) return addr;
    const unit = this.units.length - 1;
    let index = this.stackTagUnits.indexOf(unit);
    if (index < 0) index = this.stackTagUnits.push(unit) - 1;
    const tag = stackTag(index);
    return { k: "bin", op: "+", l: addr, r: { k: "const", v: tag }, span: NOSPAN };
  }

  protected rvalueNoDecay(e: Expr): RValue {
    switch (e.kind) {
      case "int":
        return { x: { k: "const", v: e.value | 0 }, type: e.unsigned ? UINT : INT };
      case "bool":
        return { x: { k: "const", v: e.value ? 1 : 0 }, type: BOOL };
      case "null":
        return { x: C0, type: NULLT };
      case "string":
        this.error("KC301", e.span, "a string can only be an assert message or a char array initializer");
        return { x: C0, type: ERR };
      case "name": {
        const s = this.lookup(e.name);
        if (!s) {
          if (e.name === "current") {
            // Linux's current in a handler is whichever task was interrupted; KC does not model
            // that, so a handler may not name it, and a function it calls (or init) that reads it
            // faults (no_task) rather than reading NULL.
            if (this.cur?.unit.kind === "interrupt")
              this.error(
                "KC404",
                e.span,
                "'current' is not defined in an interrupt handler: KC does not model which task an interrupt interrupts",
              );
            else if (this.cur?.unit.kind === "init")
              this.error(
                "KC404",
                e.span,
                "'current' is not defined in init: no task runs before the processes start",
              );
            else if (this.cur?.unit.name.startsWith("<property "))
              this.error(
                "KC404",
                e.span,
                "'current' is not defined in a property: a property is about a state, not a running task (name one: &worker[1])",
              );
            return { x: { k: "current" }, type: { k: "ptr", to: { k: "struct", name: "task_struct" } } };
          }
          if (e.name === "self") {
            if (this.cur?.unit.kind !== "process")
              this.error("KC404", e.span, "'self' is only defined in a process body");
            return { x: { k: "self" }, type: INT };
          }
          const fn = this.functionValue(e.name, e.span);
          if (fn) return fn;
          this.error("KC201", e.span, `unknown name '${e.name}'`);
          return { x: C0, type: ERR };
        }
        if (s.k === "const") return { x: { k: "const", v: s.value }, type: s.type };
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "where":
      case "quantifier":
        return this.processPredicate(e);
      case "unary": {
        if (e.op === "&") {
          const fn = e.operand.kind === "name" ? this.functionValue(e.operand.name, e.span) : null;
          if (fn) return fn;
          const task = this.processTask(e.operand);
          if (task) return task;
          const lv = this.object(e.operand);
          const addr = e.operand.kind === "index" ? this.onePastAllowed(lv.addr) : lv.addr;
          return { x: this.tagStack(addr), type: lv.type === ERR ? ERR : { k: "ptr", to: lv.type } };
        }
        if (e.op === "*") {
          const lv = this.lvalue(e);
          return { x: this.valueLoad(lv), type: lv.type };
        }
        const r = this.rvalue(e.operand);
        if (e.op === "!") {
          this.condition(r, e.operand.span);
          return { x: fold({ k: "un", op: "!", e: r.x }), type: INT };
        }
        if (!isIntegral(r.type)) {
          if (r.type !== ERR)
            this.error("KC301", e.span, `'${e.op}' needs an integer, not ${showType(r.type)}`);
          return { x: C0, type: ERR };
        }
        return this.intUnary(e.op as "-" | "~" | "+", r);
      }
      case "incdec": {
        const lv = this.object(e.operand);
        // A pointer's x++ is a pointer; an integer's is of the integer's own type (C11 6.5.2.4).
        const valueType = lv.type;
        if (
          this.fineActive() &&
          !lv.local &&
          (isIntegral(lv.type) || lv.type.k === "ptr") &&
          lv.type.k !== "bool"
        ) {
          const x = this.rmwFine(lv, e.op === "++" ? "+" : "-", ONE, e.span, e.prefix ? "new" : "old");
          return { x, type: valueType };
        }
        if (e.prefix) {
          // t = x + 1; x = t; the value is t (read once, so the statement is one access).
          this.checkIncDec(lv, e.op, e.span);
          const s = this.stableLvalue(lv);
          const t = this.temp();
          const old: IExpr = { k: "load", addr: s.lv.addr, local: lv.local };
          this.emit({
            k: "store",
            addr: this.frameAddr(t),
            value: this.update(e.op === "++" ? "+" : "-", old, ONE, lv.type, e.span),
            range: null,
            at: this.currentSite,
          });
          this.emitStore(s.lv, { k: "load", addr: this.frameAddr(t), local: true }, e.span);
          s.release();
          return { x: { k: "take", off: t }, type: valueType };
        }
        const s = this.stableLvalue(lv);
        const t = this.temp();
        this.emit({
          k: "store",
          addr: this.frameAddr(t),
          value: { k: "load", addr: s.lv.addr, local: lv.local },
          range: null,
          at: this.currentSite,
        });
        this.storeIncDec(s.lv, e.op, e.span);
        s.release();
        return { x: { k: "take", off: t }, type: valueType };
      }
      case "binary":
        return this.binary(e);
      case "assign": {
        // In an expression the new value is computed once into a temp, stored, and yielded.
        const lv = this.object(e.target);
        const r = this.rvalue(e.value);
        let v: IExpr;
        const ptrStep = lv.type.k === "ptr" && (e.op === "+=" || e.op === "-=") && isIntegral(r.type);
        if (
          e.op !== "=" &&
          this.fineActive() &&
          !lv.local &&
          (isIntegral(lv.type) || ptrStep) &&
          isIntegral(r.type)
        ) {
          const op = e.op.slice(0, -1) as BinaryOp;
          return { x: this.rmwFine(lv, op, r, e.span, "new"), type: lv.type };
        }
        const s = e.op === "=" ? { lv, release: () => {} } : this.stableLvalue(lv);
        if (e.op === "=") v = this.convert(r, lv.type, e.span, "assignment");
        else {
          if (!ptrStep && (!isIntegral(lv.type) || !isIntegral(r.type)))
            this.error("KC301", e.span, `'${e.op}' needs integers`);
          const op = e.op.slice(0, -1) as BinaryOp;
          v = this.update(op, { k: "load", addr: s.lv.addr, local: lv.local }, r, lv.type, e.span);
        }
        if (!isScalar(lv.type)) {
          this.error("KC302", e.span, "only a scalar assignment can be used as a value");
          return { x: C0, type: ERR };
        }
        const t = this.temp();
        this.emit({ k: "store", addr: this.frameAddr(t), value: v, range: null, at: this.currentSite });
        this.emitStore(s.lv, { k: "load", addr: this.frameAddr(t), local: true }, e.span);
        s.release();
        return { x: { k: "take", off: t }, type: lv.type };
      }
      case "cond": {
        const c = this.rvalue(e.test);
        this.condition(c, e.test.span);
        const { a, b, flow } = this.choice(
          c.x,
          () => this.rvalue(e.then),
          () => this.rvalue(e.else),
        );
        const t = this.joinTypes(a.type, b.type, e.span);
        return { x: flow ?? fold({ k: "cond", c: c.x, t: a.x, f: b.x }), type: t };
      }
      case "call":
        return this.call(e, true);
      case "index": {
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "member": {
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "sizeof":
        return { x: { k: "const", v: this.sizeofOf(e) }, type: UINT };
      case "cast": {
        const to = this.resolveType(e.to);
        const r = this.rvalue(e.operand);
        if (to.k === "void") return { x: r.x, type: VOID };
        if (isIntegral(to) && isIntegral(r.type)) return { x: this.narrow(r.x, to), type: to };
        if (to.k === "ptr" && r.type.k === "ptr" && !pointeesAgree(r.type.to, to.to))
          this.error(
            "KC313",
            e.span,
            `cannot cast ${showType(r.type)} to ${showType(to)} yet: KC stores every scalar in a word of its own, so a cast between pointers to different scalar types cannot have C's meaning`,
          );
        if (to.k === "ptr" && r.type.k === "ptr")
          return { x: this.checkLayout(r.x, r.type, to, e.span), type: to };
        if (to.k === "ptr" && r.type.k === "null") return { x: r.x, type: to };
        if (to.k === "bool" && isScalar(r.type)) return { x: { k: "bool", e: r.x }, type: BOOL };
        const between = this.pointerCast(r, to, e.span);
        if (between) return between;
        this.error("KC301", e.span, `cannot cast ${showType(r.type)} to ${showType(to)}`);
        return { x: r.x, type: to };
      }
      case "comma":
        this.effect(e.left);
        return this.rvalue(e.right);
      case "stmtExpr":
        return this.statementExpression(e, true);
    }
  }

  /**
   * `c ? A : B` where each arm runs only on its side: a branch, then each arm's code and a store
   * of its value to a temporary, which `flow` reads. When neither arm emitted code, all that is
   * dropped again and `flow` is null: the caller folds the arms' values into one expression.
   * Each arm is lowered once; lowering it again once it turned out to have effects took time
   * exponential in the nesting of `?:`, `&&` and `||`.
   */
  protected choice(
    c: IExpr,
    thenArm: () => RValue,
    elseArm: () => RValue,
  ): { a: RValue; b: RValue; flow: IExpr | null } {
    const ctx = this.cur as UnitCtx;
    const mark = this.code.length;
    const boundary = this.pendingBoundary;
    const frame = ctx.next;
    const tmp = this.temp();
    const br = this.emit({ k: "branch", cond: c, t: -1, f: -1, at: this.currentSite });
    this.patchTrue([br], this.here());
    const a = thenArm();
    const thenPure = this.here() === br + 1;
    this.emit({ k: "store", addr: this.frameAddr(tmp), value: a.x, range: null, at: this.currentSite });
    const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
    this.patchFalse([br], this.here());
    const elseStart = this.here();
    const b = elseArm();
    if (thenPure && this.here() === elseStart) {
      this.code.length = mark;
      this.info.length = mark;
      this.pendingBoundary = boundary;
      ctx.next = frame;
      return { a, b, flow: null };
    }
    this.emit({ k: "store", addr: this.frameAddr(tmp), value: b.x, range: null, at: this.currentSite });
    this.patchJump(j, this.here());
    return { a, b, flow: { k: "take", off: tmp } };
  }

  protected joinTypes(a: Type, b: Type, span: Span): Type {
    if (isIntegral(a) && isIntegral(b)) return commonType(a, b);
    if (a.k === "ptr" && b.k === "null") return a;
    if (b.k === "ptr" && a.k === "null") return b;
    if (typeEquals(a, b)) return a;
    if (a !== ERR && b !== ERR)
      this.error("KC301", span, `the arms of ?: have different types: ${showType(a)} and ${showType(b)}`);
    return ERR;
  }

  protected binary(e: Extract<Expr, { kind: "binary" }>): RValue {
    const op = e.op;
    if (op === "&&" || op === "||") {
      const l = this.rvalue(e.left);
      this.condition(l, e.left.span);
      let r: RValue = { x: C0, type: INT };
      // The right operand runs only when needed; where it has effects, its value is `!!right`
      // (0 or 1; a pointer is tested against NULL, as in C).
      const right = (): RValue => {
        r = this.rvalue(e.right);
        this.condition(r, e.right.span);
        return { x: fold({ k: "un", op: "!", e: fold({ k: "un", op: "!", e: r.x }) }), type: INT };
      };
      const short = (): RValue => ({ x: { k: "const", v: op === "&&" ? 0 : 1 }, type: INT });
      const { flow } = op === "&&" ? this.choice(l.x, right, short) : this.choice(l.x, short, right);
      return { x: flow ?? fold({ k: "bin", op, l: l.x, r: r.x, span: e.span }), type: INT };
    }
    const bytes = this.byteArithmetic(e);
    if (bytes) return bytes;
    const l = this.rvalue(e.left);
    const r = this.rvalue(e.right);
    if (l.type === ERR || r.type === ERR) return { x: C0, type: ERR };
    const cmp = op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=";
    if (isIntegral(l.type) && isIntegral(r.type)) return this.intBinary(op, l, r, e.span);
    const ptrish = (t: Type) => t.k === "ptr" || t.k === "null";
    if ((op === "==" || op === "!=") && (ptrish(l.type) || ptrish(r.type))) {
      // `p == 0`: the 0 is C's null pointer constant (an integer constant expression of value 0).
      const nullConst = (x: RValue): RValue =>
        isIntegral(x.type) && x.x.k === "const" && x.x.v === 0 ? { x: C0, type: NULLT } : x;
      const nl = nullConst(l);
      const nr = nullConst(r);
      if (ptrish(nl.type) && ptrish(nr.type)) {
        const ok =
          nl.type.k === "null" ||
          nr.type.k === "null" ||
          typeEquals(nl.type, nr.type) ||
          (nl.type.k === "ptr" && nl.type.to.k === "void") ||
          (nr.type.k === "ptr" && nr.type.to.k === "void");
        if (!ok) this.error("KC301", e.span, `comparing ${showType(nl.type)} with ${showType(nr.type)}`);
        return { x: { k: "bin", op, l: nl.x, r: nr.x, span: e.span }, type: INT };
      }
    }
    const pointer = this.pointerBinary(op, l, r, e.span);
    if (pointer) return pointer;
    this.error(
      "KC301",
      e.span,
      `'${op}' cannot combine ${showType(l.type)} and ${showType(r.type)}${cmp ? "" : " (it needs integers)"}`,
    );
    return { x: C0, type: ERR };
  }

  // Pointers as the kernel uses them: model/elab/pointers.ts.
  /** `p + n` elements (n may be negative), checked when the program runs. */
  protected abstract pointerAdd(p: IExpr, t: Extract<Type, { k: "ptr" }>, n: IExpr, span: Span): IExpr;
  /** A function's name used as a value: its pointer (functionPointers.ts); null when it names no function. */
  protected abstract functionValue(name: string, span: Span): RValue | null;
  /** A cast between an integer and a pointer (null: not one). */
  protected abstract pointerCast(r: RValue, to: Type, span: Span): RValue | null;
  /** `(char *)p - offsetof(T, m)` written out: KC320 pointing at container_of; null when e is not that. */
  protected abstract byteArithmetic(e: Extract<Expr, { kind: "binary" }>): RValue | null;
  /** A binary operator with a pointer operand other than == and != (null: not one; the caller reports it). */
  protected abstract pointerBinary(
    op: import("../ir").BinOp,
    l: RValue,
    r: RValue,
    span: Span,
  ): RValue | null;
}
