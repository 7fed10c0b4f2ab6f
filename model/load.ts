// Loads a KC program: reads the main file and its includes, preprocesses and parses them after the
// kernel prelude, and elaborates the whole to the IR. The single entry point from the command line and tests.
// Every file it reads is input from anyone (a spec a student hands in): it must be a regular
// UTF-8 text file under a size cap, and an include must stay inside the directories it is
// searched in, so that a spec cannot make ipcmc read a device, a pipe or a secret.

import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decl, Span } from "./ast";
import { WIDE_TYPEDEFS } from "./ctypes";
import { type Code, CompileError, type Diagnostic } from "./diagnostics";
import { elaborate, type Overrides } from "./elaborate";
import type { Lowered } from "./ir";
import {
  CORE_PRELUDE,
  LEGACY_PRELUDE,
  LINUX_20_HEADER,
  linux20Header,
  PRELUDE_NAME,
  preludeText,
} from "./kernel";
import { KEYWORDS, lexRaw } from "./lexer";
import { parseProgram } from "./parser";
import { PRELUDE_FILES } from "./preludeFiles";
import { Preprocessor } from "./preprocess";
import { SourceSet } from "./source";

/**
 * The bundled IPC library (specs/lib/), searched for `#include "..."` after the -I directories.
 * This module sits one folder below the package root both in the tree (model/) and bundled
 * (dist/ipcmc.js), so one relative path serves both.
 */
export const LIBRARY_DIR = fileURLToPath(new URL("../specs/lib/", import.meta.url));

/** The most bytes one source file may hold (the main spec or an include): 1 MiB. */
export const MAX_FILE_BYTES = 1 << 20;
/** The most bytes all files of one program may hold together: 8 MiB. */
export const MAX_PROGRAM_BYTES = 8 << 20;
/**
 * The most files one program may read, each inclusion counted (a file included twice counts
 * twice, and its bytes count twice against MAX_PROGRAM_BYTES).
 */
export const MAX_FILES = 1000;
/** How deep includes may nest (each level is a recursive preprocessing and parse). */
export const MAX_INCLUDE_DEPTH = 32;

export interface LoadOptions {
  /**
   * `-D NAME=VALUE` (a Map, so `__proto__` is a name like any other): overrides `const NAME`, and
   * a `#define NAME` of the program (see PreprocessOptions.defines).
   */
  defines?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Extra directories searched for `#include` after the including file's own directory. */
  includeDirs?: string[];
  /** SMP race finding: every shared read or write is a step of its own (see ElaborateOptions). */
  fine?: boolean;
  /** The execution model, overriding the spec's `model` declaration (`--model`). */
  model?: import("./ir").ExecModel;
  /** Every statement its own step (no merging of local-only statements): for comparison tests. */
  noMerge?: boolean;
  /** A call from a process body starts a step, as under the up model: for comparison tests. */
  callBoundaries?: boolean;
  /**
   * Reads a file; tests pass an in-memory map. Returns null when there is no such file. Defaults
   * to the file system, refusing anything but a regular UTF-8 text file of at most MAX_FILE_BYTES.
   */
  readFile?: (path: string) => string | null;
}

/** A loaded program, or the diagnostics that stopped it; `sources` renders either. */
export type LoadResult =
  | {
      ok: true;
      program: Lowered;
      sources: SourceSet;
      main: string;
      /** Absolute (real, where they exist) paths of every file read: the main spec and its includes. */
      inputs: string[];
    }
  | { ok: false; diagnostics: Diagnostic[]; sources: SourceSet };

/** Why a file was refused; turned into a diagnostic at the include (or the main file). */
class Refusal extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a regular file of at most MAX_FILE_BYTES as UTF-8 text; null if it does not exist.
 * Opened without blocking (a FIFO would otherwise wait forever) and checked on the open
 * descriptor, so the file cannot be swapped between the check and the read. Reads stop one
 * byte past the cap: a file that claims size 0 (as /proc files do) cannot grow without bound.
 */
export function readSourceFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new Refusal("KC502", `cannot read ${displayPath(path)}: ${code ?? "error"}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Refusal("KC504", `${displayPath(path)} is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw new Refusal("KC505", tooLarge(displayPath(path)));
    // One byte more than the cap: reading it proves the file too large.
    const buf = new Uint8Array(MAX_FILE_BYTES + 1);
    let len = 0;
    while (len < buf.length) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    if (len > MAX_FILE_BYTES) throw new Refusal("KC505", tooLarge(displayPath(path)));
    return decodeSource(path, buf.subarray(0, len));
  } finally {
    closeSync(fd);
  }
}

