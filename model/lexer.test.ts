// Tests for the KC lexer: token kinds and values, comments, directives, every lexical error, and robustness.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompileError, type Diagnostic } from "./diagnostics";
import { lex, lexRaw, type Token } from "./lexer";
import { SourceSet } from "./source";

function tokens(text: string): Token[] {
  const sources = new SourceSet();
  return lex(sources, sources.add("t.kc", text));
}

/** Tokens as `kind:text`, without the final eof. */
function show(text: string): string[] {
  return tokens(text)
    .filter((t) => t.kind !== "eof")
    .map((t) => `${t.kind}:${t.text}`);
}

function values(text: string): Array<number | string> {
  return tokens(text).flatMap((t) => (t.kind === "int" || t.kind === "string" ? [t.value] : []));
}

/** The single diagnostic thrown when lexing `text`. */
function lexError(text: string): Diagnostic & { quoted: string } {
  try {
    tokens(text);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    expect(e.diagnostics).toHaveLength(1);
    const d = e.diagnostics[0] as Diagnostic;
    return { ...d, quoted: d.span ? text.slice(d.span.start, d.span.end) : "" };
  }
  throw new Error(`no error lexing ${JSON.stringify(text)}`);
}

describe("lexer tokens", () => {
  it("splits identifiers, reserved and contextual keywords", () => {
    expect(show("int process while atomic self NULL invariant _x9")).toEqual([
      "keyword:int",
      "ident:process",
      "keyword:while",
      "keyword:atomic",
      "ident:self",
      "keyword:NULL",
      "ident:invariant",
      "ident:_x9",
    ]);
  });

  it("reads decimal, hex and octal integers", () => {
    expect(values("0 7 42 0x1F 0X10 017 3l")).toEqual([0, 7, 42, 31, 16, 15, 3]);
  });

  it("reads int constants up to INT_MAX, with an optional l or L (long is 32-bit on i386)", () => {
    expect(values("2147483647 0x7fffffff 017777777777 5l 5L 0x10L")).toEqual([
      2147483647, 2147483647, 2147483647, 5, 5, 16,
    ]);
  });

  it("types constants as C does on i386: u makes unsigned int, hex and octal above INT_MAX are unsigned int", () => {
    const typed = (text: string) =>
      tokens(text).flatMap((t) => (t.kind === "int" ? [`${t.value}${t.unsigned ? "u" : ""}`] : []));
    expect(
      typed("1u 1U 1UL 7lu 0ul 0xffffffff 0x80000000 037777777777 4294967295u 0x7fffffff 2147483647"),
    ).toEqual([
      "1u",
      "1u",
      "1u",
      "7u",
      "0u",
      "4294967295u",
      "2147483648u",
      "4294967295u",
      "4294967295u",
      "2147483647",
      "2147483647",
    ]);
  });

  it.each([
    ["2147483648", "C makes it long long (64-bit)"],
    ["4294967295", "write 4294967295u"],
    ["2147483648l", "C makes it long long (64-bit)"],
    ["1ll", "is long long (64-bit)"],
    ["1LL", "is long long (64-bit)"],
    ["1ull", "is long long (64-bit)"],
  ])("%s is KC313: its C type is 64-bit, not int", (text, message) => {
    const e = lexError(`x = ${text};`);
    expect(e).toMatchObject({ code: "KC313", quoted: text });
    expect(e.message).toContain(message);
  });

  it("lexes 0..7 as a number, '..', a number", () => {
    expect(show("int<0..7>")).toEqual(["keyword:int", "punct:<", "int:0", "punct:..", "int:7", "punct:>"]);
    expect(show("0x1..N")).toEqual(["int:0x1", "punct:..", "ident:N"]);
  });

  it("reads character literals and their escapes as ints", () => {
    expect(values(String.raw`'a' '\n' '\t' '\0' '\\' '\'' '\"' '\x41' '\101' '\7' '"' '\r'`)).toEqual([
      97, 10, 9, 0, 92, 39, 34, 65, 65, 7, 34, 13,
    ]);
    const [t] = tokens(String.raw`'\n'`);
    expect(t?.kind).toBe("int");
    // A character constant has the value of a char, which is signed on i386.
    expect(values(String.raw`'\xff' '\x80' '\377' '\x7f'`)).toEqual([-1, -128, -1, 127]);
    expect(lexError("x = 'é';")).toMatchObject({ code: "KC101", quoted: "'é'" });
    expect(lexError("x = '😀';")).toMatchObject({ code: "KC101", quoted: "'😀'" });
    expect(t?.text).toBe(String.raw`'\n'`);
  });

  it("decodes strings, keeping each literal separate", () => {
    expect(values(String.raw`"a\tb" "q\"uote\\" "" "x\x41\060"`)).toEqual(["a\tb", 'q"uote\\', "", "xA0"]);
    expect(show(`"ab" "cd"`)).toEqual([`string:"ab"`, `string:"cd"`]);
  });

  it("takes the longest operator", () => {
    expect(show("a<<=b>>=c->d++--e<=f...g..h&&i||j!=k")).toEqual([
      "ident:a",
      "punct:<<=",
      "ident:b",
      "punct:>>=",
      "ident:c",
      "punct:->",
      "ident:d",
      "punct:++",
      "punct:--",
      "ident:e",
      "punct:<=",
      "ident:f",
      "punct:...",
      "ident:g",
      "punct:..",
      "ident:h",
      "punct:&&",
      "ident:i",
      "punct:||",
      "ident:j",
      "punct:!=",
      "ident:k",
    ]);
    const ops = "+ - * / % < > = ! ~ & | ^ ? : ; , . ( ) [ ] { } += -= *= /= %= &= |= ^= == >= << >>";
    expect(show(ops)).toEqual(ops.split(" ").map((op) => `punct:${op}`));
  });

  it("drops line and block comments", () => {
    expect(show("a // b c\nd /* e\n f */ g /**/h/* // */i")).toEqual([
      "ident:a",
      "ident:d",
      "ident:g",
      "ident:h",
      "ident:i",
    ]);
    expect(show("x // no newline at the end")).toEqual(["ident:x"]);
  });

  it("gives every token the span of its text and ends with eof", () => {
    const text = 'int<0..7> x = \'a\' + "s"; // c\n#include "lib/a.kc"\n';
    const toks = tokens(text);
    for (const t of toks) expect(text.slice(t.span.start, t.span.end)).toBe(t.text);
    const last = toks[toks.length - 1];
    expect(last?.kind).toBe("eof");
    expect(last?.span).toEqual({ file: 0, start: text.length, end: text.length });
  });
});

