// JUnit XML for `ipcmc suite --junit FILE`: one test case per spec, so CI systems show each verdict.
import type { ExecModel } from "../model/ir";
import { printable } from "../model/source";
import { MODEL_WORD } from "./text";

/** One spec's result in a suite run. */
export interface SuiteCase {
  spec: string;
  /** inconclusive: a limit ended the search before what the spec expects was decided. */
  result: "pass" | "fail" | "inconclusive" | "skip";
  /** `holds` or `violation NAME`. */
  expected: string | null;
  /** What the explorer found, or why the spec could not be checked. */
  got: string;
  states: number;
  transitions: number;
  seconds: number;
  /** Compiler diagnostics or other detail for a failure. */
  detail: string | null;
  /** The execution model the spec was checked in; absent when it was not loaded. */
  model?: ExecModel;
}

/**
 * Text for an XML attribute or element: control characters escaped by `printable` (XML 1.0
 * allows none but tab, newline and carriage return, and a CI page should not receive them),
 * then the XML metacharacters; U+FFFE and U+FFFF, also not XML characters, become U+FFFD.
 */
function esc(s: string): string {
  return printable(s, true)
    .replace(/[\ufffe\uffff]/g, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** A JUnit `<testsuite>` document for the cases, named after the suite directory. */
export function renderJunit(suite: string, cases: SuiteCase[]): string {
  // An inconclusive spec is not a pass: CI shows it as a failure whose message says why.
  const failures = cases.filter((c) => c.result === "fail" || c.result === "inconclusive").length;
  const skipped = cases.filter((c) => c.result === "skip").length;
  const time = cases.reduce((a, c) => a + c.seconds, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${esc(`ipcmc ${suite}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">`,
  ];
  for (const c of cases) {
    // The model as a testcase property: a CI page can tell an up verdict from an smp one.
    const model = c.model
      ? `\n    <properties><property name="model" value="${MODEL_WORD[c.model]}"/></properties>`
      : "";
    const head = `  <testcase classname="ipcmc" name="${esc(c.spec)}" time="${c.seconds.toFixed(3)}">${model}`;
    if (c.result === "pass") {
      out.push(
        head,
        `    <system-out>${esc(`expect ${c.expected}; got ${c.got}; ${c.states} states, ${c.transitions} transitions`)}</system-out>`,
        "  </testcase>",
      );
    } else if (c.result === "skip") {
      out.push(head, `    <skipped message="${esc(c.got)}"/>`, "  </testcase>");
    } else {
      const message = c.expected ? `expect ${c.expected}; got ${c.got}` : c.got;
      const type = c.result === "inconclusive" ? ' type="inconclusive"' : "";
      out.push(
        head,
        `    <failure message="${esc(message)}"${type}>${esc(c.detail ?? message)}</failure>`,
        "  </testcase>",
      );
    }
  }
  out.push("</testsuite>");
  return `${out.join("\n")}\n`;
}