function tooLarge(name: string): string {
  return `${name} is larger than ${MAX_FILE_BYTES / 1024} KiB, the limit for one source file`;
}

/**
 * KC source is UTF-8 text: a NUL byte or invalid UTF-8 means a binary file (or /proc data such
 * as an environment), whose contents must not be echoed back in a diagnostic.
 */
function decodeSource(path: string, bytes: Uint8Array): string {
  if (bytes.includes(0))
    throw new Refusal("KC504", `${displayPath(path)} is not a text file (it contains a NUL byte)`);
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    throw new Refusal("KC504", `${displayPath(path)} is not a text file (it is not valid UTF-8)`);
  }
}

/** Either form of defines as a Map; a Record gives only its own keys. */
function definesOf(defines: LoadOptions["defines"]): Map<string, number> {
  return new Map(
    defines === undefined ? [] : defines instanceof Map ? [...defines] : Object.entries(defines),
  );
}

/**
 * Overrides for `elaborate`, after checking what each -D name names (README "KC in one screen"):
 * a `const` of the program's own files (the main spec and its includes), which takes the value,
 * or a macro those files #define or test in a directive, which the preprocessor replaced by the
 * value wherever it stood. Anything else is KC402, and so is a name of the kernel prelude's: -D
 * does not change the kernel.
 */
function overridesOf(
  defines: Map<string, number>,
  pp: Preprocessor,
  decls: Decl[],
  isPrelude: (file: number) => boolean,
): Overrides {
  const consts = new Map<string, Span>();
  const prelude = new Set(pp.preludeMacros);
  for (const d of decls)
    if (d.kind === "const") {
      if (isPrelude(d.nameSpan.file)) prelude.add(d.name);
      else if (!consts.has(d.name)) consts.set(d.name, d.nameSpan);
    }
  const errors: Diagnostic[] = [];
  const overrides: Overrides = new Map();
  for (const [name, value] of defines) {
    const fail = (message: string, span: Span | null = null): void => {
      errors.push({ code: "KC402", span, message: `-D ${name}=${value}: ${message}` });
    };
    const declared = consts.get(name);
    if (prelude.has(name)) {
      fail(
        `'${name}' is the kernel prelude's, which -D does not change: -D names a const or a macro of the spec's own files`,
      );
    } else if (KEYWORDS.has(name)) {
      fail(`'${name}' is a KC keyword`);
    } else if (declared) {
      // Once its declaration is met the name is the constant's: only a use before it (or a
      // declaration that does not look like one to the preprocessor) became the value.
      const early = pp.definesExpanded.get(name);
      if (early && !pp.definesDeclared.has(name))
        fail(
          `the constant '${name}' is declared where -D cannot tell it is its name (write 'const ${name} = ...;' or 'const TYPE ${name} = ...;' at the top level)`,
          declared,
        );
      else if (early)
        fail(
          `'${name}' is used before its const declaration, where it was the -D value; declare the constant first`,
          early,
        );
      else overrides.set(name, { value, used: false });
    } else if (!pp.definesSeen.has(name)) {
      fail(`the program has no constant named '${name}', and defines or tests no macro '${name}'`);
    }
  }
  if (errors.length > 0) throw new CompileError(errors);
  return overrides;
}