describe("lexer directives", () => {
  it("turns #include lines into one token carrying the path", () => {
    const toks = tokens('#include "lib/linux/sem.kc"\n  #  include <wait.kc> // why\nint x;');
    const includes = toks.flatMap((t) => (t.kind === "include" ? [t.path] : []));
    expect(includes).toEqual(["lib/linux/sem.kc", "wait.kc"]);
    expect(toks.map((t) => t.kind)).toEqual(["include", "include", "keyword", "ident", "punct", "eof"]);
    expect(toks[0]?.text).toBe('#include "lib/linux/sem.kc"');
  });

  it("allows a comment after the path", () => {
    expect(show('#include "a.kc" /* x */ // y\n')).toEqual(['include:#include "a.kc"']);
  });

  it("rejects every other directive with KC113", () => {
    const d = lexError("const N = 3;\n#define M 4\n");
    expect(d.code).toBe("KC113");
    expect(d.quoted).toBe("#define");
    expect(d.message).toBe(
      "unsupported preprocessor directive '#define': KC has only #include; write 'const NAME = value;' for a constant",
    );
    expect(lexError("#ifdef CONFIG_SMP\n").message).toBe(
      "unsupported preprocessor directive '#ifdef': KC has only #include",
    );
    expect(lexError("#\n").code).toBe("KC113");
  });

  it("rejects a malformed #include with KC113", () => {
    expect(lexError("#include sem.kc\n").message).toBe(`expected "path" or <path> after #include, found 's'`);
    expect(lexError("#include\n").message).toBe(
      `expected "path" or <path> after #include, found end of line`,
    );
    expect(lexError('#include "sem.kc\n').message).toBe(`#include path has no closing '"'`);
    expect(lexError("#include <sem.kc\n").message).toBe("#include path has no closing '>'");
    expect(lexError('#include ""\n').message).toBe("#include path is empty");
    const d = lexError('#include "a.kc" int x;\n');
    expect(d.code).toBe("KC113");
    expect(d.quoted).toBe("int x;");
  });

  it("does not treat '#' in the middle of a line as a directive", () => {
    const d = lexError('int x; #include "a.kc"\n');
    expect(d.code).toBe("KC101");
    expect(d.message).toBe("unexpected character '#': a directive must begin its own line");
  });
});

