// Calls: user functions, the builtins (assert, assume, await, choose, ...) and wait_event.
import type { Expr, Span, Stmt, TypeExpr } from "../ast";
import { isUnsigned32 } from "../ctypes";
import type { IExpr } from "../ir";
import { INT, isIntegral, isWordInt, showType, sizeOf, type Type, typeEquals, VOID } from "../types";
import { Containers } from "./containers";
import { C0, ERR, type RValue, type UnitCtx } from "./context";

/** The words all struct copies of a program may copy: far more than kernel structs need, and code that compiles in seconds. */
export const MAX_COPIED_WORDS = 1 << 16;

export abstract class Calls extends Containers {
  // ------------------------------------------------------------ calls

  protected call(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue {
    // Its arguments are read by the call itself: only calls among them are still ahead of them.
    this.callsAhead.delete(e);
    if (e.fn || this.callsThroughVariable(e.callee)) return this.indirectCall(e, wantValue);
    const prim = this.builtinCall(e, wantValue);
    if (prim) return prim;
    const sig = this.fns.get(e.callee);
    if (!sig) {
      this.error("KC205", e.calleeSpan, `unknown function '${e.callee}'`);
      for (const a of e.args) this.rvalue(a);
      return { x: C0, type: ERR };
    }
    if (!sig.decl?.body) {
      this.error("KC205", e.calleeSpan, `function '${e.callee}' is declared but never defined`);
    }
    if (e.args.length !== sig.params.length) {
      this.error(
        "KC303",
        e.span,
        `'${e.callee}' takes ${sig.params.length} argument${sig.params.length === 1 ? "" : "s"}, not ${e.args.length}`,
      );
    }
    const args: IExpr[] = [];
    e.args.forEach((a, i) => {
      const r = this.rvalue(a);
      const pt = sig.params[i];
      const what = `argument ${i + 1} of '${e.callee}'`;
      if (pt?.k === "struct") args.push(...this.structWords(r, pt, a.span, what));
      else args.push(pt ? this.convert(r, pt, a.span, what) : r.x);
    });
    // Arguments are evaluated before the call; a temp per argument keeps each evaluation in
    // the statement that contains it (not needed: the call instruction evaluates them).
    if (wantValue && sig.returns.k === "void") {
      this.error("KC309", e.span, `'${e.callee}' returns void; its value cannot be used`);
    }
    const words = this.resultWords(sig.returns);
    const dest = wantValue && sig.returns.k !== "void" ? this.allocLocal(words) : -1;
    this.callees[this.units.length - 1]?.add(sig.index);
    this.emit({
      k: "call",
      fn: sig.index,
      args,
      destOff: dest >= 0 ? dest : null,
      ...(words > 1 ? { destWords: words } : {}),
      at: this.currentSite,
    });
    // The instruction after a call is where the callee returns to: a step may end there.
    this.pendingBoundary = true;
    if (dest < 0) return { x: C0, type: sig.returns.k === "void" ? VOID : sig.returns };
    return this.callResult(dest, sig.returns);
  }

  /** Words all struct copies of the program have copied so far (see roomForCopy). */
  private copiedWords = 0;

  /**
   * Whether `n` more words of struct copies fit (KC410 once if not): each copied word is an
   * expression of the code, so a hostile spec that passes a huge struct in many calls would
   * otherwise make code of its size times its calls, which no machine holds.
   */
  protected roomForCopy(n: number, span: Span): boolean {
    const before = this.copiedWords;
    this.copiedWords += n;
    if (this.copiedWords <= MAX_COPIED_WORDS) return true;
    if (before <= MAX_COPIED_WORDS)
      this.error(
        "KC410",
        span,
        `struct copies (assignments, arguments, results) copy more than ${MAX_COPIED_WORDS} words in all: pass a pointer instead`,
      );
    return false;
  }

  /** Words of a function's result: a struct's size, else one. */
  protected resultWords(t: Type): number {
    return t.k === "struct" ? Math.max(1, sizeOf(t, this.structs)) : 1;
  }

  /** The value a call left in the frame words from `dest`: a struct stays in memory, as C's does. */
  protected callResult(dest: number, t: Type): RValue {
    if (t.k !== "struct") return { x: { k: "take", off: dest }, type: t };
    return { x: { k: "load", addr: this.frameAddr(dest), local: true }, type: t, result: dest };
  }

  /**
   * The words of a struct value of type `t`, one expression each, for a copy that an argument,
   * a return or an assignment makes: C copies a struct whole, nested structs and arrays with it.
   * A call's result is read with `take`, so that its temporary words are clear afterwards.
   */
  protected structWords(r: RValue, t: Extract<Type, { k: "struct" }>, span: Span, what: string): IExpr[] {
    const n = Math.max(1, sizeOf(t, this.structs));
    const zeros = (): IExpr[] => Array.from({ length: n }, () => C0);
    if (!this.roomForCopy(n, span)) return [];
    if (!typeEquals(r.type, t)) {
      if (r.type !== ERR)
        this.error(
          what === "assignment" || what === "return value" ? "KC301" : "KC304",
          span,
          `${what}: cannot use ${showType(r.type)} as ${showType(t)}`,
        );
      return zeros();
    }
    if (r.x.k !== "load") {
      this.error("KC302", span, "a struct value must come from memory");
      return zeros();
    }
    const { addr, local } = r.x;
    const dest = r.result;
    if (dest !== undefined) return Array.from({ length: n }, (_, w): IExpr => ({ k: "take", off: dest + w }));
    // The fine mode reads each shared word in a step of its own, as it reads a scalar: another
    // CPU may write the struct between two of them, and the copy then holds a torn value.
    return Array.from({ length: n }, (_, w) =>
      this.valueLoad({ addr: this.offsetAddr(addr, w), type: INT, local }),
    );
  }

  protected builtinCall(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue | null {
    const arity = (n: number): boolean => {
      if (e.args.length === n) return true;
      this.error(
        "KC303",
        e.span,
        `'${e.callee}' takes ${n} argument${n === 1 ? "" : "s"}, not ${e.args.length}`,
      );
      for (const a of e.args) this.speculate(() => this.rvalue(a));
      return false;
    };
    const noValue = (): RValue => {
      if (wantValue) this.error("KC309", e.span, `'${e.callee}' returns void; its value cannot be used`);
      return { x: C0, type: VOID };
    };
    if (this.fns.has(e.callee)) return null;
    const pointer = this.pointerBuiltin(e);
    if (pointer) return pointer;
    switch (e.callee) {
      case "find_task_by_vpid":
        return arity(1) ? this.findTaskByVpid(e) : { x: C0, type: ERR };
      case "choose": {
        if (!arity(2)) return { x: C0, type: ERR };
        const lo = this.rvalue(e.args[0] as Expr);
        const hi = this.rvalue(e.args[1] as Expr);
        if (!isIntegral(lo.type) || !isIntegral(hi.type))
          this.error("KC304", e.span, "choose(lo, hi) takes two integers");
        // It chooses an int, its bounds converted to int: an unsigned bound above INT_MAX would
        // become negative and choose from another range than the one written.
        for (const b of [lo, hi])
          if (isUnsigned32(b.type) && b.x.k === "const" && b.x.v < 0)
            this.error("KC304", e.span, `choose(lo, hi) chooses an int, and ${b.x.v >>> 0} is above INT_MAX`);
        const t = this.temp();
        this.emit({ k: "choose", dest: this.frameAddr(t), lo: lo.x, hi: hi.x, at: this.currentSite });
        return { x: { k: "take", off: t }, type: INT };
      }
      case "schedule":
      case "cli":
      case "sti":
      case "arch_local_irq_disable":
      case "arch_local_irq_enable":
      case "do_task_dead":
        if (arity(0)) this.emit({ k: "prim", name: e.callee, args: [], at: this.currentSite });
        if (e.callee === "schedule") this.pendingBoundary = true;
        return noValue();
      case "save_flags": {
        // include/asm-i386/system.h: save_flags(x) is a macro that stores EFLAGS in x.
        if (!arity(1)) return noValue();
        const lv = this.object(e.args[0] as Expr);
        // It stores 0 or 0x200 with no conversion: only a 32-bit int or unsigned holds that as is.
        if (!isWordInt(lv.type) && lv.type !== ERR)
          this.error(
            "KC304",
            e.span,
            `save_flags needs an int or unsigned long variable, not ${showType(lv.type)}`,
          );
        this.emit({ k: "prim", name: "save_flags", args: [lv.addr], at: this.currentSite });
        return noValue();
      }
      case "restore_flags":
      case "arch_local_irq_restore": {
        if (!arity(1)) return noValue();
        const r = this.rvalue(e.args[0] as Expr);
        if (!isIntegral(r.type)) this.error("KC304", e.span, `${e.callee} needs an integer`);
        this.emit({ k: "prim", name: e.callee, args: [r.x], at: this.currentSite });
        return noValue();
      }
      case "kmalloc": {
        // mm/slab.c kmalloc(size, flags): KC takes the object type from `sizeof(T)` or
        // `sizeof(*p)` and hands out a slot of that type's pool; NULL when the pool is empty.
        if (e.args.length !== 1 && e.args.length !== 2) {
          this.error("KC303", e.span, `'kmalloc' takes 1 or 2 arguments (size, flags), not ${e.args.length}`);
          for (const a of e.args) this.speculate(() => this.rvalue(a));
          return { x: C0, type: ERR };
        }
        const size = e.args[0] as Expr;
        if (e.args[1]) this.rvalue(e.args[1]);
        if (size.kind !== "sizeof") {
          this.speculate(() => this.rvalue(size));
          this.error(
            "KC409",
            size.span,
            "kmalloc's size must be sizeof(TYPE) or sizeof(*ptr), so that KC knows which pool to use",
          );
          return { x: C0, type: ERR };
        }
        const t = this.sizeofType(size.of);
        const pool = this.pools.findIndex((q) => typeEquals(q.type, t));
        if (pool < 0) {
          this.error(
            "KC409",
            size.span,
            `no pool of ${showType(t)} to allocate from: declare one, e.g. 'pool ${showType(t)}[4];'`,
          );
          return { x: C0, type: ERR };
        }
        const tmp = this.temp();
        this.emit({ k: "kmalloc", pool, destOff: tmp, at: this.currentSite });
        return { x: { k: "take", off: tmp }, type: { k: "ptr", to: t } };
      }
      case "kfree": {
        if (!arity(1)) return noValue();
        const r = this.rvalue(e.args[0] as Expr);
        if (r.type.k !== "ptr" && r.type.k !== "null")
          this.error("KC305", e.span, `kfree needs a pointer, not ${showType(r.type)}`);
        this.emit({ k: "kfree", ptr: r.x, at: this.currentSite });
        return noValue();
      }
      case "wait_event":
      case "wait_event_interruptible":
        if (!arity(2)) return { x: C0, type: ERR };
        return this.waitEvent(e, e.callee === "wait_event_interruptible");
      case "panic": {
        for (const a of e.args) if (a.kind !== "string") this.rvalue(a);
        const msg = e.args[0]?.kind === "string" ? e.args[0].value : "panic";
        this.emit({ k: "assert", cond: C0, message: `panic: ${msg}`, at: this.currentSite });
        return noValue();
      }
      default:
        return null;
    }
  }

  /**
   * include/linux/wait.h wait_event(wq, cond) and wait_event_interruptible(wq, cond): macros
   * whose condition is re-evaluated after every wake-up, expanded here as the kernel expands
   * them (___wait_event), with a hidden entry and result on the caller's stack:
   *
   *   if (!(cond)) { init_wait(&w); for (;;) { prepare_to_wait(&wq, &w, STATE); if (cond) break;
   *   [if (signal_pending(current)) { ret = -ERESTARTSYS; break; }] schedule(); } finish_wait(&wq, &w); }
   *
   * wait_event_interruptible yields 0, or -ERESTARTSYS when a signal cut the wait short.
   */
  protected waitEvent(e: Extract<Expr, { kind: "call" }>, interruptible: boolean): RValue {
    const c = this.cur as UnitCtx;
    const sp = e.span;
    // The condition is lowered twice (before sleeping and after each wake-up): a wait inside
    // it would double the code at every level, and cannot sleep with the task's state set.
    if (this.inWait) {
      this.error("KC406", sp, `${e.callee} cannot be used inside the condition of another wait`);
      return { x: C0, type: ERR };
    }
    const [wq, cond] = e.args as [Expr, Expr];
    const n = this.code.length;
    const entry = `__wait_entry_${n}`;
    const ret = `__wait_ret_${n}`;
    c.escaping.add(entry);
    const name = (x: string): Expr => ({ kind: "name", name: x, span: sp });
    const call = (f: string, args: Expr[]): Stmt => ({
      kind: "expr",
      expr: { kind: "call", callee: f, calleeSpan: sp, args, span: sp },
      span: sp,
    });
    const addr = (x: Expr): Expr => ({ kind: "unary", op: "&", operand: x, span: sp });
    const ifThen = (test: Expr, body: Stmt): Stmt => ({
      kind: "if",
      test,
      // biome-ignore lint/suspicious/noThenProperty: ast.ts names the branch of an `if` node "then".
      then: body,
      else: null,
      span: sp,
    });
    const state = name(interruptible ? "TASK_INTERRUPTIBLE" : "TASK_UNINTERRUPTIBLE");
    const loopBody: Stmt[] = [
      call("prepare_to_wait", [addr(wq), addr(name(entry)), state]),
      ifThen(cond, { kind: "break", span: sp }),
    ];
    if (interruptible)
      loopBody.push(
        ifThen(
          { kind: "call", callee: "signal_pending", calleeSpan: sp, args: [name("current")], span: sp },
          {
            kind: "block",
            body: [
              {
                kind: "expr",
                expr: {
                  kind: "assign",
                  op: "=",
                  target: name(ret),
                  value: { kind: "unary", op: "-", operand: name("ERESTARTSYS"), span: sp },
                  span: sp,
                },
                span: sp,
              },
              { kind: "break", span: sp },
            ],
            span: sp,
          },
        ),
      );
    loopBody.push(call("schedule", []));
    const intType: TypeExpr = { kind: "named", name: "int", span: sp };
    const block: Stmt = {
      kind: "block",
      body: [
        {
          kind: "decl",
          decls: [
            {
              name: ret,
              type: intType,
              init: { kind: "expr", expr: { kind: "int", value: 0, span: sp }, span: sp },
              isStatic: false,
              span: sp,
            },
          ],
          span: sp,
        },
        ifThen(
          { kind: "unary", op: "!", operand: cond, span: sp },
          {
            kind: "block",
            body: [
              {
                kind: "decl",
                decls: [
                  {
                    name: entry,
                    type: { kind: "typedef", name: "wait_queue_entry_t", span: sp },
                    init: null,
                    isStatic: false,
                    span: sp,
                  },
                ],
                span: sp,
              },
              call("init_wait", [addr(name(entry))]),
              {
                kind: "for",
                init: null,
                test: null,
                update: null,
                body: { kind: "block", body: loopBody, span: sp },
                span: sp,
              },
              call("finish_wait", [addr(wq), addr(name(entry))]),
            ],
            span: sp,
          },
        ),
      ],
      span: sp,
    };
    // The result variable must outlive the block: declare it in the enclosing scope.
    const body = (block as Extract<Stmt, { kind: "block" }>).body;
    this.lowerStmt(body[0] as Stmt);
    this.inWait = true;
    try {
      this.lowerStmt(body[1] as Stmt);
    } finally {
      this.inWait = false;
    }
    const r = this.lookup(ret);
    if (r?.k !== "local") return { x: C0, type: ERR };
    return { x: { k: "load", addr: this.frameAddr(r.off), local: !r.escapes }, type: INT };
  }
}