/** Loads `path` (or in-memory `text` under that name) into a lowered program. */
export function loadProgram(path: string, options: LoadOptions = {}, text?: string): LoadResult {
  const sources = new SourceSet();
  const read = options.readFile ?? readSourceFile;
  const decls: Decl[] = [];
  const inputs: string[] = [];
  /** The real path of each file read, by its index in `sources` (one index per inclusion). */
  const pathOf = new Map<number, string>();
  /** Files found through an -I directory or the bundled library, not beside their includer. */
  const searchedFiles = new Set<number>();
  let files = 0;
  // The 64-bit kernel types parse as types, so that using one is KC313, not a syntax error.
  const typedefs = new Set<string>(WIDE_TYPEDEFS);
  // After the spec's own -I directories, the bundled library: `#include "linux/pipe.kc"` finds
  // specs/lib/linux/pipe.kc unless a file of that name comes first (a student's edited copy).
  const includeDirs = [...(options.includeDirs ?? []), LIBRARY_DIR];
  let total = 0;

  /** Counts a file against the program's caps; the text length bounds its UTF-8 size from below. */
  const admit = (name: string, fileText: string, span: Span | null): void => {
    const size = Buffer.byteLength(fileText, "utf8");
    const why =
      size > MAX_FILE_BYTES
        ? tooLarge(name)
        : total + size > MAX_PROGRAM_BYTES
          ? `the program's files together are larger than ${MAX_PROGRAM_BYTES / 1024 / 1024} MiB`
          : files >= MAX_FILES
            ? `the program reads more than ${MAX_FILES} files (each inclusion of a file counts)`
            : null;
    if (why) throw new CompileError([{ code: "KC505", span, message: why }]);
    total += size;
    files++;
  };

  const dirs = new Map<number, string>();
  // The file each #include resolved to (by the include's file and offset), for the parse.
  const targets = new Map<string, number>();
  const at = (span: Span): string => `${span.file}:${span.start}`;
  const defines = definesOf(options.defines);
  const isPrelude = (file: number): boolean => preludeFiles.has(file);
  const pp = new Preprocessor(sources, {
    defines,
    prelude: isPrelude,
    include: (inc: string, span: Span, depth: number, angle: boolean): number | null => {
      const fail = (code: Code, message: string): never => {
        throw new CompileError([{ code, span, message }]);
      };
      if (depth >= MAX_INCLUDE_DEPTH) fail("KC505", `includes nest more than ${MAX_INCLUDE_DEPTH} deep`);
      if (angle) return includeHeader(inc, span, fail);
      const dir = dirs.get(span.file);
      // A kernel header names others only as <...>; the prelude has no directory of its own.
      if (dir === undefined)
        return fail("KC503", `include "${inc}": a kernel header includes only <...> headers`);
      let found: { path: string; text: string; searched: boolean } | null;
      try {
        found = resolveInclude(inc, dir, includeDirs, read);
      } catch (e) {
        if (e instanceof Refusal) return fail(e.code, e.message);
        throw e;
      }
      if (!found) {
        return fail(
          "KC501",
          `cannot find include file "${inc}" (looked in ${[dir, ...includeDirs].map((d) => displayPath(d)).join(", ")})`,
        );
      }
      // As in C, a file included again is read again (an include guard or #pragma once stops
      // that); each inclusion is a file of its own here and counts against the caps.
      for (const f of pp.once) if (pathOf.get(f) === found.path) return null;
      admit(displayPath(found.path), found.text, span);
      if (!inputs.includes(found.path)) inputs.push(found.path);
      const f = sources.add(displayPath(found.path), found.text);
      pathOf.set(f, found.path);
      if (found.searched) searchedFiles.add(f);
      dirs.set(f, dirname(found.path));
      targets.set(at(span), f);
      return f;
    },
  });

  // Whether the program uses the kernel headers (see kernelHeadersNamed); then the core comes
  // first instead of the legacy prelude.
  let modern = false;
  const preludeFiles = new Set<number>();
  /** `#include <path>`: a header of the bundled prelude, never a file of the spec's or -I's. */
  const seenHeaders = new Set<string>();
  const includeHeader = (
    inc: string,
    span: Span,
    fail: (code: Code, message: string) => never,
  ): number | null => {
    if (!modern)
      fail(
        "KC503",
        `<${inc}> is a kernel header, but the main spec includes none: the main spec's own #include <...> lines choose the kernel headers over the legacy prelude, so include it there`,
      );
    const text = inc.startsWith("kc-")
      ? undefined
      : inc === LINUX_20_HEADER
        ? linux20Header()
        : PRELUDE_FILES.get(inc);
    if (text === undefined)
      return fail("KC501", `KC's prelude has no kernel header <${inc}> (docs/kernel-api.md lists them)`);
    // A kernel header is read once, as if it had an include guard (the prelude's have none).
    if (seenHeaders.has(inc)) return null;
    seenHeaders.add(inc);
    const f = sources.add(`<${inc}>`, text);
    preludeFiles.add(f);
    targets.set(at(span), f);
    return f;
  };

  const parseInto = (file: number): void => {
    const program = parseProgram(
      sources,
      file,
      {
        typedefs,
        onInclude: (_inc: string, span: Span) => {
          const f = targets.get(at(span));
          if (f !== undefined) parseInto(f);
        },
      },
      pp.files.get(file),
    );
    // Included files' declarations were pushed while parsing; this file's go after them in
    // order, with each include's contents standing where the include was.
    for (const d of program.decls) if (d.kind !== "include") decls.push(d);
  };

  try {
    let mainText: string | null;
    try {
      mainText = text ?? read(path);
    } catch (e) {
      if (e instanceof Refusal) return refused(sources, e.code, e.message);
      throw e;
    }
    if (mainText === null) return refused(sources, "KC502", `cannot read ${path}: no such file`);
    modern = kernelHeadersNamed(mainText);
    const pre = sources.add(PRELUDE_NAME, preludeText(modern ? CORE_PRELUDE : LEGACY_PRELUDE));
    preludeFiles.add(pre);
    pp.run(pre);
    const abs = realOrResolved(path);
    admit(displayPath(path), mainText, null);
    inputs.push(abs);
    const main = sources.add(displayPath(path), mainText);
    pathOf.set(main, abs);
    dirs.set(main, dirname(abs));
    pp.run(main);
    parseInto(pre);
    parseInto(main);
    const program = elaborate(decls, overridesOf(defines, pp, decls, isPrelude), {
      noMerge: options.noMerge === true,
      fine: options.fine === true,
      preludeFile: pre,
      ...(options.model ? { model: options.model } : {}),
      callBoundaries: options.callBoundaries === true,
      preludeFiles,
      // A library is what -I directories and specs/lib hold (a student's edited pipe.kc
      // included): a spec may replace its functions.
      libraryFiles: new Set(
        [...pathOf]
          .filter(([f, p]) => searchedFiles.has(f) || inside(realOrResolved(LIBRARY_DIR), p))
          .map(([f]) => f),
      ),
    });
    return { ok: true, program, sources, main: displayPath(path), inputs };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, diagnostics: e.diagnostics, sources };
    throw e;
  }
}

