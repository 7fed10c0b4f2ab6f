// kmalloc/kfree from bounded pools: exhaustion gives NULL, and use after free, double free and
// freeing what kmalloc did not return are violations with a trace.
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";
import { buildTrace } from "./trace";

function check(text: string) {
  const r = loadProgram("pool.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const sys = new System(r.program);
  const o = explore(sys, { keepGoing: true });
  const bad = o.properties.filter((p) => p.status === "violated");
  return { o, bad, sys, r };
}

const msg = "struct msg { int type; struct msg *next; };\npool struct msg[2];\nstruct msg *queue;\n";

describe("kmalloc pools", () => {
  it("allocates, links, frees; objects are zeroed when freed", () => {
    const text = `${msg}int done;
process p {
  struct msg *a = kmalloc(sizeof(struct msg), GFP_KERNEL);
  struct msg *b = kmalloc(sizeof(*a));
  a->type = 7; a->next = b; b->type = 8;
  assert(a != b && a != NULL && b != NULL);
  kfree(a); kfree(b);
  done = 1;
}
final clean: done == 1;
`;
    const { bad } = check(text);
    expect(bad.map((p) => p.name)).toEqual([]);
  });

  it("an exhausted pool returns NULL, as kmalloc does under memory pressure", () => {
    const text =
      "struct msg { int type; };\npool struct msg[1];\nint got;\nprocess p { struct msg *a = kmalloc(sizeof(struct msg)); struct msg *b = kmalloc(sizeof(struct msg)); got = (a != NULL) + (b != NULL); kfree(a); kfree(b); }\nfinal one: got == 1;\n";
    expect(check(text).bad).toEqual([]);
  });

  it("finds a use after free between two processes", () => {
    const text = `${msg}
process producer { struct msg *m = kmalloc(sizeof(struct msg)); m->type = 1; queue = m; kfree(m); }
process consumer { await(queue != NULL); int t = queue->type; }
`;
    const { bad, sys, r } = check(text);
    const rt = bad.find((p) => p.name === "runtime_error");
    expect(rt?.counterexample?.fault).toBe("use_after_free");
    const trace = buildTrace(sys, r.sources, rt?.counterexample?.choices ?? []).trace;
    const last = trace.steps[trace.steps.length - 1];
    expect(last?.process).toBe("consumer");
    expect(last?.fault?.message).toContain("use after free");
    // The allocation shows in the trace by name.
    expect(
      trace.steps.some((s) => s.changes.some((c) => c.name === "pool<msg>[0].allocated" && c.to === "1")),
    ).toBe(true);
  });

  it("a double free and a bad free are caught", () => {
    const dbl = `${msg}process p { struct msg *m = kmalloc(sizeof(struct msg)); kfree(m); kfree(m); }\n`;
    expect(check(dbl).bad.find((p) => p.name === "runtime_error")?.counterexample?.fault).toBe("double_free");
    const badFree = `${msg}struct msg global;\nprocess p { kfree(&global); }\n`;
    expect(check(badFree).bad.find((p) => p.name === "runtime_error")?.counterexample?.fault).toBe(
      "bad_free",
    );
    const nul = `${msg}process p { kfree(NULL); }\n`;
    expect(check(nul).bad).toEqual([]);
  });
});
