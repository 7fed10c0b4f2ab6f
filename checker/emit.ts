// The one place where ipcmc turns text into running code. Generated JavaScript is built only
// from `Js` pieces, and a piece can hold nothing but the emitter's own template text, integers
// it checked, and other pieces: no string from a spec, a trace file, a -D value or a path can
// reach `new Function`, whatever the rest of the compiler does with it.

declare const brand: unique symbol;

/**
 * A piece of generated JavaScript. Only `js` and `joinJs` make one (the brand keeps any other
 * object from passing as a piece in the types; `made` refuses it at run time).
 */
export interface Js {
  readonly src: string;
  readonly [brand]: true;
}

const made = new WeakSet<object>();

function piece(src: string): Js {
  const j = Object.freeze({ src }) as Js;
  made.add(j);
  return j;
}

/** What a `js` template may splice in: an integer (checked at run time) or another piece. */
export type JsPart = Js | number;

function spliced(p: unknown): string {
  if (typeof p === "number") {
    // Safe integers only: no NaN, no Infinity, no fractions whose printing could surprise.
    if (!Number.isSafeInteger(p)) throw new EmitError(`a non-integer value ${String(p)}`);
    return p < 0 ? `(${p})` : String(p);
  }
  if (typeof p === "object" && p !== null && made.has(p)) return (p as Js).src;
  throw new EmitError(`a value of type ${typeof p}`);
}

/**
 * Tag for generated code: `js\`m[${addr}] = ${value};\``. The literal text is the compiler's own;
 * every spliced value must be a checked integer or a `Js` piece, or this throws.
 */
export function js(strings: TemplateStringsArray, ...parts: JsPart[]): Js {
  // A tagged template's strings array is frozen and has `raw`; a forged call would not.
  if (!Object.isFrozen(strings) || !Array.isArray(strings.raw))
    throw new EmitError("template text that is not a literal in the compiler");
  let out = strings[0] as string;
  for (let i = 0; i < parts.length; i++) out += spliced(parts[i]) + (strings[i + 1] as string);
  return piece(out);
}

/** Joins pieces with a separator that is itself a piece. */
export function joinJs(parts: readonly Js[], sep: Js): Js {
  return piece(parts.map(spliced).join(spliced(sep)));
}

/** Generated code was about to contain something that is not the compiler's: a bug of ipcmc. */
export class EmitError extends Error {
  constructor(what: string) {
    super(`internal error: generated code would contain ${what}`);
  }
}

/**
 * Builds a function from generated code: `params` are the names its body sees, bound to
 * `args` (helper objects of the compiler, never input). The only `new Function` of ipcmc.
 */
export function buildFunction(params: readonly Js[], body: Js, ...args: unknown[]): unknown {
  if (!made.has(body) || params.some((p) => !made.has(p))) throw new EmitError("a forged piece");
  return new Function(...params.map((p) => p.src), body.src)(...args);
}
