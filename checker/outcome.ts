// The result of checking a spec: a verdict per property, counts, and counterexamples as choices.
import type { Span } from "../model/ast";

export type PropertyKind =
  | "invariant"
  | "final"
  | "reachable"
  | "assertion"
  | "deadlock"
  | "stuck_waiter"
  | "runtime_error"
  | "memory_leak";

export type Status = "holds" | "violated" | "inconclusive";

/** A counterexample: the path from the initial state, as the choice index taken at each state. */
export interface Counterexample {
  choices: number[];
  /** What went wrong, in kernel words. */
  message: string;
  /** Where, when a statement is to blame (the failed assert, the faulting dereference). */
  span: Span | null;
  /** For a fault: the fault kind (null_deref, out_of_bounds, ...). */
  fault: string | null;
  /** For a stuck waiter: the slot that sleeps forever. */
  sleeper: number | null;
}

export interface PropertyResult {
  name: string;
  kind: PropertyKind;
  status: Status;
  counterexample: Counterexample | null;
  /** For a reachable property that holds: the path to a witness state. */
  witness: number[] | null;
}

export interface Stats {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  /** Bytes held by the state store, frontier and edges. */
  bytes: number;
  /** Peak resident set size of the process, in bytes. */
  peakRss: number;
  stateWords: number;
  /** Steps answered by the step memo without running them (see checker/stepMemo.ts). */
  remembered: number;
}

export interface Outcome {
  verdict: Status;
  properties: PropertyResult[];
  stats: Stats;
  /** Which limit ended the search early, if one did. */
  limit: string | null;
}
