// include/asm-generic/bug.h: the kernel's own assertions. Each is a KC assertion whose message
// names the macro and its condition, so a violation reads as the kernel's report would.

/// include/asm-generic/bug.h: the kernel oopses here; an assertion that always fails.
#define BUG() assert(0, "BUG()")

/// include/asm-generic/bug.h: oops when cond holds; an assertion of !cond.
#define BUG_ON(cond) assert(!(cond), "BUG_ON(" #cond ")")

/// include/asm-generic/bug.h: warn when cond holds and give its truth value; an assertion of !cond.
#define WARN_ON(cond) ({ int __warn_on = !!(cond); assert(!__warn_on, "WARN_ON(" #cond ")"); __warn_on; })

/// include/asm-generic/bug.h: WARN_ON that the kernel prints once; the same assertion here.
#define WARN_ON_ONCE(cond) ({ int __warn_once = !!(cond); assert(!__warn_once, "WARN_ON_ONCE(" #cond ")"); __warn_once; })
