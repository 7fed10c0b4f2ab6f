// Loads a KC program: reads the main file and its includes, parses them after the kernel prelude,
// and elaborates the whole to the IR. The single entry point from the command line and tests.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Decl, Span } from "./ast";
import { CompileError, type Diagnostic } from "./diagnostics";
import { elaborate, type Overrides } from "./elaborate";
import type { Lowered } from "./ir";
import { PRELUDE, PRELUDE_NAME } from "./kernel";
import { parseProgram } from "./parser";
import { SourceSet } from "./source";

export interface LoadOptions {
  /** `-D NAME=VALUE` overrides of `const` declarations. */
  defines?: Record<string, number>;
  /** Extra directories searched for `#include` after the including file's own directory. */
  includeDirs?: string[];
  /** SMP race finding: every shared read or write is a step of its own (see ElaborateOptions). */
  fine?: boolean;
  /** Every statement its own step (no merging of local-only statements): for comparison tests. */
  noMerge?: boolean;
  /** Reads a file; tests pass an in-memory map. Defaults to the file system. */
  readFile?: (path: string) => string | null;
}

/** A loaded program, or the diagnostics that stopped it; `sources` renders either. */
export type LoadResult =
  | { ok: true; program: Lowered; sources: SourceSet; main: string }
  | { ok: false; diagnostics: Diagnostic[]; sources: SourceSet };

function defaultRead(path: string): string | null {
  try {
    return existsSync(path) ? readFileSync(path, "utf8") : null;
  } catch {
    return null;
  }
}

/** Loads `path` (or in-memory `text` under that name) into a lowered program. */
export function loadProgram(path: string, options: LoadOptions = {}, text?: string): LoadResult {
  const sources = new SourceSet();
  const read = options.readFile ?? defaultRead;
  const decls: Decl[] = [];
  const seen = new Set<string>();
  const typedefs = new Set<string>();
  const includeDirs = options.includeDirs ?? [];

  const parseInto = (file: number, dir: string): void => {
    const program = parseProgram(sources, file, {
      typedefs,
      onInclude: (inc: string, span: Span) => {
        const found = resolveInclude(inc, dir, includeDirs, read);
        if (!found) {
          throw new CompileError([
            {
              code: "KC501",
              span,
              message: `cannot find include file "${inc}" (looked in ${[dir, ...includeDirs].map((d) => displayPath(d)).join(", ")})`,
            },
          ]);
        }
        if (seen.has(found.path)) return; // each file is included once
        seen.add(found.path);
        const f = sources.add(displayPath(found.path), found.text);
        parseInto(f, dirname(found.path));
      },
    });
    // Included files' declarations were pushed while parsing; this file's go after them in
    // order, with each include's contents standing where the include was.
    for (const d of program.decls) if (d.kind !== "include") decls.push(d);
  };

  try {
    const pre = sources.add(PRELUDE_NAME, PRELUDE);
    parseInto(pre, ".");
    const mainText = text ?? read(path);
    if (mainText === null) {
      return {
        ok: false,
        sources,
        diagnostics: [{ code: "KC502", span: null, message: `cannot read ${path}: no such file` }],
      };
    }
    seen.add(resolve(path));
    const main = sources.add(displayPath(path), mainText);
    parseInto(main, dirname(resolve(path)));
    const overrides: Overrides = new Map(
      Object.entries(options.defines ?? {}).map(([k, v]) => [k, { value: v, used: false }]),
    );
    const program = elaborate(decls, overrides, {
      noMerge: options.noMerge === true,
      fine: options.fine === true,
    });
    return { ok: true, program, sources, main: displayPath(path) };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, diagnostics: e.diagnostics, sources };
    throw e;
  }
}

function resolveInclude(
  inc: string,
  dir: string,
  includeDirs: string[],
  read: (p: string) => string | null,
): { path: string; text: string } | null {
  const candidates = isAbsolute(inc) ? [inc] : [dir, ...includeDirs].map((d) => join(d, inc));
  for (const c of candidates) {
    const p = resolve(c);
    const text = read(p);
    if (text !== null) return { path: p, text };
  }
  return null;
}

/** Paths in messages are relative to the working directory when that is shorter. */
function displayPath(p: string): string {
  const abs = resolve(p);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && rel.length < abs.length ? rel : abs;
}
