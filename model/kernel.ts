// The kernel side that KC programs get for free: task states, the Linux 2.0 wait queue and its
// primitives, written in KC itself so they step, sleep and race exactly like user code. The KC
// text lives in model/prelude/ (headers named as the kernel's); this module names the files.
import { PRELUDE_FILES } from "./preludeFiles";

/**
 * Built-in struct task_struct layout (word offsets). The machine keeps a task's registers
 * right after these fields, in the same task block (see machine layout in checker/layout.ts).
 */
export const TASK_FIELDS = ["pid", "state", "signal", "blocked"] as const;

/** File name under which the prelude appears in messages and traces. */
export const PRELUDE_NAME = "<kernel>";

/** The legacy prelude's file, under model/prelude/, and the core every modern spec gets first. */
export const LEGACY_PRELUDE = "kc-legacy.h";
export const CORE_PRELUDE = "kc-core.h";

/**
 * The prelude of a spec that includes no kernel header (`#include <linux/...>`): Linux 2.0 wait
 * queues that also answer to the modern names, `sleep_on`, `wake_up`, signals, a spinlock. Every
 * rule cites the Linux file it models; statement granularity matters (a statement is one step,
 * `atomic` marks what the kernel did under cli() or as one locked instruction).
 */
export const PRELUDE: string = PRELUDE_FILES.get(LEGACY_PRELUDE) ?? "";
