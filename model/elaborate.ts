// Name resolution, type checking and lowering of KC declarations to the IR, in one pass per body.
//
// Checking and lowering share a walk: every expression is typed as it is lowered, and an ill-typed
// expression reports a diagnostic and lowers to a placeholder so that checking goes on and the
// user sees all errors of a file at once.
import type { Decl, Span, Stmt } from "./ast";
import {
  type ExecModel,
  type IExpr,
  type Instr,
  type InstrInfo,
  type Lowered,
  MAX_TAGGED_UNITS,
  type Unit,
} from "./ir";
import { layoutMachine, TASK_REGS } from "./layout";
import { showType, sizeOf, type Type } from "./types";

export {
  type ElaborateOptions,
  MAX_STATE_WORDS,
  type Overrides,
  RECURSIVE_STACK_WORDS,
} from "./elab/context";
export { BUILTIN_PROPERTIES, successors } from "./elab/util";

/**
 * Lowers a whole program. Throws CompileError with every diagnostic found. Task blocks lie
 * after the stacks of the processes before them, whose sizes are known only once every body is
 * lowered: a program that names a process's task block (`&worker[1]`, a property over
 * processes) is lowered a second time with the first one's layout, which it then keeps
 * (the addresses are constants in pure expressions: no instruction or frame changes).
 */
export function elaborate(decls: Decl[], overrides: Overrides, options: ElaborateOptions = {}): Lowered {
  const first = new Elaborator(overrides, options);
  let run = first;
  let p = first.run(decls);
  let opts = options;
  if (first.hasPointerArithmetic() && options.redzones !== true) {
    // Laid out again with a redzone after every variable: the -D overrides are marked used again.
    for (const o of overrides.values()) o.used = false;
    opts = { ...options, redzones: true };
    run = new Elaborator(overrides, opts);
    p = run.run(decls);
  }
  if (!run.namesProcesses) return p;
  const layout = layoutMachine(p);
  for (const o of overrides.values()) o.used = false;
  const again = new Elaborator(overrides, { ...opts, procSlots: layout.procs }).run(decls);
  const moved = layoutMachine(again);
  if (moved.words !== layout.words || moved.procs.some((s, i) => s.base !== layout.procs[i]?.base))
    throw new Error("internal error: the second elaboration laid the machine out differently");
  return again;
}

import {
  type ElaborateOptions,
  type FnSig,
  MAX_STATE_WORDS,
  type Overrides,
  RECURSIVE_STACK_WORDS,
} from "./elab/context";
import { Operands } from "./elab/operands";
import { privateCandidates } from "./elab/privacy";
import { BUILTIN_PROPERTIES, collectEscaping, instrVisible, NOSPAN, successors } from "./elab/util";

class Elaborator extends Operands {
  run(all: Decl[]): Lowered {
    const decls = this.taskStructDecls(all);
    // Instruction 0 is never run: pc 0 in a task block means "no code here" (the task exited,
    // or a handler is idle), so no unit may start at 0 (see PC_NONE in ir.ts).
    this.code.push({ k: "exit", at: this.site(NOSPAN) });
    this.info.push({ boundary: false, visible: false, unit: -1 });
    // Pass 1: types, constants, globals and function signatures, in order.
    for (const d of decls) this.declare(d);
    this.noteAddressTaken(decls);
    const task = this.taskLayout();
    this.declareProcesses(decls);
    this.findNamedLocals(decls);
    for (const [name, o] of this.overrides) {
      if (!o.used)
        this.error("KC402", null, `-D ${name}=${o.value}: the program has no constant named '${name}'`);
    }
    // Pass 2: bodies.
    for (const d of decls) {
      if (d.kind === "function" && d.body) this.lowerFunction(d);
      else if (d.kind === "process" || d.kind === "interrupt") this.lowerProcess(d);
    }
    this.checkPointedFunctionsDefined();
    this.lowerInit(decls);
    for (const d of decls) if (d.kind === "property") this.lowerProperty(d);
    this.keepNamedLocals();
    for (const d of decls) if (d.kind === "expect") this.checkExpect(d);
    if (this.processes.length === 0) this.error("KC405", null, "the program declares no process to run");
    const model = this.executionModel(decls);
    // The up model's CPU word is one more global, after every declared one (-1: smp, no word).
    const cpuWord = model === "up" ? this.globalInit.push(0) - 1 : -1;
    this.diags.check();
    this.computeStacks();
    this.checkStateSize();
    this.diags.check();
    this.computeGroups(model);
    this.diags.check();
    return {
      code: this.code,
      info: this.info,
      sites: this.sites,
      units: this.units,
      globals: this.globals,
      globalWords: this.globalInit.length,
      globalInit: Int32Array.from(this.globalInit),
      processes: this.processes,
      interrupts: this.interrupts,
      properties: this.properties,
      expect: this.expect,
      constants: this.constants,
      replaced: this.replaced,
      functionUnits: this.fnList.map((f) => f.unit),
      functionNames: this.fnList.map((f) => f.name),
      stackTagUnits: this.stackTagUnits,
      ...(this.options.redzones === true ? { redzones: true } : {}),
      pools: this.pools,
      structs: this.structs,
      task,
      init: this.initUnit,
      observed: this.observedWords(),
      model,
      cpuWord,
    };
  }

