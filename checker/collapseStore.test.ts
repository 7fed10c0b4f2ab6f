// The collapsed store is exact: on random programs it stores the same states as the plain
// store and the search gives the same counts and verdicts; round trips restore every word.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { CollapseStore } from "./collapseStore";
import { explore } from "./explore";
import { System } from "./system";
import { kcProgram } from "./testing/randomPrograms";

describe("CollapseStore", () => {
  it("round-trips states and finds duplicates like a plain store", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 9, maxLength: 9 }), {
          maxLength: 300,
        }),
        (rows) => {
          const store = new CollapseStore(9, [
            [2, 5],
            [5, 9],
          ]);
          const seen = new Map<string, number>();
          for (const row of rows) {
            const st = Int32Array.from(row);
            const r = store.insert(st, -1, 0, 0);
            const key = row.join(",");
            const known = seen.get(key);
            if (known === undefined) {
              expect(r).toBe(seen.size);
              seen.set(key, r);
            } else expect(r).toBe(-known - 1);
          }
          const out = new Int32Array(9);
          for (const [key, i] of seen) {
            store.read(i, out);
            expect([...out].join(",")).toBe(key);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("explores random programs exactly like the plain store", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const r = loadProgram("random.kc", {}, text);
        if (!r.ok) throw new Error(`generated program does not compile:\n${text}`);
        const sys = new System(r.program);
        const a = explore(sys, { keepGoing: true, store: "plain", maxStates: 5000 });
        const b = explore(sys, { keepGoing: true, store: "collapse", maxStates: 5000 });
        const summary = (o: typeof a) => ({
          states: o.stats.states,
          transitions: o.stats.transitions,
          verdicts: o.properties.map(
            (p) => `${p.name}:${p.status}:${p.counterexample?.choices.join(".") ?? ""}`,
          ),
        });
        expect(summary(b)).toEqual(summary(a));
      }),
      { numRuns: 150 },
    );
  });
});
