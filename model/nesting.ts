// The nesting bound on syntax trees: every later walk (elaboration, type printing, constant
// folding, the IR's code generation) recurses over nodes, so no tree may be deeper than it.
import type { Decl, Span } from "./ast";
import { CompileError } from "./diagnostics";

/**
 * Most levels of nested statements, expressions, types and initializers. C compilers must take
 * 63 levels of parentheses and 12 declarators; kernel code stays far below this.
 */
export const MAX_NESTING = 256;

/** The message of KC114, shared by the parser's recursion guard and the tree check. */
export function nestingMessage(): string {
  return `nesting too deep: more than ${MAX_NESTING} levels`;
}

interface Node {
  kind: string;
  span: Span;
}

function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && typeof (x as { kind?: unknown }).kind === "string";
}

/**
 * Levels a child adds below its parent. An `else if` continues its chain and a label continues
 * a run of labels (`case 1: case 2:`): elaboration reads both in a loop, so they add none.
 */
function step(parent: Node, field: string, child: Node): number {
  if (parent.kind === "if" && field === "else" && child.kind === "if") return 0;
  const label = (k: string): boolean => k === "labeled" || k === "case";
  if (label(parent.kind) && field === "body" && label(child.kind)) return 0;
  return 1;
}

/**
 * Throws KC114 at the first node nested more than MAX_NESTING levels deep in `decls`. Chains
 * the parser builds in loops (`1+1+…+1`, `int ***…p`, `a[1][1]…`, `x.a.b…`) count one level
 * per operator, as the walks that follow recurse once per operator. Iterative, so any depth is safe.
 */
export function checkNesting(decls: Decl[]): void {
  const stack: Array<{ value: unknown; depth: number }> = decls.map((d) => ({ value: d, depth: 0 }));
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { value, depth } = top;
    if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, depth });
      continue;
    }
    if (typeof value !== "object" || value === null) continue;
    const parent = isNode(value) ? value : null;
    if (parent && depth > MAX_NESTING) {
      // A pointer type spans from its base type to its last `*`: that `*` is the level too many.
      const { file, start, end } = parent.span;
      const span = parent.kind === "pointer" ? { file, start: Math.max(start, end - 1), end } : parent.span;
      throw new CompileError([{ code: "KC114", span, message: nestingMessage() }]);
    }
    // An initializer item's designators (`.a[0][1] = v`) are walked one level each.
    const designators = (value as { designators?: unknown[] }).designators?.length ?? 0;
    for (const [field, child] of Object.entries(value)) {
      if (field === "span" || field === "nameSpan" || field === "calleeSpan") continue;
      // Below a node, a node or a list of them is one level down; records that are not nodes
      // (a declarator, an initializer item) hold their parts at their own level.
      let add = field === "value" ? designators : 0;
      if (parent) add = isNode(child) ? step(parent, field, child) : 1;
      stack.push({ value: child, depth: depth + add });
    }
  }
}
