// include/asm-generic/barrier.h: CPU memory barriers. KC's machine is sequentially consistent,
// so every barrier is a no-op and the acquire/release forms are plain single accesses: bugs that
// need a missing barrier ([WMM] in docs/kernel-api-facts.md) cannot be found.
#include <linux/compiler.h>

/// include/asm-generic/barrier.h: full barrier; a no-op under sequential consistency.
#define smp_mb() do { } while (0)

/// include/asm-generic/barrier.h: load-load barrier; a no-op under sequential consistency.
#define smp_rmb() do { } while (0)

/// include/asm-generic/barrier.h: store-store barrier; a no-op under sequential consistency.
#define smp_wmb() do { } while (0)

/// include/asm-generic/barrier.h: store v to *p with release order: one visible store.
#define smp_store_release(p, v) WRITE_ONCE(*(p), (v))

/// include/asm-generic/barrier.h: load *p with acquire order: one visible load.
#define smp_load_acquire(p) READ_ONCE(*(p))

/// include/asm-generic/barrier.h: store v to x, then a full barrier: one visible store.
#define smp_store_mb(x, v) WRITE_ONCE(x, v)

/// include/asm-generic/barrier.h: orders an unordered atomic RMW; a no-op here.
#define smp_mb__before_atomic() do { } while (0)

/// include/asm-generic/barrier.h: orders an unordered atomic RMW; a no-op here.
#define smp_mb__after_atomic() do { } while (0)
