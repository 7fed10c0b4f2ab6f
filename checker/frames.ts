// Which frames a step popped, for traces: a use after return names the variable its word
// belonged to and the step whose return (or exit) ended that variable's life.
import type { Lowered } from "../model/ir";
import { callerFrames } from "../model/ir";
import { type Slot, T_FP, T_PC } from "../model/layout";
import { type Frame, liveFrames } from "../model/objects";
import { sizeOf } from "../model/types";

/** The frames live on a task's stack in state `m`, outermost first (none once it exited). */
function chain(p: Lowered, m: Int32Array, slot: Slot, callerSize: Int32Array): Frame[] {
  return liveFrames(p, m, m[slot.base + T_PC] as number, m[slot.base + T_FP] as number, callerSize).reverse();
}

/**
 * The frames that the step from `before` to `after` of task `slot` popped, given the statement
 * boundaries it passed (`trail`): frames it entered and left within the step count too. A
 * recursive call is seen as staying in its frame, so its frames may be missed (then the
 * trace says less, never something wrong).
 */
export function poppedFrames(
  p: Lowered,
  slot: Slot,
  before: Int32Array,
  after: Int32Array,
  trail: number[],
): Frame[] {
  const callerSize = callerFrames(p).frameSize;
  const stack = chain(p, before, slot, callerSize);
  const popped: Frame[] = [];
  for (const pc of trail) {
    const unit = p.info[pc]?.unit ?? -1;
    const top = stack[stack.length - 1];
    if (unit < 0 || !top || unit === top.unit) continue;
    const outer = stack
      .slice(0, -1)
      .map((f) => f.unit)
      .lastIndexOf(unit);
    if (outer >= 0) popped.push(...stack.splice(outer + 1).reverse());
    else stack.push({ unit, fp: top.fp + (p.units[top.unit]?.frameSize ?? 0) });
  }
  // What is left must match the frames live after the step; from the first difference up, popped.
  const live = chain(p, after, slot, callerSize);
  let same = 0;
  while (
    same < stack.length &&
    same < live.length &&
    stack[same]?.unit === live[same]?.unit &&
    stack[same]?.fp === live[same]?.fp
  )
    same++;
  popped.push(...stack.splice(same).reverse());
  return popped;
}

/** The variable of a popped frame that word `a` belonged to, named as traces name stack words. */
export function frameVariable(p: Lowered, slot: Slot, f: Frame, a: number): string | null {
  const unit = p.units[f.unit];
  if (!unit || a < f.fp || a >= f.fp + unit.frameSize) return null;
  const v = [...unit.params, ...unit.locals].find(
    (x) => a >= f.fp + x.offset && a < f.fp + x.offset + sizeOf(x.type, p.structs),
  );
  return v ? `${slot.label}:${unit.name}.${v.name}` : null;
}
