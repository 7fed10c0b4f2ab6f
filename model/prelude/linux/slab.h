// include/linux/slab.h, mm/slab_common.c: the object allocator. The machine's kmalloc hands out
// the lowest free object of the pool whose type its size names (`kmalloc(sizeof(struct T), f)` or
// `sizeof(*p)`, from a `pool struct T[N];`), NULL when the pool is empty, and every object comes
// zeroed (kfree clears it). An allocation fails only when the pool is empty, unless the spec
// defines CONFIG_FAILSLAB (the kernel's fault injection, mm/failslab.c) before the include: then
// every kmalloc that is not __GFP_NOFAIL may also return NULL, a choice the search tries both ways.
#include <linux/compiler.h>

/// include/linux/gfp_types.h: the allocation may not fail (it retries forever in the kernel).
const __GFP_NOFAIL = 32768;

/// include/linux/gfp_types.h: zero the object (every object comes zeroed here).
const __GFP_ZERO = 256;

/// include/linux/gfp_types.h: may not sleep, as GFP_ATOMIC.
const GFP_NOWAIT = 2;

#ifdef CONFIG_FAILSLAB
/// mm/failslab.c: with CONFIG_FAILSLAB, kmalloc may fail (NULL) whatever the pool holds, unless flags has __GFP_NOFAIL.
#define kmalloc(size, flags) ({ \
    void *__kc_obj = NULL; \
    int __kc_fail = ((flags) & __GFP_NOFAIL) == 0 ? choose(0, 1) : 0; \
    if (!__kc_fail) \
        __kc_obj = kmalloc(size, flags); \
    __kc_obj; })
#endif

/// include/linux/slab.h: kmalloc with __GFP_ZERO (every object comes zeroed here, so the same).
#define kzalloc(size, flags) kmalloc(size, (flags) | __GFP_ZERO)

/// include/linux/slab.h: a zeroed array of n objects; a pool object is one, so n must be 1.
#define kcalloc(n, size, flags) ({ \
    assert((n) == 1, "kcalloc of other than one object: a KC pool holds single objects"); \
    kzalloc(size, flags); })

/// include/linux/slab.h: kcalloc with its arguments as kmalloc_array takes them, not zeroed (zeroed here).
#define kmalloc_array(n, size, flags) kcalloc(n, size, flags)
