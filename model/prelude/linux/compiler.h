// include/linux/compiler.h, include/asm-generic/rwonce.h: accesses the compiler may not tear,
// fuse or repeat. KC explores interleavings under sequential consistency, so each is simply one
// visible access of its own; a weak-memory bug ([WMM] in docs/kernel-api-facts.md) is not found.

/// include/asm-generic/rwonce.h: load x once, untorn; one visible access.
#define READ_ONCE(x) (x)

/// include/asm-generic/rwonce.h: store val to x once, untorn; one visible access.
#define WRITE_ONCE(x, val) ((x) = (val))

/// include/linux/compiler.h: a compiler barrier; nothing to do under sequential consistency.
#define barrier() do { } while (0)
