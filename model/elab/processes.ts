// The program's processes as data: the task_struct layout the machine takes from the program,
// and (later layers of this file) naming another process's task.
import type { Decl, Expr, Span } from "../ast";
import type { IExpr, TaskLayout } from "../ir";
import { T_PC, TASK_REGS } from "../layout";
import { INT, isIntegral, showType, sizeOf, type Type } from "../types";
import { C0, ERR, type LValue, MAX_STATE_WORDS, type RValue, type Sym } from "./context";
import { Statements } from "./statements";
import { collectEscaping, fold, NOSPAN, takes } from "./util";

/** The task_struct fields the machine reads and writes itself, each a plain int. */
export const MACHINE_TASK_FIELDS = ["pid", "state", "signal", "blocked"] as const;

export abstract class Processes extends Statements {
  /** The unit of the init blocks (-1: none). */
  protected initUnit = -1;

  /**
   * Every `init { }` of the program, in source order, as one unit: each block a scope of its
   * own, the unit ending like a handler's (its block all zero again). It runs before any
   * process starts (checker/init.ts), with no `current`, and may not choose or wait.
   */
  protected lowerInit(decls: Decl[]): void {
    const blocks = decls.filter((d): d is Extract<Decl, { kind: "init" }> => d.kind === "init");
    const first = blocks[0];
    if (!first) return;
    const ctx = this.beginUnit("init", "init", first.span, null);
    this.initUnit = this.units.length - 1;
    for (const b of blocks) {
      const { names, goto } = collectEscaping(b.body);
      for (const n of names) ctx.escaping.add(n);
      ctx.hasGoto ||= goto;
    }
    for (const b of blocks) {
      this.currentSite = this.site(b.span);
      this.lowerStmt(b.body);
    }
    const last = blocks[blocks.length - 1] as (typeof blocks)[number];
    this.pendingBoundary = true;
    this.currentSite = this.site({ file: last.span.file, start: last.span.end - 1, end: last.span.end });
    this.emit({ k: "exit", at: this.currentSite });
    this.endUnit(ctx);
  }

  /**
   * The definitions of struct task_struct to declare. The prelude's is the default; a program
   * that defines struct task_struct itself replaces it (as a kernel configures its own header),
   * and then the prelude's is dropped before anything is declared.
   */
  protected taskStructDecls(decls: Decl[]): Decl[] {
    const prelude = this.options.preludeFile;
    const isDef = (d: Decl): boolean => d.kind === "struct" && d.name === "task_struct" && d.fields !== null;
    const own = decls.find((d) => isDef(d) && d.span.file !== prelude);
    this.taskStructSpan = (own ?? decls.find(isDef))?.span ?? null;
    if (prelude === undefined || !own) return decls;
    return decls.filter((d) => !(isDef(d) && d.span.file === prelude));
  }

  /** Where the struct task_struct in use is defined, for KC420. */
  protected taskStructSpan: Span | null = null;

  /** The layout of the program's struct task_struct; KC420 when a field the machine needs is missing or not an int. */
  protected taskLayout(): TaskLayout {
    const info = this.structs.get("task_struct");
    const out: TaskLayout = { size: Math.max(0, info?.size ?? 0), pid: 0, state: 0, signal: 0, blocked: 0 };
    if (!info || info.size < 0) {
      this.error(
        "KC420",
        this.taskStructSpan,
        "struct task_struct is not defined: the machine lays one out for every process",
      );
      return out;
    }
    if (info.union) {
      this.error(
        "KC420",
        this.taskStructSpan,
        "task_struct is a union: the machine needs a struct, one word per field",
      );
      return out;
    }
    for (const name of MACHINE_TASK_FIELDS) {
      const f = info.fields.find((x) => x.name === name);
      if (!f)
        this.error(
          "KC420",
          this.taskStructSpan,
          `struct task_struct has no field '${name}': the machine needs 'int ${name};'`,
        );
      else if (f.type.k !== "int" || f.type.lo !== null)
        this.error(
          "KC420",
          this.taskStructSpan,
          `field '${name}' of struct task_struct is ${showType(f.type)}: the machine needs 'int ${name};'`,
        );
      else out[name] = f.offset;
    }
    return out;
  }
}