/** An include of the IPC library, whose files use the kernel headers: `#include "linux/pipe.kc"`. */
const LIBRARY_INCLUDE = /^#\s*include\s*"linux(-[0-9.]+)?\//;

/**
 * Whether the main spec's text has an `#include <...>` line, or includes a library file
 * (`"linux/..."`, `"linux-2.0/..."`), active or not: the choice is made before preprocessing.
 * Such a spec gets the kernel headers it includes, after a small core; any other spec gets the
 * legacy prelude (model/prelude/kc-legacy.h), as before headers existed.
 * A text that does not lex says no here; its real preprocessing reports the error.
 */
function kernelHeadersNamed(text: string): boolean {
  const scratch = new SourceSet();
  try {
    return lexRaw(scratch, scratch.add("main", text)).some(
      (t) => t.kind === "include" && (t.text.endsWith(">") || LIBRARY_INCLUDE.test(t.text)),
    );
  } catch (e) {
    if (e instanceof CompileError) return false;
    throw e;
  }
}

function refused(sources: SourceSet, code: Code, message: string): LoadResult {
  return { ok: false, sources, diagnostics: [{ code, span: null, message }] };
}

/** The real path of an existing file, else its absolute path. */
function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** Whether `p` is `base` or lies under it. */
function inside(base: string, p: string): boolean {
  const rel = relative(base, p);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

/**
 * Finds an include in the including file's directory, then in each -I directory. The path must
 * be relative and stay inside the directory it is found in, also after symbolic links are
 * followed; otherwise the include is refused (KC503) rather than searched elsewhere.
 */
function resolveInclude(
  inc: string,
  dir: string,
  includeDirs: string[],
  read: (p: string) => string | null,
): { path: string; text: string; searched: boolean } | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\x00-\x1f\x7f]/.test(inc))
    throw new Refusal("KC503", "an include path may not contain control characters");
  if (isAbsolute(inc))
    throw new Refusal(
      "KC503",
      `include "${inc}": an absolute path is not allowed; name a file relative to the spec or an -I directory`,
    );
  // Only KC source is read, so a diagnostic never quotes another file (a .env beside a spec).
  if (!inc.endsWith(".kc"))
    throw new Refusal("KC503", `include "${inc}": only KC source files (.kc) can be included`);
  for (const [i, d] of [dir, ...includeDirs].entries()) {
    const base = resolve(d);
    const p = resolve(base, inc);
    if (!inside(base, p))
      throw new Refusal(
        "KC503",
        `include "${inc}" leaves the directory ${displayPath(base)}; use -I to add a directory`,
      );
    // Followed links must stay inside too; checked before the file is opened.
    const real = realOrResolved(p);
    if (!inside(realOrResolved(base), real))
      throw new Refusal("KC503", `include "${inc}" is a link out of the directory ${displayPath(base)}`);
    if (!real.endsWith(".kc"))
      throw new Refusal("KC503", `include "${inc}" is a link to a file that is not KC source (.kc)`);
    const text = read(real);
    if (text !== null) return { path: real, text, searched: i > 0 };
  }
  return null;
}

/** Paths in messages are relative to the working directory when that is shorter. */
function displayPath(p: string): string {
  const abs = resolve(p);
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && rel.length < abs.length ? rel : abs;
}
