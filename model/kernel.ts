// The kernel side that KC programs get for free: task states, the Linux 2.0 wait queue and its
// primitives, written in KC itself so they step, sleep and race exactly like user code. The KC
// text lives in model/prelude/ (headers named as the kernel's); this module names the files.
import { kernelIntTypedefs } from "./ctypes";
import { PRELUDE_FILES } from "./preludeFiles";

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
export const PRELUDE: string = preludeText(LEGACY_PRELUDE);

/**
 * The text of the prelude file a spec starts with (legacy or core): the file, then the kernel's
 * integer typedefs on i386 (include/linux/types.h, include/asm-i386/types.h, posix_types.h),
 * generated from model/ctypes.ts and put last so that the file's lines keep their numbers in
 * traces.
 */
export function preludeText(name: string): string {
  return `${PRELUDE_FILES.get(name) ?? ""}\n${kernelIntTypedefs()}\n`;
}

/** The era header a 2.0 spec includes explicitly, and where its text comes from. */
export const LINUX_20_HEADER = "linux-2.0/sched.h";

/**
 * `<linux-2.0/sched.h>`: the Linux 2.0 part of the legacy prelude (its wait queues, `sleep_on`,
 * `wake_up`, `set_current_state`, signals), for a spec that names its era with an include. The
 * text is the legacy prelude's own lines, each at its own line number (so a trace reads the same
 * either way), with what the core already defines (task states, `task_struct`, GFP flags) and
 * what is not 2.0's (spin locks, error pointers, after the signals) left out as blank lines.
 */
export function linux20Header(): string {
  const lines = (PRELUDE_FILES.get(LEGACY_PRELUDE) ?? "").split("\n");
  const end = lines.findIndex((l) => l.startsWith("// include/linux/spinlock.h"));
  const gfp = lines.findIndex((l) => l.startsWith("// include/linux/gfp.h"));
  const waitQueues = lines.findIndex((l) => l.startsWith("// Wait queues of both eras"));
  return lines
    .slice(0, end < 0 ? lines.length : end)
    .map((l, i) => (i < waitQueues || (i >= gfp && i <= gfp + 2) ? "" : l))
    .join("\n");
}