  /** The `--model` override, else the program's one `model` declaration, else smp. */
  protected executionModel(decls: Decl[]): ExecModel {
    const declared = decls.filter((d) => d.kind === "model");
    for (const d of declared.slice(1))
      this.error("KC411", d.span, "a program has at most one model declaration");
    return this.options.model ?? declared[0]?.model ?? "smp";
  }

  // ------------------------------------------------------------ bodies

  protected lowerFunction(d: Extract<Decl, { kind: "function" }>): void {
    const sig = this.fns.get(d.name) as FnSig;
    if (sig.decl !== d) return; // a prototype met after the definition
    const ctx = this.beginUnit("function", d.name, d.span, sig);
    sig.unit = this.units.length - 1;
    ({ names: ctx.escaping, goto: ctx.hasGoto } = collectEscaping(d.body as Stmt));
    for (let i = 0; i < d.params.length; i++) {
      const p = d.params[i] as (typeof d.params)[number];
      const t = sig.params[i] as Type;
      // A struct parameter takes its words, filled by the call with a copy of the argument.
      const size = Math.max(1, sizeOf(t, this.structs));
      const off = this.allocLocal(size);
      for (let w = 0; w < size; w++) ctx.unit.paramWords.push(off + w);
      this.allocLocal(this.redzone()); // the call stores arguments at the parameters' words
      if (ctx.scopes[0]?.has(p.name)) this.error("KC202", p.span, `parameter '${p.name}' appears twice`);
      ctx.scopes[0]?.set(p.name, { k: "local", off, type: t, escapes: ctx.escaping.has(p.name) });
      // Every word of a struct parameter is shared once its address is taken, not just the first.
      if (ctx.escaping.has(p.name)) for (let w = off; w < off + size; w++) ctx.escapingWords.add(w);
      ctx.unit.params.push({ name: p.name, type: t, offset: off });
      if (sizeOf(t, this.structs) < 1)
        this.error("KC312", p.span, `parameter '${p.name}' must have a complete type, not ${showType(t)}`);
    }
    this.currentSite = this.site(d.span);
    this.lowerStmt(d.body as Stmt);
    // Falling off the end returns (no value: a non-void function's caller then reads 0).
    this.pendingBoundary = true;
    this.currentSite = this.site({ file: d.span.file, start: d.span.end - 1, end: d.span.end });
    // A struct result is all zeros then, as an int result is 0: the caller's words are defined.
    const struct = sig.returns.k === "struct";
    const words =
      struct && this.roomForCopy(sizeOf(sig.returns, this.structs), d.span)
        ? sizeOf(sig.returns, this.structs)
        : 0;
    const zeros: IExpr[] = Array.from({ length: words }, () => ({ k: "const", v: 0 }));
    this.emit({ k: "ret", values: zeros, at: this.currentSite });
    this.endUnit(ctx);
  }

