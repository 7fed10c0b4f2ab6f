// Every limit and default of a search, in one place; the CLI's flags map onto these one to one.

export interface SearchOptions {
  /** Breadth-first (shortest counterexamples, the default) or depth-first. */
  strategy: "bfs" | "dfs";
  /** Stop after storing this many states (inconclusive). */
  maxStates: number;
  /** Do not expand states deeper than this (inconclusive if any was cut). */
  maxDepth: number;
  /** Stop after this many seconds (inconclusive), counted from `startedAt`. */
  timeLimit: number;
  /**
   * When the run began, as `performance.now()` gives it: the CLI passes the moment it started,
   * so that `timeLimit` covers loading and compiling too. Null: when the search began.
   */
  startedAt: number | null;
  /**
   * Stop when the search holds this many bytes (inconclusive): the state store (table and
   * arena), the frontier, the graph's edges (for stuck waiters) and the step memo together.
   */
  memoryLimit: number;
  /** Go on after the first violation, to give every property a verdict. */
  keepGoing: boolean;
  /**
   * Without keepGoing: stop only at a violation of this property (a spec's `expect violation
   * NAME`), so that the expected verdict is decided; other violations are recorded on the way.
   */
  stopAt: string | null;
  /**
   * How states are stored: "collapse" keeps each task's block once and a state as globals plus
   * one index per task (smaller, faster); "plain" keeps whole state vectors. Both are exact.
   */
  store: "collapse" | "plain";
  /**
   * Remember what each step did by the collapsed state's component indices and answer it
   * again without running it (see StepMemo; exact; needs the collapse store).
   */
  memo: boolean;
  /** Check for stuck waiters on the explored graph (needs the edges kept in memory). */
  stuckWaiters: boolean;
  /** Called about once a second with progress figures. */
  onProgress: ((p: Progress) => void) | null;
}

export interface Progress {
  states: number;
  transitions: number;
  depth: number;
  queued: number;
  seconds: number;
  bytes: number;
}

export const DEFAULT_OPTIONS: SearchOptions = {
  strategy: "bfs",
  maxStates: 50_000_000,
  maxDepth: 1_000_000,
  timeLimit: 0,
  startedAt: null,
  memoryLimit: 8 * 1024 ** 3,
  keepGoing: false,
  stopAt: null,
  store: "collapse",
  memo: true,
  stuckWaiters: true,
  onProgress: null,
};
