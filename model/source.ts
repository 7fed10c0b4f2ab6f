// Source files of one KC program, and the mapping from byte offsets to line and column.

/** One loaded file: its display name (as the user wrote it or as included) and its text. */
export interface SourceFile {
  name: string;
  text: string;
  /** Offsets at which each line starts; computed on first use. */
  lineStarts?: number[];
}

/** The files of one program, indexed by the `file` number found in every `Span`. */
export class SourceSet {
  readonly files: SourceFile[] = [];

  add(name: string, text: string): number {
    this.files.push({ name, text });
    return this.files.length - 1;
  }

  file(index: number): SourceFile {
    const f = this.files[index];
    if (!f) throw new Error(`no source file ${index}`);
    return f;
  }

  /** 1-based line and column of an offset. */
  position(file: number, offset: number): { line: number; col: number } {
    const f = this.file(file);
    if (!f.lineStarts) {
      const starts = [0];
      for (let i = 0; i < f.text.length; i++) if (f.text.charCodeAt(i) === 10) starts.push(i + 1);
      f.lineStarts = starts;
    }
    const starts = f.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] as number) + 1 };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(file: number, line: number): string {
    const f = this.file(file);
    this.position(file, 0);
    const starts = f.lineStarts as number[];
    const start = starts[line - 1] ?? f.text.length;
    const next = starts[line];
    const end = next === undefined ? f.text.length : next - 1;
    return f.text.slice(start, end).replace(/\r$/, "");
  }
}

// C0 and C1 control characters, DEL, and the Unicode characters that reorder or break lines
// in a terminal (bidirectional overrides and isolates, line and paragraph separators): each could
// repaint the screen, hide text or forge a line of output.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it matches
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, with newline and tab as well
const UNPRINTABLE_IN_LINE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that came from input (a spec, a file name, a trace) made safe for a terminal: every
 * control character is shown as an escape (`\x1b`, `\u202e`). With `lines`, newline and tab
 * are kept (for whole reports ipcmc assembled); without, the text stays on one line. The one
 * escaping function for everything ipcmc prints.
 */
export function printable(text: string, lines = false): string {
  return text.replace(lines ? UNPRINTABLE : UNPRINTABLE_IN_LINE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
