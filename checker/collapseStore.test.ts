// The collapsed store is exact: on random programs it stores the same states as the plain
// store and the search gives the same counts and verdicts; round trips restore every word.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { CollapseStore } from "./collapseStore";
import { explore } from "./explore";
import { StateStore } from "./stateStore";
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

  it("stages successors of the state last read like a plain store, whatever its guesses", () => {
    // A successor differs from its parent in some components; the dirty mask says which may
    // differ (a superset is allowed). The store's guesses (the component a step from the same
    // component last led to) and its reuse of the read buffer must never change the answer.
    const comps: Array<readonly [number, number]> = [
      [1, 4],
      [4, 7],
      [7, 10],
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pick: fc.nat(),
            succs: fc.array(
              fc.record({
                changes: fc.array(fc.tuple(fc.nat({ max: 9 }), fc.integer({ min: 0, max: 2 })), {
                  maxLength: 3,
                }),
                extraDirty: fc.nat({ max: 15 }),
              }),
              { maxLength: 6 },
            ),
          }),
          { maxLength: 60 },
        ),
        (steps) => {
          const store = new CollapseStore(10, comps);
          const plain = new StateStore(10);
          const root = new Int32Array(10);
          store.insert(root, -1, 0, 0);
          plain.insert(root, -1, 0, 0);
          const buf = new Int32Array(10);
          const results = new Int32Array(16);
          for (const step of steps) {
            const parent = step.pick % store.size;
            store.read(parent, buf);
            const expected = new Int32Array(10);
            plain.read(parent, expected);
            expect([...buf]).toEqual([...expected]);
            const wanted: number[] = [];
            store.from(parent, 1);
            step.succs.forEach((succ, choice) => {
              const next = buf.slice();
              for (const [at, v] of succ.changes) next[at] = v;
              let dirty = succ.extraDirty << 1;
              comps.forEach(([s, e], c) => {
                for (let k = s; k < e; k++) if (next[k] !== buf[k]) dirty |= 1 << (c + 1);
              });
              store.stage(next, choice, dirty);
              wanted.push(plain.insert(next, parent, choice, 1));
            });
            const n = store.commit(results);
            expect([...results.subarray(0, n)]).toEqual(wanted);
          }
          // A buffer that never held a state: every word must come from the store.
          const out = new Int32Array(10).fill(99);
          const other = new Int32Array(10);
          for (let i = plain.size - 1; i >= 0; i--) {
            store.read(i, out);
            plain.read(i, other);
            expect([...out]).toEqual([...other]);
          }
        },
      ),
      { numRuns: 300 },
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
