// For tests of the command line: captures what main() writes to stdout and stderr.
import { afterEach, beforeEach, vi } from "vitest";

/** The text written so far in the current test; reset before each test. */
export interface Captured {
  out: string;
  err: string;
}

/** Installs hooks that capture stdout and stderr in every test of the calling file. */
export function captureOutput(): Captured {
  const c: Captured = { out: "", err: "" };
  beforeEach(() => {
    c.out = "";
    c.err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => {
      c.out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      c.err += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return c;
}