/** Where a process instance lives in the state (model/layout.ts Slot), as elaboration needs it. */
export interface ProcSlot {
  base: number;
  task: number;
  stackBase: number;
}

/**
 * Processes as data: `&worker[i]` and `find_task_by_vpid(pid)` in code, and in properties a
 * process instance's body locals (`worker[1].x`), where it is (`at`, `in`, `exited`) and
 * quantifiers over instances. Task blocks lie after the globals and the stacks of the processes
 * before them, so their addresses are known only once every body is lowered: a program that
 * names them is elaborated twice, the second time with the first one's layout (see elaborate).
 */
export abstract class ProcessRefs extends Processes {
  /** Every process by name, from its declaration (bodies may name processes declared later). */
  protected readonly procByName = new Map<string, { index: number; count: number; first: number }>();
  /** Some code or property named a process's task block: the layout must be known (see elaborate). */
  namesProcesses = false;
  /** While a property is lowered: only there may a process's locals and whereabouts be read. */
  protected inPropertyExpr = false;
  /** Body-frame words that properties read, per process index: kept when the process exits. */
  protected readonly keptLocals = new Map<number, Array<[number, number]>>();

  /** A property is one expression over a state: it has no statements to run. */
  protected override statementExpression(e: Extract<Expr, { kind: "stmtExpr" }>, wantValue: boolean): RValue {
    if (!this.inPropertyExpr) return super.statementExpression(e, wantValue);
    this.checkOnly(() => super.statementExpression(e, wantValue));
    this.error(
      "KC406",
      e.span,
      "a statement expression ({ ... }) cannot be part of a property: a property is one expression over a state, without statements",
    );
    return { x: C0, type: ERR };
  }
  /**
   * Body locals that some property reads, by process and name, found in the properties' text
   * before any body is lowered: such a local is lowered as one whose address is taken, so its
   * stores are shared steps, never merged into a neighbour's, and a property sees every value.
   */
  protected readonly namedLocals = new Map<string, Set<string>>();

