// The program's processes as data: the task_struct layout the machine takes from the program,
// and (later layers of this file) naming another process's task.
import type { Decl, Span } from "../ast";
import type { TaskLayout } from "../ir";
import { showType } from "../types";
import { Statements } from "./statements";
import { collectEscaping } from "./util";

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
