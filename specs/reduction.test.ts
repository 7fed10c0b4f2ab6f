// The pipe library can group the statements under pipe->mutex into atomic steps (the Lipton
// reduction at the head of specs/lib/linux/pipe.kc, -D KC_REDUCE_UNDER_MUTEX=1; off by default,
// because a property that looks inside those sections sees less). On the bundled scenarios,
// whose properties look at the pipe only outside them, the reduced search must give every
// property the verdict the plain one gives.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";

function verdicts(file: string, plain: boolean): string[] {
  const r = loadProgram(file, plain ? {} : { defines: { KC_REDUCE_UNDER_MUTEX: 1 } });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true, maxStates: 1_000_000 });
  expect(o.limit).toBeNull();
  return o.properties.map((p) => `${p.name}:${p.status}`);
}

const SCENARIOS = [
  "pipe.epipe.kc",
  "pipe.epipe.bug-writable-ignores-readers.kc",
  "pipe.nonblock.kc",
  "pipe.many-readers.kc",
  "pipe.many-readers.bug-no-wake-next-reader.kc",
  "fifo.nonblock.kc",
];

describe("the pipe library's steps under the mutex", () => {
  for (const f of SCENARIOS)
    it(`${f}: the same verdicts with and without the reduction`, () => {
      const path = join(__dirname, "pipe", f);
      expect(verdicts(path, false)).toEqual(verdicts(path, true));
    });
});
