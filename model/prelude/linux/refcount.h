// include/linux/refcount.h, lib/refcount.c: reference counts that saturate instead of wrapping.
// Each operation is one step (the kernel's atomic read-modify-write with its fix-up after it).
// A count that would overflow, or an increment from 0 or a decrement below 1 that the kernel
// WARNs about, leaves the count at REFCOUNT_SATURATED, where it stays: the object leaks rather
// than being freed while in use. The WARN itself is an assertion failure here, so a spec sees the
// misuse; a spec that expects it can test refcount_read() == REFCOUNT_SATURATED instead.
#include <linux/compiler.h>

/// include/linux/refcount.h: the largest count (INT_MAX).
const REFCOUNT_MAX = 2147483647;

/// include/linux/refcount.h: where a misused count stays (INT_MIN / 2, 0xc0000000).
const REFCOUNT_SATURATED = -1073741824;

/// include/linux/refcount_types.h: a reference count.
typedef struct refcount_struct { int refs; } refcount_t;

/// include/linux/refcount.h: static initializer of a count of n.
#define REFCOUNT_INIT(n) { (n) }

/// include/linux/refcount.h: set the count (no ordering).
void refcount_set(refcount_t *r, int n) {
    WRITE_ONCE(r->refs, n);
}

/// include/linux/refcount.h: the count; one load.
int refcount_read(refcount_t *r) {
    return READ_ONCE(r->refs);
}

// lib/refcount.c refcount_warn_saturate: the saturation and the WARN, inside the operation's step.
#define __kc_refcount_saturate(r, what) do { (r)->refs = REFCOUNT_SATURATED; assert(0, what); } while (0)

/// include/linux/refcount.h: add i unless the count is saturated; from 0 (a use after free) or past INT_MAX it saturates and WARNs. One step.
void refcount_add(int i, refcount_t *r) {
    atomic {
        int old = r->refs;
        if (old != REFCOUNT_SATURATED) {
            r->refs = old + i;
            if (old == 0)
                __kc_refcount_saturate(r, "refcount_t: addition on 0; use-after-free");
            else if (old < 0 || old + i < 0)
                __kc_refcount_saturate(r, "refcount_t: saturated; leaking memory");
        }
    }
}

/// include/linux/refcount.h: refcount_add of 1; the caller must hold a reference.
void refcount_inc(refcount_t *r) {
    refcount_add(1, r);
}

/// include/linux/refcount.h: add i unless the count is 0 (one step); 1 if it added. Saturates past INT_MAX.
bool refcount_add_not_zero(int i, refcount_t *r) {
    bool ok = false;
    atomic {
        int old = r->refs;
        if (old != 0) {
            ok = true;
            if (old != REFCOUNT_SATURATED) {
                r->refs = old + i;
                if (old < 0 || old + i < 0)
                    __kc_refcount_saturate(r, "refcount_t: saturated; leaking memory");
            }
        }
    }
    return ok;
}

/// include/linux/refcount.h: take a reference unless the count is 0 (an object being freed); 1 if taken.
bool refcount_inc_not_zero(refcount_t *r) {
    return refcount_add_not_zero(1, r);
}

/// include/linux/refcount.h: subtract i (one step); 1 when the count reached 0, and the caller frees. Below 0 it saturates and WARNs (0: the object leaks).
bool refcount_sub_and_test(int i, refcount_t *r) {
    bool zero = false;
    atomic {
        int old = r->refs;
        if (old != REFCOUNT_SATURATED) {
            r->refs = old - i;
            if (old == i)
                zero = true;
            else if (old < 0 || old - i < 0)
                __kc_refcount_saturate(r, "refcount_t: underflow; use-after-free");
        }
    }
    return zero;
}

/// include/linux/refcount.h: drop a reference; 1 when it was the last, and the caller frees.
bool refcount_dec_and_test(refcount_t *r) {
    return refcount_sub_and_test(1, r);
}

/// include/linux/refcount.h: drop a reference that must not be the last: reaching 0 saturates and WARNs (the free would be lost). One step.
void refcount_dec(refcount_t *r) {
    atomic {
        int old = r->refs;
        if (old != REFCOUNT_SATURATED) {
            r->refs = old - 1;
            if (old <= 1)
                __kc_refcount_saturate(r, "refcount_t: decrement hit 0; leaking memory");
        }
    }
}