  protected lowerProcess(d: Extract<Decl, { kind: "process" | "interrupt" }>): void {
    const count = d.kind === "process" && d.count ? this.constExpr(d.count) : 1;
    if (count < 1)
      this.error(
        "KC403",
        d.kind === "process" && d.count ? d.count.span : d.span,
        `process ${d.name} needs at least one instance, not ${count}`,
      );
    if ([...this.processes, ...this.interrupts].some((p) => p.name === d.name))
      this.error("KC202", d.nameSpan, `'${d.name}' is already declared as a process or interrupt`);
    const ctx = this.beginUnit(d.kind, d.name, d.span, null);
    ({ names: ctx.escaping, goto: ctx.hasGoto } = collectEscaping(d.body));
    // A local that a property reads is seen from outside, as one whose address is taken.
    for (const n of this.namedLocals.get(d.name) ?? []) ctx.escaping.add(n);
    const rec = { name: d.name, count: Math.max(1, count), unit: this.units.length - 1 };
    if (d.kind === "process") this.processes.push(rec);
    else this.interrupts.push(rec);
    this.currentSite = this.site(d.span);
    this.lowerStmt(d.body);
    this.pendingBoundary = true;
    const end: Span = { file: d.span.file, start: d.span.end - 1, end: d.span.end };
    // A process whose body ends calls exit(): with a library that defines do_exit
    // (kernel/exit.c), it runs, so the exit hooks (closing files, undoing semaphores) run as
    // for a killed task, and it ends in do_task_dead.
    if (d.kind === "process" && this.fns.get("do_exit")?.decl?.body) {
      this.lowerStmt({
        kind: "expr",
        expr: {
          kind: "call",
          callee: "do_exit",
          calleeSpan: end,
          args: [{ kind: "int", value: 0, span: end }],
          span: end,
        },
        span: end,
      });
      this.pendingBoundary = true;
    }
    this.currentSite = this.site(end);
    this.emit({ k: "exit", at: this.currentSite });
    this.endUnit(ctx);
  }

  protected lowerProperty(d: Extract<Decl, { kind: "property" }>): void {
    if (this.properties.some((p) => p.name === d.name) || BUILTIN_PROPERTIES.includes(d.name))
      this.error("KC202", d.nameSpan, `property '${d.name}' is already defined`);
    // A property is a pure expression over global memory: lower it in a scratch unit and
    // reject anything that would need instructions (calls, assignments).
    this.beginUnit("function", `<property ${d.name}>`, d.span, null);
    const start = this.code.length;
    this.noHoist++;
    this.inPropertyExpr = true;
    const r = this.rvalue(d.expr);
    const shown = this.operands(d.expr);
    this.inPropertyExpr = false;
    this.noHoist--;
    if (this.code.length !== start)
      this.error(
        "KC406",
        d.expr.span,
        "a property must be a side-effect-free expression (no calls, assignments or choose)",
      );
    this.code.length = start;
    this.info.length = start;
    this.units.pop();
    this.callees.pop();
    this.cur = null;
    this.condition(r, d.expr.span);
    this.properties.push({ kind: d.property, name: d.name, expr: r.x, span: d.span, shown });
  }

  protected checkExpect(d: Extract<Decl, { kind: "expect" }>): void {
    if (this.expect) {
      this.error("KC407", d.span, "a program has at most one expect declaration");
      return;
    }
    if (d.verdict === "violation" && d.property) {
      const known =
        this.properties.some((p) => p.name === d.property) || BUILTIN_PROPERTIES.includes(d.property);
      if (!known)
        this.error(
          "KC209",
          d.span,
          `expect names no property '${d.property}' (declared: ${[...this.properties.map((p) => p.name), ...BUILTIN_PROPERTIES].join(", ")})`,
        );
    }
    this.expect = { verdict: d.verdict, property: d.property, span: d.span };
  }

  // ------------------------------------------------------------ post passes

  /** Stack bound of every unit: its frame plus the deepest chain of callees. */

  /** The whole state (globals, then each task's block and stack; see layoutMachine) fits: KC410 if not. */
  protected checkStateSize(): void {
    // Stack pointers carry a unit number above the address bits (ir.ts).
    if (this.stackTagUnits.length > MAX_TAGGED_UNITS)
      this.error(
        "KC410",
        null,
        `${this.stackTagUnits.length} functions, processes and handlers take the address of a local; KC allows at most ${MAX_TAGGED_UNITS}`,
      );
    let total = this.globalInit.length;
    const taskWords = Math.max(0, this.structs.get("task_struct")?.size ?? 0);
    const init = this.initUnit < 0 ? [] : [{ name: "init", count: 1, unit: this.initUnit }];
    for (const rec of [...this.processes, ...this.interrupts, ...init]) {
      const unit = this.units[rec.unit] as Unit;
      const stack = unit.maxStack < 0 ? RECURSIVE_STACK_WORDS : Math.max(1, unit.maxStack);
      const header = TASK_REGS + (unit.kind === "process" ? taskWords : 0);
      const words = rec.count * (header + stack);
      total += words;
      if (total > MAX_STATE_WORDS) {
        this.error(
          "KC410",
          unit.span,
          `${rec.count} instance${rec.count === 1 ? "" : "s"} of ${rec.name} need ${words} words (task blocks and stacks), which brings the state to ${total} words; a state holds at most ${MAX_STATE_WORDS} words (1 MiB)`,
        );
        return;
      }
    }
  }

