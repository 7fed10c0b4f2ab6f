// Tests of the edge store, Tarjan's SCCs and bottom SCCs against a reachability-closure reference.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bottomComponents, type Csr, EdgeStore, reachableMarks, stronglyConnected } from "./graph";

/** A small random graph: n states and successor lists (duplicates and self-loops included). */
const graphs = fc.integer({ min: 0, max: 10 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    successors: fc.array(fc.array(fc.nat({ max: Math.max(0, n - 1) }), { maxLength: n === 0 ? 0 : 4 }), {
      minLength: n,
      maxLength: n,
    }),
  }),
);

function toCsr(successors: number[][]): Csr {
  const offsets = new Int32Array(successors.length + 1);
  successors.forEach((s, v) => {
    offsets[v + 1] = offsets[v]! + s.length;
  });
  return { offsets, targets: Int32Array.from(successors.flat()) };
}

/** reach[i][j]: j is reachable from i in zero or more steps. */
function closure(successors: number[][]): boolean[][] {
  return successors.map((_, start) => {
    const seen = successors.map(() => false);
    const work = [start];
    seen[start] = true;
    while (work.length > 0) {
      for (const w of successors[work.pop()!]!) {
        if (!seen[w]) {
          seen[w] = true;
          work.push(w);
        }
      }
    }
    return seen;
  });
}

describe("stronglyConnected and bottomComponents", () => {
  it("agree with the reachability closure on small random graphs", () => {
    fc.assert(
      fc.property(graphs, ({ n, successors }) => {
        const { offsets, targets } = toCsr(successors);
        const { component, count } = stronglyConnected(n, offsets, targets);
        const reach = closure(successors);
        expect(new Set(component).size).toBe(count);
        for (let i = 0; i < n; i++) {
          expect(component[i]).toBeGreaterThanOrEqual(0);
          expect(component[i]).toBeLessThan(count);
          for (let j = 0; j < n; j++) {
            expect(component[i] === component[j]).toBe(reach[i]![j]! && reach[j]![i]!);
          }
          // Reverse topological ids: an edge between components goes to a lower id.
          for (const w of successors[i]!) expect(component[w]!).toBeLessThanOrEqual(component[i]!);
        }
        const result = bottomComponents(n, offsets, targets);
        expect(Array.from(result.component)).toEqual(Array.from(component));
        const expected: number[] = [];
        for (let c = 0; c < count; c++) {
          const members = [...Array(n).keys()].filter((v) => component[v] === c);
          // Bottom iff nothing reachable from the component lies outside it.
          const closed = members.every((v) => reach[v]!.every((r, w) => !r || component[w] === c));
          if (closed) expected.push(c);
        }
        expect(result.bottom).toEqual(expected);
        expect(result.count).toBe(count);
      }),
      { numRuns: 500 },
    );
  });

  it("makes a terminal state its own bottom component", () => {
    // 0 → 1 → 2 ⇄ 3, 1 → 4 (terminal)
    const { offsets, targets } = toCsr([[1], [2, 4], [3], [2], []]);
    const { component, bottom } = bottomComponents(5, offsets, targets);
    expect(bottom.map((c) => [...component.keys()].filter((v) => component[v] === c)).sort()).toEqual([
      [2, 3],
      [4],
    ]);
  });

  it("runs a 1,000,000-state chain and a 1,000,000-state cycle without recursion", () => {
    const n = 1_000_000;
    const offsets = new Int32Array(n + 1);
    const chain = new Int32Array(n - 1);
    for (let v = 0; v < n - 1; v++) {
      chain[v] = v + 1;
      offsets[v + 1] = v + 1;
    }
    offsets[n] = n - 1;
    const onChain = bottomComponents(n, offsets, chain);
    expect(onChain.count).toBe(n);
    expect(onChain.bottom).toEqual([onChain.component[n - 1]]);

    const cycle = new Int32Array(n);
    for (let v = 0; v < n; v++) {
      cycle[v] = (v + 1) % n;
      offsets[v + 1] = v + 1;
    }
    const onCycle = bottomComponents(n, offsets, cycle);
    expect(onCycle.count).toBe(1);
    expect(onCycle.bottom).toEqual([0]);
  });

  it("rejects malformed CSR", () => {
    expect(() => stronglyConnected(2, new Int32Array([0, 1, 1]), new Int32Array([2]))).toThrow(RangeError);
    expect(() => stronglyConnected(2, new Int32Array([0, 1]), new Int32Array([1]))).toThrow(RangeError);
    expect(() => stronglyConnected(2, new Int32Array([0, 2, 1]), new Int32Array([1, 1]))).toThrow(RangeError);
  });
});

