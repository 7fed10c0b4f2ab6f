// The memory_leak property (checker/leaks.ts): once every process has exited, an allocated pool
// object must be reachable from a global or a task_struct through typed pointers.
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

function leak(text: string): string {
  const r = loadProgram("leak.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const p = explore(new System(r.program), { keepGoing: true }).properties.find(
    (x) => x.name === "memory_leak",
  );
  return p ? (p.counterexample?.message ?? p.status) : "not checked";
}

const NODE = `#include <linux/slab.h>
struct node { int v; struct node *next; };
pool struct node[3];
struct node *head;
`;

describe("memory_leak", () => {
  it("an object whose only pointer was a dead task's local is leaked; one a global holds is not", () => {
    expect(leak(`${NODE}process p { struct node *n = kmalloc(sizeof(*n), GFP_KERNEL); head = n; }`)).toBe(
      "holds",
    );
    expect(leak(`${NODE}process p { struct node *n = kmalloc(sizeof(*n), GFP_KERNEL); n->v = 1; }`)).toBe(
      "memory leak: struct node (pool object 0) is still allocated when every process has exited, and no pointer reaches it",
    );
  });

  it("reachability follows chains; a cycle that nothing reaches is leaked", () => {
    const chain = `${NODE}process p { struct node *a = kmalloc(sizeof(*a), GFP_KERNEL); struct node *b = kmalloc(sizeof(*b), GFP_KERNEL);
  a->next = b; b->next = a; HEAD }`;
    expect(leak(chain.replace("HEAD", "head = a;"))).toBe("holds");
    expect(leak(chain.replace("HEAD", ""))).toMatch(/^memory leak: struct node \(pool object 0\)/);
  });

  it("a freed object is no leak; an int holding the same number is no pointer", () => {
    expect(leak(`${NODE}process p { struct node *n = kmalloc(sizeof(*n), GFP_KERNEL); kfree(n); }`)).toBe(
      "holds",
    );
  });

  it("a task_struct field is a root (a zombie's memory is freed only when it is reaped)", () => {
    const src = `#include <linux/slab.h>
struct node { int v; };
pool struct node[1];
struct task_struct { int pid; int state; int signal; int blocked; struct node *mine; };
process p { current->mine = kmalloc(sizeof(struct node), GFP_KERNEL); }`;
    expect(leak(src)).toBe("holds");
  });

  it("a program that allocates nothing has no memory_leak property", () => {
    expect(leak("int x;\nprocess p { x = 1; }\n")).toBe("not checked");
  });
});