describe("lexer errors", () => {
  it("KC101: unexpected characters", () => {
    expect(lexError("int x = 3 @ 4;")).toMatchObject({
      code: "KC101",
      message: "unexpected character '@'",
      quoted: "@",
    });
    expect(lexError("holders ≤ 1").message).toBe("unexpected character '≤' (U+2264)");
    expect(lexError("a\u0001b").message).toBe("unexpected character U+0001");
    expect(lexError("x = `y`").quoted).toBe("`");
    expect(lexError("int $x;").code).toBe("KC101");
  });

  it("KC101: bad character literals and escapes", () => {
    expect(lexError("''").message).toBe("empty character literal ''");
    expect(lexError("'ab'")).toMatchObject({
      code: "KC101",
      message: "a character literal holds one character; use a string for more",
      quoted: "'ab'",
    });
    expect(lexError(String.raw`"\q"`)).toMatchObject({
      message: String.raw`unknown escape sequence '\q'`,
      quoted: "\\q",
    });
    expect(lexError(String.raw`'\x'`).message).toBe(String.raw`escape '\x' needs hex digits, as in '\x1f'`);
    expect(lexError(String.raw`'\x100'`).code).toBe("KC101");
    expect(lexError(String.raw`'\477'`).code).toBe("KC101");
  });

  it("KC102: unterminated block comment", () => {
    const d = lexError("int x;\n/* the rest\nof the file");
    expect(d).toMatchObject({ code: "KC102", quoted: "/*" });
    expect(d.message).toBe("unterminated comment: this '/*' has no closing '*/'");
  });

  it("KC103: unterminated strings and characters", () => {
    const d = lexError('assert(x, "oops);\nint y;');
    expect(d).toMatchObject({ code: "KC103", quoted: '"oops);' });
    expect(d.message).toBe(`unterminated string: it needs a closing '"' on this line`);
    expect(lexError('"abc').code).toBe("KC103");
    expect(lexError('"abc\\').code).toBe("KC103");
    expect(lexError("'a").message).toBe("unterminated character literal");
    expect(lexError("'").code).toBe("KC103");
    expect(lexError("'\\n").code).toBe("KC103");
  });

  it("KC104: malformed numbers", () => {
    expect(lexError("x = 09;")).toMatchObject({
      code: "KC104",
      quoted: "09",
      message: "malformed number '09': a leading 0 makes it octal, which has no digits 8 or 9",
    });
    expect(lexError("x = 0x;").message).toBe("malformed number '0x': '0x' must be followed by hex digits");
    expect(lexError("x = 0xg1;").code).toBe("KC104");
    expect(lexError("x = 12abc;").message).toBe("malformed number '12abc'");
    expect(lexError("x = 1e5;").code).toBe("KC104");
    expect(lexError("x = 10uu;").code).toBe("KC104");
    expect(lexError("x = 1.5;")).toMatchObject({
      quoted: "1.5",
      message: "'1.5' is a floating-point number; KC has only integers",
    });
    expect(lexError("x = 0x100000000;").message).toBe(
      "integer constant '0x100000000' does not fit in 32 bits",
    );
    expect(lexError("x = 4294967296;").code).toBe("KC104");
  });
});

