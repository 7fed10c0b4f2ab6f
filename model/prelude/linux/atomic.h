// include/linux/atomic.h, Documentation/atomic_t.txt: atomic_t and its operations. Every
// read-modify-write is one step (an atomic block); atomic_read and atomic_set are single plain
// accesses. The ordering suffixes (_relaxed, _acquire, _release) change nothing under KC's
// sequentially consistent machine. The counter is an int, so an overflow is KC's int overflow
// rather than the kernel's wraparound (-fno-strict-overflow).
#include <asm/barrier.h>

/// include/linux/types.h: an int only the atomic operations touch.
typedef struct { int counter; } atomic_t;

/// include/linux/types.h: static initializer of an atomic_t holding i.
#define ATOMIC_INIT(i) { (i) }

/// include/linux/atomic.h: the value, one plain load.
#define atomic_read(v) READ_ONCE((v)->counter)

/// include/linux/atomic.h: store i, one plain store.
#define atomic_set(v, i) WRITE_ONCE((v)->counter, (i))

/// include/linux/atomic.h: v->counter += i in one step.
void atomic_add(int i, atomic_t *v) {
    atomic { v->counter = v->counter + i; }
}

/// include/linux/atomic.h: v->counter += i in one step; the new value.
int atomic_add_return(int i, atomic_t *v) {
    int r;
    atomic { v->counter = v->counter + i; r = v->counter; }
    return r;
}

/// include/linux/atomic.h: v->counter += i in one step; the old value.
int atomic_fetch_add(int i, atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r + i; }
    return r;
}

/// include/linux/atomic.h: v->counter -= i in one step.
void atomic_sub(int i, atomic_t *v) {
    atomic { v->counter = v->counter - i; }
}

/// include/linux/atomic.h: v->counter -= i in one step; the new value.
int atomic_sub_return(int i, atomic_t *v) {
    int r;
    atomic { v->counter = v->counter - i; r = v->counter; }
    return r;
}

/// include/linux/atomic.h: v->counter -= i in one step; the old value.
int atomic_fetch_sub(int i, atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r - i; }
    return r;
}

/// include/linux/atomic.h: v->counter += 1 in one step.
void atomic_inc(atomic_t *v) {
    atomic { v->counter = v->counter + 1; }
}

/// include/linux/atomic.h: v->counter += 1 in one step; the new value.
int atomic_inc_return(atomic_t *v) {
    int r;
    atomic { v->counter = v->counter + 1; r = v->counter; }
    return r;
}

/// include/linux/atomic.h: v->counter += 1 in one step; the old value.
int atomic_fetch_inc(atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r + 1; }
    return r;
}

/// include/linux/atomic.h: v->counter -= 1 in one step.
void atomic_dec(atomic_t *v) {
    atomic { v->counter = v->counter - 1; }
}

/// include/linux/atomic.h: v->counter -= 1 in one step; the new value.
int atomic_dec_return(atomic_t *v) {
    int r;
    atomic { v->counter = v->counter - 1; r = v->counter; }
    return r;
}

/// include/linux/atomic.h: v->counter -= 1 in one step; the old value.
int atomic_fetch_dec(atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r - 1; }
    return r;
}

/// include/linux/atomic.h: v->counter &= i in one step.
void atomic_and(int i, atomic_t *v) {
    atomic { v->counter = v->counter & i; }
}

/// include/linux/atomic.h: v->counter &= i in one step; the old value.
int atomic_fetch_and(int i, atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r & i; }
    return r;
}

/// include/linux/atomic.h: v->counter |= i in one step.
void atomic_or(int i, atomic_t *v) {
    atomic { v->counter = v->counter | i; }
}

/// include/linux/atomic.h: v->counter |= i in one step; the old value.
int atomic_fetch_or(int i, atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r | i; }
    return r;
}

/// include/linux/atomic.h: v->counter ^= i in one step.
void atomic_xor(int i, atomic_t *v) {
    atomic { v->counter = v->counter ^ i; }
}

/// include/linux/atomic.h: v->counter ^= i in one step; the old value.
int atomic_fetch_xor(int i, atomic_t *v) {
    int r;
    atomic { r = v->counter; v->counter = r ^ i; }
    return r;
}

/// include/linux/atomic.h: v->counter &= ~i in one step.
void atomic_andnot(int i, atomic_t *v) {
    atomic { v->counter = v->counter & ~i; }
}

/// include/linux/atomic.h: store n and give the old value, in one step.
int atomic_xchg(atomic_t *v, int n) {
    int r;
    atomic { r = v->counter; v->counter = n; }
    return r;
}

/// include/linux/atomic.h: if the value is old, store n; the value seen, in one step (success when it equals old).
int atomic_cmpxchg(atomic_t *v, int old, int n) {
    int r;
    atomic { r = v->counter; if (r == old) v->counter = n; }
    return r;
}

/// include/linux/atomic.h: if the value is *old, store n and give 1; else put the value in *old and give 0; in one step.
int atomic_try_cmpxchg(atomic_t *v, int *old, int n) {
    int ok;
    atomic {
        ok = v->counter == *old;
        if (ok) v->counter = n;
        else *old = v->counter;
    }
    return ok;
}

/// include/linux/atomic.h: add a unless the value is u; 1 if it added, in one step.
int atomic_add_unless(atomic_t *v, int a, int u) {
    int ok;
    atomic { ok = v->counter != u; if (ok) v->counter = v->counter + a; }
    return ok;
}

/// include/linux/atomic.h: increment unless the value is 0; 1 if it incremented (taking a reference to a live object).
int atomic_inc_not_zero(atomic_t *v) {
    return atomic_add_unless(v, 1, 0);
}

/// include/linux/atomic.h: decrement; 1 when the new value is 0, in one step.
int atomic_dec_and_test(atomic_t *v) {
    return atomic_dec_return(v) == 0;
}

/// include/linux/atomic.h: subtract i; 1 when the new value is 0, in one step.
int atomic_sub_and_test(int i, atomic_t *v) {
    return atomic_sub_return(i, v) == 0;
}

/// include/linux/atomic.h: increment; 1 when the new value is 0, in one step.
int atomic_inc_and_test(atomic_t *v) {
    return atomic_inc_return(v) == 0;
}

/// include/linux/atomic.h: add i; 1 when the new value is negative, in one step.
int atomic_add_negative(int i, atomic_t *v) {
    return atomic_add_return(i, v) < 0;
}

/// include/linux/atomic.h: exchange on a plain int word, in one step; the old value (KC: int words only).
int xchg(int *p, int n) {
    int r;
    atomic { r = *p; *p = n; }
    return r;
}

/// include/linux/atomic.h: compare and exchange on a plain int word, in one step; the value seen (KC: int words only).
int cmpxchg(int *p, int old, int n) {
    int r;
    atomic { r = *p; if (r == old) *p = n; }
    return r;
}
