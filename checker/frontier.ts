// The search strategy seam: which pending state the explorer expands next (FIFO = BFS, LIFO = DFS).

/**
 * Pending state indices (each ≥ 0). FIFO order gives BFS (shortest counterexamples), LIFO gives DFS.
 * Allocation-free except when it grows; 4 bytes per pending index plus at most 2× slack.
 */
export interface Frontier {
  /** Adds a state index (≥ 0). */
  push(index: number): void;
  /** Removes and returns the next state index, or −1 when empty. */
  pop(): number;
  /** Number of pending indices. */
  get size(): number;
  /** Bytes held by the frontier's typed arrays. */
  bytes(): number;
}

function checkIndex(index: number): void {
  // −1 is pop's "empty" answer, so a negative index could never be told apart from it.
  if (!(index >= 0 && index <= 0x7fffffff))
    throw new RangeError(`frontier index ${index} is not a state index`);
}

function initialLength(initialCapacity: number): number {
  let length = 16;
  while (length < initialCapacity && length < 2 ** 30) length *= 2;
  return length;
}

/** First in, first out: a ring buffer over an Int32Array of power-of-two length, doubled when full. */
export class FifoFrontier implements Frontier {
  private buffer: Int32Array;
  /** invariant: pending indices are buffer[(head + k) & mask] for k in 0 .. count − 1, oldest first. */
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(initialCapacity = 1024) {
    this.buffer = new Int32Array(initialLength(initialCapacity));
    this.mask = this.buffer.length - 1;
  }

  push(index: number): void {
    checkIndex(index);
    if (this.count === this.buffer.length) this.grow();
    this.buffer[(this.head + this.count) & this.mask] = index;
    this.count++;
  }

  pop(): number {
    if (this.count === 0) return -1;
    const index = this.buffer[this.head]!;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return index;
  }

  get size(): number {
    return this.count;
  }

  bytes(): number {
    return this.buffer.byteLength;
  }

  /** Doubles the buffer, unwrapping the ring so the oldest index lands at 0. */
  private grow(): void {
    const old = this.buffer;
    const buffer = new Int32Array(old.length * 2);
    buffer.set(old.subarray(this.head));
    buffer.set(old.subarray(0, this.head), old.length - this.head);
    this.buffer = buffer;
    this.head = 0;
    this.mask = buffer.length - 1;
  }
}

/** Last in, first out: a stack over an Int32Array, doubled when full. */
export class LifoFrontier implements Frontier {
  private buffer: Int32Array;
  /** invariant: pending indices are buffer[0 .. count − 1], newest last. */
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Int32Array(initialLength(initialCapacity));
  }

  push(index: number): void {
    checkIndex(index);
    if (this.count === this.buffer.length) {
      const buffer = new Int32Array(this.buffer.length * 2);
      buffer.set(this.buffer);
      this.buffer = buffer;
    }
    this.buffer[this.count++] = index;
  }

  pop(): number {
    return this.count === 0 ? -1 : this.buffer[--this.count]!;
  }

  get size(): number {
    return this.count;
  }

  bytes(): number {
    return this.buffer.byteLength;
  }
}

/** A frontier for a search order: "bfs" → FIFO, "dfs" → LIFO. */
export function makeFrontier(kind: "bfs" | "dfs", initialCapacity?: number): Frontier {
  switch (kind) {
    case "bfs":
      return new FifoFrontier(initialCapacity);
    case "dfs":
      return new LifoFrontier(initialCapacity);
    default: {
      const never: never = kind;
      throw new Error(`unknown search order ${String(never)}`);
    }
  }
}