describe("lexer robustness", () => {
  const isCompileError = (text: string): boolean => {
    try {
      tokens(text);
      return true;
    } catch (e) {
      return e instanceof CompileError && e.diagnostics.length === 1;
    }
  };

  it("throws nothing but a CompileError on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), isCompileError), { numRuns: 500 });
  });

  it("throws nothing but a CompileError on C-like character soup", () => {
    const unit = fc.constantFrom(
      ..."#include\"'<>/*\\\n x0.9e_+-=;{}()[]|&^!~?:,".split(""),
      "0x",
      "..",
      "//",
    );
    fc.assert(fc.property(fc.string({ unit, maxLength: 80 }), isCompileError), { numRuns: 2000 });
  });

  it("keeps span text equal to token text on valid input", () => {
    const unit = fc.constantFrom(
      "a",
      "int",
      " ",
      "\n",
      "12",
      "0x1f",
      "'c'",
      '"s"',
      "..",
      "->",
      "+",
      "/**/",
      "//c\n",
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), (parts) => {
        const text = parts.join(" ");
        for (const t of tokens(text)) expect(text.slice(t.span.start, t.span.end)).toBe(t.text);
      }),
    );
  });
});

describe("lexRaw, the preprocessor's tokens", () => {
  /** Tokens as `kind:text`, `^` before the first of a line, without the final eof. */
  function raw(text: string): string[] {
    const sources = new SourceSet();
    return lexRaw(sources, sources.add("t.kc", text))
      .filter((t) => t.kind !== "eof")
      .map((t) => `${t.bol ? "^" : ""}${t.kind}:${t.text}`);
  }

  it("makes # and ## tokens and marks the first token of each line", () => {
    expect(raw("#define F(a) #a ## b\nx")).toEqual([
      "^punct:#",
      "ident:define",
      "ident:F",
      "punct:(",
      "ident:a",
      "punct:)",
      "punct:#",
      "ident:a",
      "punct:##",
      "ident:b",
      "^ident:x",
    ]);
  });

  it("keeps #include lines whole, and a spliced or commented line is one line", () => {
    expect(raw('#include "a.kc"\n#define X 1 \\\n + 2 /* and\n more */ + 3\ny')).toEqual([
      '^include:#include "a.kc"',
      "^punct:#",
      "ident:define",
      "ident:X",
      "int:1",
      "punct:+",
      "int:2",
      "punct:+",
      "int:3",
      "^ident:y",
    ]);
  });

  it("turns text that does not lex into a bad token instead of an error", () => {
    expect(raw("x 1.5 y\ndon't stop\n@ z")).toEqual([
      "^ident:x",
      "bad:1.5",
      "ident:y",
      "^ident:don",
      "bad:'t stop",
      "^bad:@",
      "ident:z",
    ]);
    const sources = new SourceSet();
    expect(() => lexRaw(sources, sources.add("t.kc", "/* never closed"))).toThrow(CompileError);
  });

  it("a file of nothing but bad text is the first bad token's error, quickly", () => {
    const sources = new SourceSet();
    const t = performance.now();
    for (const text of ["@ ".repeat(400_000), "1x ".repeat(300_000), "'\n".repeat(400_000)]) {
      expect(() => lexRaw(sources, sources.add("t.kc", text))).toThrow(CompileError);
    }
    expect(performance.now() - t).toBeLessThan(3000);
  });

  it("accepts a line splice between tokens in plain lex too", () => {
    expect(show("a \\\n b")).toEqual(["ident:a", "ident:b"]);
  });
});
