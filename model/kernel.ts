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