  protected computeStacks(): void {
    const unitOfFn = this.fnList.map((f) => f.unit);
    const calleeUnits = (u: number): number[] =>
      [...(this.callees[u] ?? [])].map((fi) => unitOfFn[fi] ?? -1).filter((cu) => cu >= 0);
    // Post-order over the call graph with a stack of its own (a chain of calls may be longer
    // than the JS stack); a unit that can reach recursion has no bound: -1.
    const memo = new Map<number, number>();
    const onPath = new Set<number>();
    const path: Array<{ u: number; next: number[]; deepest: number }> = [];
    const enter = (u: number): void => {
      onPath.add(u);
      path.push({ u, next: calleeUnits(u), deepest: 0 });
    };
    for (let root = 0; root < this.units.length; root++) {
      if (!memo.has(root)) enter(root);
      while (path.length > 0) {
        const top = path[path.length - 1] as (typeof path)[number];
        const callee = top.deepest < 0 ? undefined : top.next.pop();
        if (callee === undefined) {
          path.pop();
          onPath.delete(top.u);
          const r = top.deepest < 0 ? -1 : (this.units[top.u] as Unit).frameSize + top.deepest;
          memo.set(top.u, r);
          const caller = path[path.length - 1];
          if (caller) caller.deepest = r < 0 ? -1 : Math.max(caller.deepest, r);
          continue;
        }
        const m = memo.get(callee);
        if (m !== undefined) top.deepest = m < 0 ? -1 : Math.max(top.deepest, m);
        else if (onPath.has(callee)) top.deepest = -1;
        else enter(callee);
      }
    }
    this.units.forEach((u, i) => {
      u.maxStack = memo.get(i) ?? -1;
    });
  }

  /**
   * Marks each statement group (the instructions reachable from a boundary without crossing
   * another) visible when any of its instructions may touch memory other processes can see.
   */
  protected computeGroups(model: ExecModel): void {
    const n = this.code.length;
    // In the up model a call from a process body is a system call: the task may be preempted
    // in user space right up to it, so it starts a visible group of its own (the step before
    // ends there, and the state before the call is one where any task may run).
    const sysCall = new Uint8Array(n);
    if (model === "up" || this.options.callBoundaries === true)
      for (let i = 0; i < n; i++)
        if (this.code[i]?.k === "call" && this.units[this.info[i]?.unit ?? -1]?.kind === "process") {
          sysCall[i] = 1;
          (this.info[i] as InstrInfo).boundary = true;
        }
    for (const pc of this.restingPoints) (this.info[pc] as InstrInfo).boundary = true;
    const own = new Uint8Array(n);
    for (let i = 0; i < n; i++) own[i] = instrVisible(this.code[i] as Instr) ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const inf = this.info[i] as InstrInfo;
      if (!inf.boundary) continue;
      const seen = new Set<number>();
      const stack = [i];
      let vis = false;
      while (stack.length > 0 && !vis) {
        const j = stack.pop() as number;
        if (seen.has(j)) continue;
        seen.add(j);
        if (own[j]) vis = true;
        for (const s of successors(this.code[j] as Instr, j)) {
          if (s >= 0 && s < n && !(this.info[s] as InstrInfo).boundary) stack.push(s);
        }
      }
      const forced = sysCall[i] === 1 || this.restingPoints.has(i);
      if (this.restingPoints.has(i)) inf.rest = true;
      inf.visible = vis || forced || this.options.noMerge === true;
      // A system call's entry under the uniprocessor model, or a place a property observes a
      // task at, must start a step: never merged.
      if (vis && !forced && this.options.noMerge !== true) {
        const addrs = privateCandidates(this.code, this.info, i);
        if (addrs !== null) inf.privateAddrs = addrs;
      }
    }
  }
}
