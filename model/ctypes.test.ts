// C's integer types in KC mean what they mean in C on i386: each case's expected value is what
// gcc gives for \`(int)(EXPR)\` after DECLS (with the kernel's typedefs and a 32-bit size_t), and
// KC must compute the same at run time, folded, and in a constant expression.
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "./diagnostics";
import { loadProgram } from "./load";

/** The names of the properties a program violates; throws on a compile error. */
function violated(text: string): string[] {
  const r = loadProgram("ctypes.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

/** The codes a program compiles to ([] when it compiles). */
function codes(text: string): string[] {
  const r = loadProgram("ctypes.kc", {}, text);
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

/** An int as a KC literal: INT_MIN has none of its own. */
function lit(v: number): string {
  return v === -2147483648 ? "(-2147483647 - 1)" : v < 0 ? `(${v})` : String(v);
}

/** [DECLS, EXPR, (int)(EXPR) as gcc computes it]: generated once by compiling these with cc -fwrapv. */
const CASES: Array<[string, string, number]> = [
  ["unsigned u = 0;", "u - 1", -1],
  ["unsigned u = 0;", "u - 1 > 0", 1],
  ["int i = -1; unsigned u = 1;", "i < u", 0],
  ["int i = -1; unsigned u = 1;", "i / u", -1],
  ["", "-7 / 2u", 2147483644],
  ["", "-7 % 3u", 0],
  ["", "0x80000000 >> 4", 134217728],
  ["", "-16 >> 2", -4],
  ["", "(unsigned)-16 >> 2", 1073741820],
  ["u8 b = 250; b += 10;", "b", 4],
  ["u8 b = 200;", "b + b", 400],
  ["u8 b = 0;", "~b", -1],
  ["u16 h = 65535;", "h + 1", 65536],
  ["u16 h = 65535; h++;", "h", 0],
  ["s16 s = 32767; s++;", "s", -32768],
  ["s8 c = -128; c--;", "c", 127],
  ["unsigned u = 5;", "-u", -5],
  ["unsigned u = 5;", "-u > 0", 1],
  ["u8 b = 1;", "-b < 0", 1],
  ["unsigned short us = 1;", "us - 2 < 0", 1],
  ["unsigned u = 1;", "u - 2 < 0", 0],
  ["", "1u << 31", -2147483648],
  ["", "(1u << 31) > 0", 1],
  ["", "0xffffffff == -1", 1],
  ["", "0xffffffff > 0", 1],
  ["", "-1 > 0u", 1],
  ["", "(u8)300", 44],
  ["", "(s8)200", -56],
  ["", "(u16)-1", 65535],
  ["", "(s16)40000", -25536],
  ["", "(unsigned char)-1", 255],
  ["", "(signed char)255", -1],
  ["", "(short)65535", -1],
  ["unsigned u = 10; u /= -1;", "u", 0],
  ["int i = -8; i >>= 1u;", "i", -4],
  ["int i = -7; i %= 2u;", "i", 1],
  ["int i = -7; unsigned d = 2; i /= d;", "i", 2147483644],
  ["u8 b = 10; b -= 20;", "b", 246],
  ["u8 b = 16; b *= 16;", "b", 0],
  ["u8 b = 255; b <<= 1;", "b", 254],
  ["u8 b = 200; b >>= 1;", "b", 100],
  ["s8 c = 100; c += 100;", "c", -56],
  ["unsigned u = 3000000000u;", "u / 2", 1500000000],
  ["unsigned u = 3000000000u;", "u % 7", 4],
  ["unsigned u = 3000000000u;", "u > 2000000000", 1],
  ["unsigned u = 0x80000000; int i = u;", "i", -2147483648],
  ["", "(1 ? -1 : 0u) > 0", 1],
  ["int c = 0;", "(c ? 0u : -1) / 2", 2147483647],
  ["unsigned char uc = 200; char c = uc;", "c", -56],
  ["_Bool b = 256;", "b", 1],
  ["", "sizeof(u8) + 10 * sizeof(u16) + 100 * sizeof(short) + 1000 * sizeof(unsigned)", 4221],
  ["struct s1 { u8 a; u32 b; u16 c; };", "sizeof(struct s1)", 12],
  ["struct s2 { u8 a; u8 b; u16 c; };", "sizeof(struct s2)", 4],
  ["struct s3 { char a; u16 b[3]; };", "sizeof(struct s3)", 8],
  ["unsigned u = 4294967295u; u++;", "u", 0],
  ["u8 b = 255; int r = b++;", "r * 1000 + b", 255000],
  ["unsigned u = 0; int r = u--;", "r + (u == 4294967295u)", 1],
  ["u8 b = 0; int r = --b;", "r", 255],
  ["u32 x = 1;", "x << 31 >> 31", 1],
  ["", "~0u >> 1", 2147483647],
  ["", "~0u > 0", 1],
  ["unsigned u = 7; int i = -3;", "u + i", 4],
  ["unsigned u = 7; int i = -3;", "u * i", -21],
  ["unsigned u = 7; int i = -3;", "i / (int)u", 0],
  ["u16 a = 40000; u16 b = 40000;", "a * b > 0", 1],
  ["u8 a = 3; int i = -1;", "a > i", 1],
  ["unsigned u = 3; int i = -1;", "u > i", 0],
  ["unsigned short s = 3; int i = -1;", "s > i", 1],
  ["uint x = 10; ulong y = 20;", "x - y > 0", 1],
  ["size_t n = 3;", "n - 4 > 0", 1],
  ["ssize_t n = 3;", "n - 4 > 0", 0],
  ["pid_t p = -1; uid_t uid = p;", "(p < 0) + 2 * (uid > 0)", 3],
  ["umode_t m = 0777;", "m & ~022", 493],
  ["", "0x7fffffff + 1u", -2147483648],
  ["", "0x80000000 / 2", 1073741824],
  ["", "-2147483647 - 1 < 0u", 0],
  ["char c = -1; unsigned u = c;", "(u > 0) + 2 * (u == 0xffffffff)", 3],
  ["u8 b = (u8)-1; unsigned u = b;", "u", 255],
  ["s8 x = -1; u16 y = x;", "y", 65535],
  ["unsigned u = 5; u = -u;", "u", -5],
  ["unsigned u = 100; u8 b = u * 3;", "b", 44],
  ["s16 s = -1; unsigned short us = s;", "us", 65535],
  ["unsigned short us = 65535; short s = us;", "s", -1],
  ["u8 b = 200; s8 c = b;", "c", -56],
  ["unsigned u = 6; int i = -1;", "u % i", 6],
  ["int i = 1000000;", "i * 3000u / 1000", 3000000],
  ["", "'a' + 0u", 97],
  ["unsigned u = 1;", "u ^ 0xffffffff", -2],
  ["unsigned u = 0xf0f0f0f0;", "(u | 0x0f) & 0xff0000ff", -268435201],
  ["u8 a = 0xf0;", "a ^ 0xff", 15],
  ["unsigned u = 5;", "!u + !(u - 5)", 1],
];

describe("C integer types: values as gcc gives them", () => {
  it.each(CASES)("%s (int)(%s) == %d", (decls, e, want) => {
    // A struct declaration goes to the top level; everything else runs in the process.
    const global = decls.startsWith("struct") ? decls : "";
    const local = global ? "" : decls;
    expect(
      violated(`${global}\nprocess p {\n${local}\nint res = (int)(${e});\nassert(res == ${lit(want)});\n}\n`),
    ).toEqual([]);
  });

  it.each(CASES.filter(([d]) => d === ""))(
    "a constant expression agrees: const K = (int)(%s)",
    (_d, e, want) => {
      // Folded by the constant evaluator (a const's value), compared at run time with C's value.
      expect(
        violated(
          `const K = (int)(${e});\nint a[(${e}) == ${lit(want)} ? 1 : -1];\nprocess p { assert(K == ${lit(want)}); }\n`,
        ),
      ).toEqual([]);
    },
  );
});

/** The codes of a program with `-D` defines. */
function codesWith(text: string, defines: Record<string, number>): string[] {
  const r = loadProgram("ctypes.kc", { defines }, text);
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

describe("C integer types in declarations", () => {
  it("a const has its declared type, or its initialiser's, and C's conversion to it", () => {
    const g = [
      "const unsigned PIPE_BUF = 4096;",
      "const u8 BYTE = 300;", // gcc: 44, with a warning
      "const ALL = 0xffffffff;", // unsigned int, from the constant's type
      "const s16 NEG = 40000;",
    ].join("\n");
    const body = [
      "assert(PIPE_BUF - 4097 > 0); assert(BYTE == 44); assert(ALL > 0); assert(ALL + 1 == 0);",
      "assert(NEG == -25536); assert(-1 < 0 && !(-1 < PIPE_BUF));",
    ].join("\n");
    expect(violated(`${g}\nprocess p {\n${body}\n}\n`)).toEqual([]);
  });

  it("a -D value is a word for an int or unsigned const, and must fit a narrower or ranged one", () => {
    const text =
      "const unsigned M = 1;\nconst N = 1;\nconst u8 B = 1;\nconst int<0..3> R = 0;\nprocess p { assert(M > 2147483647); assert(N < 0); }\n";
    expect(codesWith(text, { M: -1, N: -1 })).toEqual([]);
    expect(codesWith(text, { M: 4294967295, N: 4294967295 })).toEqual([]);
    // The words -1 and 4294967295 are the same -D value: M is UINT_MAX, N is -1.
    for (const v of [-1, 4294967295]) {
      const r = loadProgram("ctypes.kc", { defines: { M: v, N: v } }, text);
      if (!r.ok) throw new Error("does not compile");
      expect(r.program.constants.get("M")).toBe(-1);
      expect(r.program.constants.get("N")).toBe(-1);
    }
    expect(codesWith(text, { B: 255 })).toEqual([]);
    expect(codesWith(text, { B: 256 })).toEqual(["KC408"]);
    expect(codesWith(text, { B: -1 })).toEqual(["KC408"]);
    expect(codesWith(text, { R: 4 })).toEqual(["KC408"]);
  });

  it("a constant expression that shifts by 32 or more, or overflows int, is KC408; unsigned wraps", () => {
    expect(codes("const K = 1 << 32;\nprocess p { }\n")).toEqual(["KC408"]);
    expect(codes("const K = 2147483647 + 1;\nprocess p { }\n")).toEqual(["KC408"]);
    expect(
      codes("const K = 2147483647u + 1;\nconst J = 0u - 1;\nconst I = -0x80000000;\nprocess p { }\n"),
    ).toEqual([]);
    expect(codes("enum { BIG = 0x80000000 };\nprocess p { }\n")).toEqual(["KC408"]);
    expect(codes("int<0..0x80000000> r;\nprocess p { }\n")).toEqual(["KC408"]);
  });

  it("the prelude's integer typedefs may be declared again as the same type, not as another", () => {
    expect(codes("typedef unsigned int u32;\ntypedef unsigned int size_t;\nu32 x;\nprocess p { }\n")).toEqual(
      [],
    );
    expect(codes("typedef int u32;\nprocess p { }\n")).toEqual(["KC202"]);
  });

  it("switch compares the promoted value with each case converted to its type", () => {
    const body = [
      "unsigned u = -1; int r = 0;",
      "switch (u) { case 0xffffffff: r = 1; break; default: r = 2; }",
      "u8 b = 255; switch (b) { case -1: r += 10; break; case 255: r += 20; break; }",
      "assert(r == 21);",
    ].join("\n");
    expect(violated(`process p {\n${body}\n}\n`)).toEqual([]);
    expect(
      codes("process p { unsigned u = 0; switch (u) { case -1: break; case 0xffffffff: break; } }\n"),
    ).toEqual(["KC202"]);
  });

  it("an int may be read through an unsigned * and back (C11 6.5p7); narrow types may not", () => {
    const g = "int i = -1;\nunsigned ur;\nint back;";
    const body =
      "unsigned *p = (unsigned *)&i; ur = *p; void *v = &i; unsigned *q = v; *q = 4294967294u; back = i; assert(ur == 4294967295u && back == -2);";
    expect(violated(`${g}\nprocess p { ${body} }\n`)).toEqual([]);
    expect(codes("char c;\nprocess p { u8 *q = (u8 *)&c; }\n")).toEqual(["KC313"]);
    expect(codes("short s;\nprocess p { u16 *q = (u16 *)&s; }\n")).toEqual(["KC313"]);
    expect(codes("int i;\nprocess p { unsigned *q = &i; }\n")).toEqual(["KC301"]);
    // Through void *, a u8 * onto a char is a bad cast when it runs.
    expect(violated("char c = -1;\nint r;\nprocess p { void *v = &c; u8 *q = v; r = *q; }\n")).toEqual([
      "runtime_error",
    ]);
  });

  it("a ranged int is a signed int: an unsigned value stored in it converts, then meets the range", () => {
    expect(
      violated("int<0..7> r;\nprocess p { unsigned u = 5; r = u; assert(r == 5); u = -1; r = u; }\n"),
    ).toEqual(["runtime_error"]);
    expect(violated("int<0..7> r = 3;\nunsigned u;\nprocess p { u = r - 4; assert(u > 7); }\n")).toEqual([]);
  });

  it("the integer words C has, and the kernel's typedefs, have C's sizes on i386", () => {
    const body = [
      "assert(sizeof(short) == 2 && sizeof(unsigned short) == 2 && sizeof(signed char) == 1);",
      "assert(sizeof(unsigned char) == 1 && sizeof(unsigned) == 4 && sizeof(unsigned long) == 4);",
      "assert(sizeof(size_t) == 4 && sizeof(ssize_t) == 4 && sizeof(u8) == 1 && sizeof(__u16) == 2);",
      "assert(sizeof(__s32) == 4 && sizeof(umode_t) == 2 && sizeof(pid_t) == 4 && sizeof(gid_t) == 4);",
      "assert(sizeof(_Bool) == 1 && sizeof(uint) == 4 && sizeof(ulong) == 4 && sizeof(ushort) == 2);",
    ].join("\n");
    expect(violated(`process p {\n${body}\n}\n`)).toEqual([]);
  });

  it("a string initialises an array of any of C's char types, each byte converted to it", () => {
    const g = 'u8 g[3] = "\\xff\\x80";\nsigned char sg[2] = "\\xff";';
    const body =
      'unsigned char l[2] = "\\x80"; assert(g[0] == 255 && g[1] == 128 && g[2] == 0 && sg[0] == -1 && l[0] == 128);';
    expect(violated(`${g}\nprocess p { ${body} }\n`)).toEqual([]);
    expect(codes('u16 w[2] = "a";\nprocess p { }\n')).toEqual(["KC311"]);
  });

  it("choose chooses an int: a constant unsigned bound above INT_MAX is KC304", () => {
    expect(codes("process p { unsigned u = choose(0u, 0xffffffff); }\n")).toEqual(["KC304"]);
    expect(
      violated("char b[4];\nprocess p { unsigned u = choose(0, sizeof(b)); assert(u <= 4); }\n"),
    ).toEqual([]);
  });
});

describe("C integer constants in #if", () => {
  it("a u constant in #if is KC313 (uintmax_t arithmetic), a large hex one is intmax_t as in C", () => {
    expect(codes("#if -1 < 0u\nconst X = 1;\n#endif\nprocess p { }\n")).toEqual(["KC313"]);
    expect(
      violated(
        "#if 0xffffffff > 0 && 'u' == 117\nconst X = 1;\n#else\nconst X = 2;\n#endif\nprocess p { assert(X == 1); }\n",
      ),
    ).toEqual([]);
  });
});
