// The program's processes as data: the task_struct layout the machine takes from the program,
// and (later layers of this file) naming another process's task.
import type { Decl, Span } from "../ast";
import type { TaskLayout } from "../ir";
import { showType } from "../types";
import { Statements } from "./statements";

/** The task_struct fields the machine reads and writes itself, each a plain int. */
export const MACHINE_TASK_FIELDS = ["pid", "state", "signal", "blocked"] as const;

export abstract class Processes extends Statements {
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
