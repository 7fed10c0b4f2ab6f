// A law for C's integer arithmetic: random expressions over variables of every integer type KC
// has, evaluated by a tiny evaluator of C's rules written here from the standard (BigInt, no code
// shared with the front end), must give the same value or the same fault in the compiled step,
// in the reference interpreter, and folded from constants by the front end.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { interpretProperty } from "./interpret";
import { System } from "./system";
import { BIN_OPS } from "./testing/randomPrograms";

/** A C integer type: its name in KC, its width and signedness (bool apart). */
interface CType {
  name: string;
  bits: number;
  signed: boolean;
  bool?: true;
}

const TYPES: CType[] = [
  { name: "int", bits: 32, signed: true },
  { name: "unsigned", bits: 32, signed: false },
  { name: "short", bits: 16, signed: true },
  { name: "u16", bits: 16, signed: false },
  { name: "signed char", bits: 8, signed: true },
  { name: "u8", bits: 8, signed: false },
  { name: "char", bits: 8, signed: true },
  { name: "bool", bits: 1, signed: false, bool: true },
];
const INT = TYPES[0] as CType;
const UINT = TYPES[1] as CType;

/** C11 6.3.1.3 (and gcc's modulo rule for signed targets); 6.3.1.2 for bool. */
function convert(v: bigint, t: CType): bigint {
  if (t.bool) return v === 0n ? 0n : 1n;
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/** 6.3.1.1: every type of lower rank than int, all of whose values int holds, becomes int. */
function promote(t: CType): CType {
  return t === UINT ? UINT : INT;
}

class Fault extends Error {}

type Node =
  | { k: "var"; i: number }
  | { k: "lit"; v: number; u: boolean }
  | { k: "un"; op: "-" | "~" | "!"; e: Node }
  | { k: "bin"; op: string; l: Node; r: Node }
  | { k: "cast"; t: number; e: Node }
  | { k: "cond"; c: Node; a: Node; b: Node };

interface Val {
  v: bigint;
  t: CType;
}

/** The type of `n`, without evaluating it. */
function typeC(n: Node, vars: Val[]): CType {
  switch (n.k) {
    case "var":
      return (vars[n.i] as Val).t;
    case "lit":
      return n.u ? UINT : INT;
    case "cast":
      return TYPES[n.t] as CType;
    case "un":
      return n.op === "!" ? INT : promote(typeC(n.e, vars));
    case "cond":
      return promote(typeC(n.a, vars)) === UINT || promote(typeC(n.b, vars)) === UINT ? UINT : INT;
    case "bin": {
      if (["<", "<=", ">", ">=", "==", "!=", "&&", "||"].includes(n.op)) return INT;
      const l = promote(typeC(n.l, vars));
      if (n.op === "<<" || n.op === ">>") return l;
      return l === UINT || promote(typeC(n.r, vars)) === UINT ? UINT : INT;
    }
  }
}

/** C's value of `n`, with the variables' values `vars`; throws Fault where C is undefined. */
function evalC(n: Node, vars: Val[]): Val {
  switch (n.k) {
    case "var":
      return vars[n.i] as Val;
    case "lit":
      return { v: convert(BigInt(n.v), n.u ? UINT : INT), t: n.u ? UINT : INT };
    case "cast": {
      const t = TYPES[n.t] as CType;
      return { v: convert(evalC(n.e, vars).v, t), t };
    }
    case "un": {
      const a = evalC(n.e, vars);
      if (n.op === "!") return { v: a.v === 0n ? 1n : 0n, t: INT };
      const t = promote(a.t);
      // The kernel's -fwrapv reading of signed overflow, as KC's run time (and -INT_MIN wraps).
      return { v: convert(n.op === "-" ? -a.v : ~a.v, t), t };
    }
    case "cond": {
      // Only the arm chosen runs; the type is both arms' common type (6.5.15).
      const t = typeC(n, vars);
      return { v: convert(evalC(evalC(n.c, vars).v !== 0n ? n.a : n.b, vars).v, t), t };
    }
    case "bin": {
      // && and || run their right operand only when the left one does not decide (6.5.13).
      if (n.op === "&&")
        return { v: evalC(n.l, vars).v !== 0n && evalC(n.r, vars).v !== 0n ? 1n : 0n, t: INT };
      if (n.op === "||")
        return { v: evalC(n.l, vars).v !== 0n || evalC(n.r, vars).v !== 0n ? 1n : 0n, t: INT };
      const a = evalC(n.l, vars);
      const b = evalC(n.r, vars);
      if (n.op === "<<" || n.op === ">>") {
        const t = promote(a.t);
        if (b.v < 0n || b.v > 31n) throw new Fault("bad_shift");
        const x = convert(a.v, t);
        return { v: convert(n.op === "<<" ? x << b.v : x >> b.v, t), t };
      }
      const t = promote(a.t) === UINT || promote(b.t) === UINT ? UINT : INT;
      const x = convert(a.v, t);
      const y = convert(b.v, t);
      const cmp = (r: boolean): Val => ({ v: r ? 1n : 0n, t: INT });
      switch (n.op) {
        case "<":
          return cmp(x < y);
        case "<=":
          return cmp(x <= y);
        case ">":
          return cmp(x > y);
        case ">=":
          return cmp(x >= y);
        case "==":
          return cmp(x === y);
        case "!=":
          return cmp(x !== y);
        case "/":
        case "%": {
          if (y === 0n) throw new Fault("div_by_zero");
          // INT_MIN / -1 does not fit: i386 raises a divide error.
          if (t === INT && x === -(2n ** 31n) && y === -1n) throw new Fault("div_overflow");
          return { v: convert(n.op === "/" ? x / y : x % y, t), t };
        }
        case "+":
          return { v: convert(x + y, t), t };
        case "-":
          return { v: convert(x - y, t), t };
        case "*":
          return { v: convert(x * y, t), t };
        case "&":
          return { v: convert(x & y, t), t };
        case "|":
          return { v: convert(x | y, t), t };
        case "^":
          return { v: convert(x ^ y, t), t };
      }
      throw new Error(`no operator ${n.op}`);
    }
  }
}

/** Values near every edge of every type. */
const EDGES = [
  0, 1, 2, 7, 31, 32, -1, -2, 127, 128, 255, 256, 32767, 32768, 65535, 65536, 2147483647, -2147483648,
];

function node(depth: number): fc.Arbitrary<Node> {
  const leaf = fc.oneof(
    { arbitrary: fc.record({ k: fc.constant("var" as const), i: fc.constantFrom(0, 1, 2, 3) }), weight: 4 },
    {
      arbitrary: fc.record({ k: fc.constant("lit" as const), v: fc.constantFrom(...EDGES), u: fc.boolean() }),
      weight: 1,
    },
  );
  if (depth === 0) return leaf;
  const sub = node(depth - 1);
  return fc.oneof(
    { arbitrary: leaf, weight: 2 },
    {
      arbitrary: fc.record({
        k: fc.constant("bin" as const),
        op: fc.constantFrom(...BIN_OPS),
        l: sub,
        r: sub,
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("un" as const),
        op: fc.constantFrom("-" as const, "~" as const, "!" as const),
        e: sub,
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ k: fc.constant("cast" as const), t: fc.constantFrom(...TYPES.keys()), e: sub }),
      weight: 1,
    },
    { arbitrary: fc.record({ k: fc.constant("cond" as const), c: sub, a: sub, b: sub }), weight: 1 },
  );
}

/** A C constant of `v` (any integer) in type `t`, as KC text. */
function literal(v: bigint, t: CType): string {
  const text = v === -(2n ** 31n) ? "(-2147483647 - 1)" : v < 0n ? `(${v})` : `${v}${t === UINT ? "u" : ""}`;
  return t === INT || t === UINT ? text : `((${t.name})${text})`;
}

/** KC text of `n`; `vars` given, variables are written as the constants they hold. */
function show(n: Node, vars: Val[] | null): string {
  switch (n.k) {
    case "var":
      return vars ? literal((vars[n.i] as Val).v, (vars[n.i] as Val).t) : `v${n.i}`;
    case "lit":
      return literal(convert(BigInt(n.v), n.u ? UINT : INT), n.u ? UINT : INT);
    case "cast":
      return `((${(TYPES[n.t] as CType).name})${show(n.e, vars)})`;
    case "un":
      return `(${n.op}${show(n.e, vars)})`;
    case "bin":
      return `(${show(n.l, vars)} ${n.op} ${show(n.r, vars)})`;
    case "cond":
      return `(${show(n.c, vars)} ? ${show(n.a, vars)} : ${show(n.b, vars)})`;
  }
}

function load(text: string) {
  const r = loadProgram("law.kc", {}, text);
  if (!r.ok)
    throw new Error(`${text}\n${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}`);
  return r.program;
}

const program = fc.record({
  // unsigned int three times as often: it alone keeps its sign through promotion.
  vars: fc.array(fc.record({ t: fc.constantFrom(...TYPES.keys(), 1, 1), v: fc.constantFrom(...EDGES) }), {
    minLength: 4,
    maxLength: 4,
  }),
  e: node(3),
});

describe("C's integer arithmetic, against an evaluator of the standard's rules", () => {
  it("the compiled step, the interpreter and constant folding give C's value or C's fault", () => {
    fc.assert(
      fc.property(program, ({ vars, e }) => {
        const vals: Val[] = vars.map(({ t, v }) => {
          const ct = TYPES[t] as CType;
          return { v: convert(BigInt(v), ct), t: ct };
        });
        let want: bigint | string;
        try {
          want = convert(evalC(e, vals).v, INT);
        } catch (x) {
          if (!(x instanceof Fault)) throw x;
          want = x.message;
        }
        const decls = vals.map((x, i) => `${x.t.name} v${i} = ${literal(x.v, x.t)};`).join("\n");
        const expected = typeof want === "string" ? "0" : literal(want, INT);
        const text = `${decls}\nint r;\nprocess p { r = (int)${show(e, null)}; assert(r == ${expected}); }\n`;
        const p = load(text);
        // The compiled step, run by the explorer.
        const o = explore(new System(p), { keepGoing: true });
        const rt = o.properties.find((x) => x.name === "runtime_error");
        const assertion = o.properties.find((x) => x.name === "assertion");
        if (typeof want === "string") expect(rt?.counterexample?.fault, text).toBe(want);
        else expect([rt?.status, assertion?.status], text).toEqual(["holds", "holds"]);
        // The reference interpreter, on the initial memory.
        const q = load(`${decls}\ninvariant same: (int)${show(e, null)} == ${expected};\nprocess p { }\n`);
        let got: string;
        try {
          got = interpretProperty(q, 0, new System(q).initial()) === 1 ? "same" : "differs";
        } catch {
          got = "fault";
        }
        expect(got, text).toBe(typeof want === "string" ? "fault" : "same");
        // Folded by the front end from constants, when C gives a value.
        if (typeof want !== "string") {
          const folded = load(`int r;\nprocess p { r = (int)${show(e, vals)}; assert(r == ${expected}); }\n`);
          const f = explore(new System(folded), { keepGoing: true });
          expect(
            f.properties.filter((x) => x.status !== "holds").map((x) => x.name),
            show(e, vals),
          ).toEqual([]);
        }
      }),
      { numRuns: 200, seed: 8 },
    );
  });

  it("every operator on every pair of edge values of int, unsigned, u8 and short gives C's value", () => {
    // Exhaustive where random programs are thin: the operands that tell unsigned from signed.
    const types = [INT, UINT, TYPES[5] as CType, TYPES[2] as CType];
    const values = [0, 1, 2, 31, 32, -1, -2, 255, 65535, 2147483647, -2147483648];
    const vars: Val[] = types.flatMap((t) => values.map((v) => ({ v: convert(BigInt(v), t), t })));
    const decls = vars.map((x, i) => `${x.t.name} v${i} = ${literal(x.v, x.t)};`).join("\n");
    /** A balanced && of the terms, so that no chain nests deeper than KC allows. */
    const all = (terms: string[]): string =>
      terms.length === 1
        ? (terms[0] as string)
        : `(${all(terms.slice(0, terms.length >> 1))} && ${all(terms.slice(terms.length >> 1))})`;
    for (const op of BIN_OPS.filter((o) => o !== "&&" && o !== "||")) {
      const terms: string[] = [];
      vars.forEach((_, i) => {
        vars.forEach((_, j) => {
          const e: Node = { k: "bin", op, l: { k: "var", i }, r: { k: "var", i: j } };
          let v: bigint;
          try {
            v = convert(evalC(e, vars).v, INT);
          } catch (x) {
            if (x instanceof Fault) return;
            throw x;
          }
          terms.push(`(int)(v${i} ${op} v${j}) == ${literal(v, INT)}`);
        });
      });
      const p = load(`${decls}\ninvariant same: ${all(terms)};\nprocess p { }\n`);
      expect(interpretProperty(p, 0, new System(p).initial()), `interpreted ${op}`).toBe(1);
      const o = explore(new System(p), {});
      expect(o.properties.find((x) => x.name === "same")?.status, `compiled ${op}`).toBe("holds");
    }
  });
});