describe("reachableMarks", () => {
  it("is the union of the marks over the reachability closure, or null when out of sweeps", () => {
    fc.assert(
      fc.property(
        graphs.chain((g) =>
          fc.record({
            g: fc.constant(g),
            marks: fc.array(fc.nat({ max: 7 }), { minLength: g.n, maxLength: g.n }),
            maxSweeps: fc.integer({ min: 1, max: 12 }),
          }),
        ),
        ({ g, marks, maxSweeps }) => {
          const { offsets, targets } = toCsr(g.successors);
          const reach = closure(g.successors);
          const expected = reach.map((row) => row.reduce((m, r, w) => (r ? m | marks[w]! : m), 0));
          const got = reachableMarks(g.n, offsets, targets, Int32Array.from(marks), 7, maxSweeps);
          // Enough sweeps always converge (each one that changes something adds a bit).
          const sure = reachableMarks(g.n, offsets, targets, Int32Array.from(marks), 7, 3 * g.n + 1);
          expect(Array.from(sure ?? [])).toEqual(expected);
          if (got !== null) expect(Array.from(got)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("says every state reaches every mark iff every bottom component holds every mark", () => {
    // The stuck-waiter check relies on this: its quick answer must be the bottom-SCC rule's.
    fc.assert(
      fc.property(
        graphs.chain((g) =>
          fc.record({
            g: fc.constant(g),
            marks: fc.array(fc.nat({ max: 3 }), { minLength: g.n, maxLength: g.n }),
          }),
        ),
        ({ g, marks }) => {
          const { offsets, targets } = toCsr(g.successors);
          const can = reachableMarks(g.n, offsets, targets, Int32Array.from(marks), 3, 3 * g.n + 1);
          const quick = Array.from(can ?? []).every((m) => m === 3);
          const { component, bottom } = bottomComponents(g.n, offsets, targets);
          const rule = bottom.every((c) => {
            let m = 0;
            for (let v = 0; v < g.n; v++) if (component[v] === c) m |= marks[v]!;
            return m === 3;
          });
          expect(quick).toBe(rule);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("gives up on a long path walked against the sweep order within few sweeps", () => {
    // 9 → 8 → … → 0; only state 0 is marked. A sweep (9 down to 0) looks at each state
    // before its successor has changed, so it carries the mark one state back: ten sweeps.
    const successors = [...Array(10).keys()].map((v) => (v === 0 ? [] : [v - 1]));
    const { offsets, targets } = toCsr(successors);
    const marks = new Int32Array(10);
    marks[0] = 1;
    expect(reachableMarks(10, offsets, targets, marks, 1, 3)).toBeNull();
    expect(Array.from(reachableMarks(10, offsets, targets, marks, 1, 10) ?? [])).toEqual(Array(10).fill(1));
  });
});

describe("EdgeStore", () => {
  it("freezes runs added in any order into the CSR of the graph", () => {
    fc.assert(
      fc.property(
        graphs.chain((g) =>
          fc.record({
            g: fc.constant(g),
            // Which states get expanded, and in which order (BFS-like index order sometimes).
            order: fc.oneof(
              fc.shuffledSubarray([...Array(g.n).keys()]),
              fc.constant([...Array(g.n).keys()]),
              fc.nat({ max: g.n }).map((k) => [...Array(k).keys()]),
            ),
          }),
        ),
        ({ g, order }) => {
          const edges = new EdgeStore();
          const scratch = new Int32Array(8).fill(-7); // slack after `count` must be ignored
          for (const v of order) {
            const s = g.successors[v]!;
            scratch.set(s);
            edges.addRun(v, scratch, s.length);
            scratch.fill(-7);
          }
          const expanded = new Set(order);
          const expectedSuccessors = g.successors.map((s, v) => (expanded.has(v) ? s : []));
          for (let v = 0; v < g.n + 2; v++) {
            expect(edges.expanded(v)).toBe(expanded.has(v));
            const got: number[] = [];
            const start = edges.successorStart(v);
            for (let i = 0; i < edges.successorCount(v); i++) got.push(edges.target(start + i));
            expect(got).toEqual(expectedSuccessors[v] ?? []);
          }
          expect(edges.expandedCount).toBe(order.length);
          const { offsets, targets } = edges.freeze(g.n);
          const expected = toCsr(expectedSuccessors);
          expect(Array.from(offsets)).toEqual(Array.from(expected.offsets));
          expect(Array.from(targets)).toEqual(Array.from(expected.targets));
          expect(edges.edgeCount).toBe(expected.targets.length);
          expect(edges.bytes()).toBeGreaterThanOrEqual(4 * edges.edgeCount);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps a frozen graph valid after more runs are added", () => {
    const edges = new EdgeStore();
    edges.addRun(0, new Int32Array([1, 2]), 2);
    const before = edges.freeze(3);
    for (let v = 1; v < 100; v++) edges.addRun(v, new Int32Array([0, v, v + 1]), 3);
    expect(Array.from(before.targets)).toEqual([1, 2]);
    expect(Array.from(before.offsets)).toEqual([0, 2, 2, 2]);
  });

  it("rejects a second run for a state, and a freeze that leaves out expanded states or targets", () => {
    const edges = new EdgeStore();
    edges.addRun(3, new Int32Array([0, 5]), 2);
    expect(() => edges.addRun(3, new Int32Array(0), 0)).toThrow(/twice/);
    expect(() => edges.freeze(3)).toThrow(RangeError);
    expect(() => edges.freeze(5)).toThrow(RangeError);
    expect(edges.freeze(6).offsets.length).toBe(7);
    expect(() => edges.addRun(-1, new Int32Array(0), 0)).toThrow(RangeError);
    expect(() => edges.addRun(4, new Int32Array(1), 2)).toThrow(RangeError);
  });
});
