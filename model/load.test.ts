// Loading reads only regular UTF-8 files under the size caps, from inside the include directories.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "./diagnostics";
import { type LoadResult, loadProgram, MAX_FILE_BYTES, MAX_INCLUDE_DEPTH, MAX_PROGRAM_BYTES } from "./load";

const BODY = "int x;\nprocess p { x = 1; }\n";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ipcmc-load-"));
}

/** A spec in a fresh directory that includes `inc`, plus any other files given. */
function specIncluding(inc: string, files: Record<string, string> = {}): { dir: string; spec: string } {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const spec = join(dir, "main.kc");
  writeFileSync(spec, `#include "${inc}"\n${BODY}`);
  return { dir, spec };
}

function codes(r: LoadResult): string[] {
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

function rendered(r: LoadResult): string {
  return r.ok ? "" : r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n");
}

describe("includes", () => {
  it("refuses an absolute path, so /dev/zero and /proc/self/environ are never read", () => {
    for (const inc of ["/dev/zero", "/proc/self/environ"]) {
      const r = loadProgram(specIncluding(inc).spec);
      expect(codes(r)).toEqual(["KC503"]);
      expect(rendered(r)).toContain("an absolute path is not allowed");
    }
  });

  it("refuses .. out of the including file's directory, and allows it within", () => {
    const outside = specIncluding("../secret.kc");
    writeFileSync(join(outside.dir, "..", "secret.kc"), "int leaked;\n");
    expect(codes(loadProgram(outside.spec))).toEqual(["KC503"]);
    const within = specIncluding("sub/../lib.kc", { "lib.kc": "int y;\n", "sub/keep": "" });
    expect(loadProgram(within.spec).ok).toBe(true);
  });

  it("reads only KC source (.kc), so no other file beside a spec is read or quoted", () => {
    for (const inc of [".env", "notes.txt", "sem.h"]) {
      const r = loadProgram(specIncluding(inc, { [inc]: "SECRET=1\n" }).spec);
      expect(codes(r)).toEqual(["KC503"]);
      expect(rendered(r)).not.toContain("SECRET");
    }
    const { dir, spec } = specIncluding("env.kc", { ".env": "SECRET=1\n" });
    symlinkSync(join(dir, ".env"), join(dir, "env.kc"));
    expect(codes(loadProgram(spec))).toEqual(["KC503"]);
  });

  it("refuses a symbolic link that leads out of the directory", () => {
    const { dir, spec } = specIncluding("zero.kc");
    symlinkSync("/dev/zero", join(dir, "zero.kc"));
    expect(codes(loadProgram(spec))).toEqual(["KC503"]);
  });

  it("refuses a directory or a FIFO inside the directory without blocking", () => {
    expect(codes(loadProgram(specIncluding("sub.kc", { "sub.kc/a.kc": "" }).spec))).toEqual(["KC504"]);
    const { dir, spec } = specIncluding("pipe.kc");
    execFileSync("mkfifo", [join(dir, "pipe.kc")]);
    expect(codes(loadProgram(spec))).toEqual(["KC504"]);
  });

  it("refuses a binary file without quoting it", () => {
    const r = loadProgram(specIncluding("env.kc", { "env.kc": "HOME=/secret\0PATH=/bin\0" }).spec);
    expect(codes(r)).toEqual(["KC504"]);
    expect(rendered(r)).not.toContain("secret");
  });

  it("refuses invalid UTF-8", () => {
    const { dir, spec } = specIncluding("latin1.kc");
    writeFileSync(join(dir, "latin1.kc"), new Uint8Array([0x69, 0x6e, 0x74, 0x20, 0xe9, 0x3b, 0x0a]));
    expect(codes(loadProgram(spec))).toEqual(["KC504"]);
  });

  it("searches -I directories after the including file's own", () => {
    const lib = tmp();
    writeFileSync(join(lib, "sem.kc"), "int from_lib;\n");
    const { spec } = specIncluding("sem.kc");
    expect(codes(loadProgram(spec))).toEqual(["KC501"]);
    const r = loadProgram(spec, { includeDirs: [lib] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.inputs).toEqual([spec, join(lib, "sem.kc")]);
  });
});

describe("size caps", () => {
  it("refuses a file over the per-file cap, included or main", () => {
    const big = `int x;\n${" ".repeat(MAX_FILE_BYTES)}`;
    const r = loadProgram(specIncluding("big.kc", { "big.kc": big }).spec);
    expect(codes(r)).toEqual(["KC505"]);
    const dir = tmp();
    writeFileSync(join(dir, "big.kc"), big);
    expect(codes(loadProgram(join(dir, "big.kc")))).toEqual(["KC505"]);
    expect(codes(loadProgram("mem.kc", {}, big))).toEqual(["KC505"]);
  });

  it("refuses a program whose files together are over the total cap", () => {
    const n = Math.ceil(MAX_PROGRAM_BYTES / (MAX_FILE_BYTES - 16)) + 1;
    const files: Record<string, string> = {};
    for (let i = 0; i < n; i++) files[`f${i}.kc`] = `int v${i};\n${" ".repeat(MAX_FILE_BYTES - 16)}`;
    const dir = tmp();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(
      join(dir, "main.kc"),
      `${Object.keys(files)
        .map((f) => `#include "${f}"`)
        .join("\n")}\n${BODY}`,
    );
    const r = loadProgram(join(dir, "main.kc"));
    expect(codes(r)).toEqual(["KC505"]);
    expect(rendered(r)).toContain("together are larger than");
  });

  it("refuses a /dev/zero main file, or a directory, without reading forever", () => {
    expect(codes(loadProgram("/dev/zero"))).toEqual(["KC504"]);
    expect(codes(loadProgram(tmp()))).toEqual(["KC504"]);
  });

  it("refuses includes nested deeper than the limit", () => {
    const dir = tmp();
    for (let i = 0; i <= MAX_INCLUDE_DEPTH; i++)
      writeFileSync(join(dir, `d${i}.kc`), `#include "d${i + 1}.kc"\n`);
    writeFileSync(join(dir, `d${MAX_INCLUDE_DEPTH + 1}.kc`), "int deep;\n");
    writeFileSync(join(dir, "main.kc"), `#include "d0.kc"\n${BODY}`);
    const r = loadProgram(join(dir, "main.kc"));
    expect(codes(r)).toEqual(["KC505"]);
    expect(rendered(r)).toContain(`nest more than ${MAX_INCLUDE_DEPTH} deep`);
  });
});

describe("defines", () => {
  it("treats __proto__ as a name: unknown, so an error rather than ignored", () => {
    const r = loadProgram("d.kc", { defines: new Map([["__proto__", 5]]) }, "const N = 1;\nprocess p { }\n");
    expect(codes(r)).toEqual(["KC402"]);
    const ok = loadProgram("d.kc", { defines: new Map([["N", 5]]) }, "const N = 1;\nprocess p { }\n");
    expect(ok.ok).toBe(true);
  });
});

describe("diagnostics quote source safely", () => {
  it("escape control characters in the file name, the message and the source line, caret aligned", () => {
    const r = loadProgram("evil\x1b[2J.kc", {}, "int x;\nint y\x1b]0;pwned\x07 = ;\nprocess p { }\n");
    const text = rendered(r);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(text).toContain("evil\\x1b[2J.kc:2:");
    const [, line, caret] = text.split("\n");
    expect(line).toContain("int y\\x1b]0;pwned\\x07");
    // The caret stands under the character the diagnostic names, counted in escaped text.
    const at = (caret as string).indexOf("^");
    expect((line as string).slice(at)).toMatch(/^\\x1b/);
  });

  it("show a window of a very long line around the caret", () => {
    const r = loadProgram("long.kc", {}, `int x; ${"int a; ".repeat(20_000)} @ int y;\nprocess p { }\n`);
    const [, line, caret] = rendered(r).split("\n");
    expect((line as string).length).toBeLessThan(200);
    expect(line).toMatch(/^\s+1 \| …/);
    expect((line as string)[(caret as string).indexOf("^")]).toBe("@");
  });
});