  protected findNamedLocals(decls: Decl[]): void {
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) for (const y of x) visit(y);
      else if (x && typeof x === "object") {
        const n = x as Expr;
        if (n.kind === "member" && !n.arrow) {
          const b = n.base.kind === "index" ? n.base.base : n.base;
          if (b.kind === "name" && this.procByName.has(b.name) && !this.globalsScope.has(b.name)) {
            const names = this.namedLocals.get(b.name) ?? new Set<string>();
            names.add(n.field);
            this.namedLocals.set(b.name, names);
          }
        }
        for (const [k, v] of Object.entries(x)) if (k !== "span") visit(v);
      }
    };
    for (const d of decls) if (d.kind === "property") visit(d.expr);
  }

  /** Registers every process's name and instance count before any body is lowered. */
  protected declareProcesses(decls: Decl[]): void {
    let first = 0;
    for (const d of decls) {
      if (d.kind !== "process" || this.procByName.has(d.name)) continue;
      const count = Math.max(1, d.count ? this.constExpr(d.count) : 1);
      this.procByName.set(d.name, { index: this.procByName.size, count, first });
      first += count;
    }
  }

  /** The slot of instance `k` of process `index`: the real one on the second pass, a stand-in on the first. */
  private slot(first: number, k: number): ProcSlot {
    this.namesProcesses = true;
    const known = this.options.procSlots?.[first + k];
    if (known) return known;
    // Distinct, non-zero and increasing, like real addresses, so that nothing folds differently.
    const base = MAX_STATE_WORDS + 64 * (first + k);
    return { base, task: base + TASK_REGS, stackBase: base + 32 };
  }

  /** `worker` or `worker[e]` where `worker` is a process and no variable of that name is in scope. */
  private procRef(
    e: Expr,
  ): { name: string; index: number; count: number; first: number; at: IExpr | null } | null {
    const named = e.kind === "name" ? e : e.kind === "index" && e.base.kind === "name" ? e.base : null;
    if (!named || this.lookup(named.name)) return null;
    const p = this.procByName.get(named.name);
    if (!p) return null;
    if (e.kind === "name") {
      if (p.count > 1)
        this.error(
          "KC422",
          e.span,
          `process ${named.name} has ${p.count} instances: name one, as ${named.name}[i]`,
        );
      return { name: named.name, ...p, at: C0 };
    }
    const ix = this.rvalue((e as Extract<Expr, { kind: "index" }>).index);
    if (!isIntegral(ix.type)) {
      if (ix.type !== ERR)
        this.error("KC301", e.span, `an instance number must be an integer, not ${showType(ix.type)}`);
      return { name: named.name, ...p, at: C0 };
    }
    const at = fold(ix.x);
    if (at.k === "const" && (at.v < 0 || at.v >= p.count)) {
      this.error(
        "KC422",
        e.span,
        `process ${named.name} has ${p.count} instance${p.count === 1 ? "" : "s"}: ${named.name}[${at.v}] is none of them`,
      );
      return { name: named.name, ...p, at: C0 };
    }
    return {
      name: named.name,
      ...p,
      at: at.k === "const" ? at : { k: "index", e: at, n: p.count, span: e.span },
    };
  }

  /** A word of instance `at` of the process: `part` of its slot plus `off`. */
  private slotWord(
    r: NonNullable<ReturnType<ProcessRefs["procRef"]>>,
    part: keyof ProcSlot,
    off: number,
  ): IExpr {
    const s0 = this.slot(r.first, 0);
    if (r.at?.k === "const") return { k: "const", v: this.slot(r.first, r.at.v)[part] + off };
    // Instances of one process have blocks of one size, one after the other.
    const stride = r.count > 1 ? this.slot(r.first, 1).base - s0.base : 0;
    const scaled: IExpr = { k: "bin", op: "*", l: r.at ?? C0, r: { k: "const", v: stride }, span: NOSPAN };
    return { k: "bin", op: "+", l: { k: "const", v: s0[part] + off }, r: scaled, span: NOSPAN };
  }

  protected processTask(e: Expr): RValue | null {
    const r = this.procRef(e);
    if (!r) return null;
    return { x: this.slotWord(r, "task", 0), type: { k: "ptr", to: { k: "struct", name: "task_struct" } } };
  }

  protected processLocal(e: Extract<Expr, { kind: "member" }>): LValue | null {
    const r = this.procRef(e.base);
    if (!r) return null;
    const fail: LValue = { addr: C0, type: ERR, local: false };
    if (!this.inPropertyExpr) {
      this.error("KC406", e.span, `a local of process ${r.name} can be named only in a property`);
      return fail;
    }
    if (r.at?.k !== "const") {
      this.error(
        "KC401",
        e.base.span,
        `name one instance of ${r.name} by a constant (or a forall/exists variable)`,
      );
      return fail;
    }
    const unit = this.units[this.processes[r.index]?.unit ?? -1];
    const vars = (unit?.locals ?? []).filter((v) => v.name === e.field);
    const v = vars[0];
    if (!v) {
      this.error(
        "KC204",
        e.span,
        `the body of process ${r.name} declares no local '${e.field}' (a local of a function it calls has no fixed place and cannot be named)`,
      );
      return fail;
    }
    if (vars.length > 1)
      this.error(
        "KC422",
        e.span,
        `the body of process ${r.name} declares '${e.field}' ${vars.length} times: rename one to name it`,
      );
    const size = sizeOf(v.type, this.structs);
    const kept = this.keptLocals.get(r.index) ?? [];
    if (!kept.some(([o]) => o === v.offset)) kept.push([v.offset, size]);
    this.keptLocals.set(r.index, kept);
    return {
      addr: { k: "const", v: this.slot(r.first, r.at.v).stackBase + v.offset },
      type: v.type,
      local: false,
    };
  }

  protected processPredicate(e: Extract<Expr, { kind: "where" | "quantifier" }>): RValue {
    if (!this.inPropertyExpr) {
      this.error("KC406", e.span, `'${e.kind === "where" ? e.op : e.q}' may stand only in a property`);
      return { x: C0, type: ERR };
    }
    if (e.kind === "quantifier") return this.quantifier(e);
    const r = this.procRef(e.process);
    if (!r) {
      this.error(
        "KC201",
        e.process.span,
        `'${e.op}' needs a process instance, as worker[1] ${e.op}${e.op === "exited" ? "" : " ..."}`,
      );
      return { x: C0, type: ERR };
    }
    const pc: IExpr = { k: "load", addr: this.slotWord(r, "base", T_PC), local: false };
    const eq = (v: number): IExpr => ({ k: "bin", op: "==", l: pc, r: { k: "const", v }, span: e.span });
    if (e.op === "exited") return { x: eq(0), type: INT };
    const unitIndex = this.processes[r.index]?.unit ?? -1;
    if (e.op === "at") {
      const label = this.unitLabels[unitIndex]?.get(e.name);
      if (!label) {
        this.error("KC207", e.nameSpan, `the body of process ${r.name} has no label '${e.name}'`);
        return { x: C0, type: ERR };
      }
      this.restingPoints.add(label.pc);
      return { x: eq(label.pc), type: INT };
    }
    return { x: this.inFunction(r, unitIndex, e), type: INT };
  }

  /**
   * Places a property observes a task resting at (`at` labels, the entry of an `in` function):
   * each starts a step of its own, never merged away (not even as an unpublished-object
   * statement), so that whether a task is there does not depend on how statements merge.
   */
  protected readonly restingPoints = new Set<number>();

  /** The absolute stack words that properties read (Lowered.observed). */
  protected observedWords(): number[] {
    const out: number[] = [];
    for (const [index, ranges] of this.keptLocals) {
      const p = [...this.procByName.values()].find((x) => x.index === index);
      if (!p) continue;
      for (let k = 0; k < p.count; k++) {
        const base = this.slot(p.first, k).stackBase;
        for (const [off, len] of ranges) for (let w = 0; w < len; w++) out.push(base + off + w);
      }
    }
    return out;
  }

  /** Marks, on each process's exit, the body words its properties read (Instr exit's keep). */
  protected keepNamedLocals(): void {
    for (const [index, ranges] of this.keptLocals) {
      const unit = this.processes[index]?.unit ?? -1;
      const at = this.code.findIndex((ins, pc) => ins.k === "exit" && this.info[pc]?.unit === unit);
      const exit = this.code[at];
      if (exit?.k !== "exit") continue;
      // Sorted and merged, so the clearing around them runs forward.
      const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
      const merged: Array<[number, number]> = [];
      for (const [off, len] of sorted) {
        const last = merged[merged.length - 1];
        if (last && off <= last[0] + last[1]) last[1] = Math.max(last[1], off + len - last[0]);
        else merged.push([off, len]);
      }
      exit.keep = merged;
    }
  }

  /**
   * `worker[1] in f`: some frame on the instance's stack is f's. Frames lie one after the other
   * from the stack base, each function frame starting with its return pc (0 once popped), so
   * each chain of calls from the body to f is a conjunction of return pcs at fixed addresses.
   */
  private inFunction(
    r: NonNullable<ReturnType<ProcessRefs["procRef"]>>,
    body: number,
    e: Extract<Expr, { kind: "where" }>,
  ): IExpr {
    const target = this.fns.get(e.name)?.unit ?? -1;
    if (target < 0) {
      this.error("KC205", e.nameSpan, `no function '${e.name}' with a body`);
      return C0;
    }
    // The task rests on entering f and before each return from it: between those, every state
    // in which it is in f and memory others see has changed is one it rests in (a visible step
    // ends at the next visible statement or at the return), merged or not.
    const entry = this.units[target]?.entry;
    if (entry !== undefined) this.restingPoints.add(entry);
    this.code.forEach((ins, pc) => {
      if (ins.k === "ret" && this.info[pc]?.unit === target) this.restingPoints.add(pc);
    });
    if (r.at?.k !== "const") {
      this.error(
        "KC401",
        e.process.span,
        `name one instance of ${r.name} by a constant (or a forall/exists variable)`,
      );
      return C0;
    }
    const calls: Array<Array<{ pc: number; unit: number }>> = this.units.map(() => []);
    this.code.forEach((ins, pc) => {
      const u = this.info[pc]?.unit ?? -1;
      if (ins.k === "call" && u >= 0) calls[u]?.push({ pc, unit: this.fnList[ins.fn]?.unit ?? -1 });
    });
    // Only chains towards f matter: recursion elsewhere in the call graph does not.
    const reaches = new Set<number>([target]);
    for (let grew = true; grew; ) {
      grew = false;
      calls.forEach((cs, u) => {
        if (!reaches.has(u) && cs.some((c) => reaches.has(c.unit))) {
          reaches.add(u);
          grew = true;
        }
      });
    }
    const paths: IExpr[] = [];
    const onPath: number[] = [];
    const walk = (unit: number, fp: number, cond: IExpr | null): void => {
      if (paths.length > MAX_CALL_PATHS) return;
      if (onPath.includes(unit)) {
        this.error(
          "KC422",
          e.span,
          `${e.name} may be called recursively from ${r.name}: '${e.op}' cannot follow its frames`,
        );
        paths.length = MAX_CALL_PATHS + 1;
        return;
      }
      onPath.push(unit);
      const header = fp + (this.units[unit]?.frameSize ?? 0);
      for (const c of calls[unit] ?? []) {
        if (!reaches.has(c.unit)) continue;
        const here: IExpr = {
          k: "bin",
          op: "==",
          l: { k: "load", addr: { k: "const", v: header }, local: false },
          r: { k: "const", v: c.pc + 1 },
          span: NOSPAN,
        };
        const both: IExpr = cond ? { k: "bin", op: "&&", l: cond, r: here, span: NOSPAN } : here;
        if (c.unit === target) paths.push(both);
        walk(c.unit, header, both);
      }
      onPath.pop();
    };
    walk(body, this.slot(r.first, r.at.v).stackBase, null);
    if (paths.length > MAX_CALL_PATHS) {
      this.error(
        "KC422",
        e.span,
        `${e.name} is reached from ${r.name} along more than ${MAX_CALL_PATHS} chains of calls`,
      );
      return C0;
    }
    return balanced(paths, "||");
  }

  /** `forall i: e` is e with i = 0, 1, ... joined by &&; `exists` by ||. */
  private quantifier(e: Extract<Expr, { kind: "quantifier" }>): RValue {
    const counts = new Set<number>();
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) for (const y of x) visit(y);
      else if (x && typeof x === "object") {
        const n = x as Expr;
        if (
          n.kind === "index" &&
          n.base.kind === "name" &&
          n.index.kind === "name" &&
          n.index.name === e.name
        ) {
          const p = this.lookup(n.base.name) ? undefined : this.procByName.get(n.base.name);
          if (p) counts.add(p.count);
        }
        for (const [k, v] of Object.entries(x)) if (k !== "span") visit(v);
      }
    };
    visit(e.body);
    const [count] = counts;
    const scopes = this.cur?.scopes ?? [];
    if (count === undefined || counts.size > 1) {
      // The body's own errors still count (an unknown name inside it, say).
      scopes.push(new Map<string, Sym>([[e.name, { k: "const", value: 0, type: INT }]]));
      this.rvalue(e.body);
      scopes.pop();
      this.error(
        "KC422",
        e.span,
        counts.size > 1
          ? `'${e.name}' indexes processes with different numbers of instances: quantify over one`
          : `'${e.name}' must index a process (as worker[${e.name}]): its instances are what ${e.q} ranges over`,
      );
      return { x: C0, type: ERR };
    }
    // Nested quantifiers multiply: their expansion is bounded, so a spec cannot make it explode.
    if (this.quantified * count > MAX_QUANTIFIED) {
      this.error("KC422", e.span, `the quantifiers here expand to more than ${MAX_QUANTIFIED} cases`);
      return { x: C0, type: ERR };
    }
    this.quantified *= count;
    const cases: IExpr[] = [];
    for (let v = 0; v < count; v++) {
      scopes.push(new Map<string, Sym>([[e.name, { k: "const", value: v, type: INT }]]));
      const r = this.rvalue(e.body);
      scopes.pop();
      this.condition(r, e.body.span);
      cases.push({ k: "bool", e: r.x });
    }
    this.quantified /= count;
    return { x: balanced(cases, e.q === "forall" ? "&&" : "||"), type: INT };
  }

  /** The product of the counts of the quantifiers being expanded. */
  private quantified = 1;

  protected findTaskByVpid(e: Extract<Expr, { kind: "call" }>): RValue {
    const type: Type = { k: "ptr", to: { k: "struct", name: "task_struct" } };
    const arg = this.rvalue(e.args[0] as Expr);
    if (!isIntegral(arg.type)) {
      if (arg.type !== ERR)
        this.error("KC304", e.span, `find_task_by_vpid takes a pid (an int), not ${showType(arg.type)}`);
      return { x: C0, type: ERR };
    }
    // The pid is read more than once: a value that reads a temporary is stored first.
    const pid = arg.x;
    if (takes(pid)) {
      const t = this.temp();
      this.emit({ k: "store", addr: this.frameAddr(t), value: pid, range: null, at: this.currentSite });
      const r = this.temp();
      this.emit({
        k: "store",
        addr: this.frameAddr(r),
        value: this.taskOfPid({ k: "load", addr: this.frameAddr(t), local: true }),
        range: null,
        at: this.currentSite,
      });
      // Clear the pid's temporary: dead temporaries must not make states differ.
      this.emit({ k: "store", addr: this.frameAddr(t), value: C0, range: null, at: this.currentSite });
      return { x: { k: "take", off: r }, type };
    }
    return { x: this.taskOfPid(pid), type };
  }

  /**
   * kernel/pid.c find_task_by_vpid: the task with that pid, NULL when there is none. Pids are
   * 1, 2, ... in slot order (model/layout.ts initialState); a task that has exited is not found,
   * unless the program reaps (defines release_task): then a zombie is found until it is released.
   */
  private taskOfPid(pid: IExpr): IExpr {
    const all = [...this.procByName.values()].flatMap((p) =>
      Array.from({ length: p.count }, (_, k) => this.slot(p.first, k)),
    );
    const cmp = (op: "<" | "<=" | ">", v: number): IExpr => ({
      k: "bin",
      op,
      l: pid,
      r: { k: "const", v },
      span: NOSPAN,
    });
    // A program that defines release_task (kernel/exit.c) reaps: a task that exits stays a zombie,
    // found by its pid, until release_task detaches the pid (clears the word: detach_pid).
    // Otherwise a task is found until it exits, as if its parent reaped it at once.
    const reaps = this.fns.get("release_task")?.decl?.body !== undefined;
    // The pid field's offset (taskLayout reports a missing one once, when the program is laid out).
    const pidOff = this.structs.get("task_struct")?.fields.find((f) => f.name === "pid")?.offset ?? 0;
    // A search tree over pids lo..hi (slots lo-1..hi-1): its depth grows with the log of the
    // number of tasks, so no expression is deeper than a few dozen levels.
    const tree = (lo: number, hi: number): IExpr => {
      if (lo === hi) {
        const s = all[lo - 1] as ProcSlot;
        // Found while it runs; with a library that reaps, while its pid word is not 0.
        const live: IExpr = {
          k: "bin",
          op: "!=",
          l: { k: "load", addr: { k: "const", v: reaps ? s.task + pidOff : s.base + T_PC }, local: false },
          r: C0,
          span: NOSPAN,
        };
        return { k: "cond", c: live, t: { k: "const", v: s.task }, f: C0 };
      }
      const mid = (lo + hi) >> 1;
      return { k: "cond", c: cmp("<=", mid), t: tree(lo, mid), f: tree(mid + 1, hi) };
    };
    if (all.length === 0) return C0;
    const inRange: IExpr = {
      k: "bin",
      op: "&&",
      l: { k: "bin", op: ">", l: pid, r: C0, span: NOSPAN },
      r: cmp("<=", all.length),
      span: NOSPAN,
    };
    return { k: "cond", c: inRange, t: tree(1, all.length), f: C0 };
  }
}

/** Most cases nested quantifiers may expand to (KC422). */
const MAX_QUANTIFIED = 4096;

/** `xs` joined by `op` as a balanced tree: no deeper than the log of their number. */
function balanced(xs: IExpr[], op: "&&" | "||"): IExpr {
  if (xs.length === 0) return { k: "const", v: op === "&&" ? 1 : 0 };
  if (xs.length === 1) return xs[0] as IExpr;
  const mid = xs.length >> 1;
  return { k: "bin", op, l: balanced(xs.slice(0, mid), op), r: balanced(xs.slice(mid), op), span: NOSPAN };
}

/** Most chains of calls `worker[1] in f` follows before it gives up (KC422). */
const MAX_CALL_PATHS = 64;
