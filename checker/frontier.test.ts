// Tests of the FIFO and LIFO frontiers against plain arrays, across growth and ring wrap-around.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FifoFrontier, type Frontier, LifoFrontier, makeFrontier } from "./frontier";

/** A push (of the value) or a pop (null); long pop-free runs force growth, mixed runs force wrap-around. */
const operations = fc.array(fc.oneof(fc.nat({ max: 0x7fffffff }), fc.constant(null)), { maxLength: 400 });

function replay(
  frontier: Frontier,
  ops: (number | null)[],
  takeFromReference: (reference: number[]) => number | undefined,
): void {
  const reference: number[] = [];
  for (const op of ops) {
    if (op === null) {
      expect(frontier.pop()).toBe(takeFromReference(reference) ?? -1);
    } else {
      frontier.push(op);
      reference.push(op);
    }
    expect(frontier.size).toBe(reference.length);
  }
  // Drain: the rest comes out in the reference's order, then −1 for good.
  while (reference.length > 0) expect(frontier.pop()).toBe(takeFromReference(reference));
  expect(frontier.pop()).toBe(-1);
  expect(frontier.size).toBe(0);
  expect(frontier.bytes()).toBeGreaterThanOrEqual(4 * 16);
}

describe("FifoFrontier", () => {
  it("pops in push order, like Array shift", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), operations, (capacity, ops) => {
        replay(new FifoFrontier(capacity), ops, (reference) => reference.shift());
      }),
      { numRuns: 300 },
    );
  });

  it("keeps order when it grows while wrapped around", () => {
    const frontier = new FifoFrontier(16);
    const expected: number[] = [];
    let next = 0;
    for (let i = 0; i < 10; i++) frontier.push(next++);
    for (let i = 0; i < 8; i++) expect(frontier.pop()).toBe(i);
    // head is now at 8; 20 more pushes wrap the ring and then double it.
    for (let i = 0; i < 20; i++) frontier.push(next++);
    for (let i = 8; i < next; i++) expected.push(i);
    const got: number[] = [];
    for (let v = frontier.pop(); v !== -1; v = frontier.pop()) got.push(v);
    expect(got).toEqual(expected);
    expect(frontier.bytes()).toBe(4 * 32);
  });
});

describe("LifoFrontier", () => {
  it("pops newest first, like Array pop", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), operations, (capacity, ops) => {
        replay(new LifoFrontier(capacity), ops, (reference) => reference.pop());
      }),
      { numRuns: 300 },
    );
  });
});

describe("makeFrontier", () => {
  it("gives FIFO for bfs and LIFO for dfs", () => {
    const bfs = makeFrontier("bfs");
    const dfs = makeFrontier("dfs");
    for (const f of [bfs, dfs]) for (const v of [1, 2, 3]) f.push(v);
    expect([bfs.pop(), bfs.pop(), bfs.pop()]).toEqual([1, 2, 3]);
    expect([dfs.pop(), dfs.pop(), dfs.pop()]).toEqual([3, 2, 1]);
  });

  it("rejects indices that pop could not return", () => {
    for (const f of [makeFrontier("bfs"), makeFrontier("dfs")]) {
      expect(() => f.push(-1)).toThrow(RangeError);
      expect(() => f.push(2 ** 31)).toThrow(RangeError);
      expect(() => f.push(Number.NaN)).toThrow(RangeError);
      expect(f.size).toBe(0);
    }
  });
});
