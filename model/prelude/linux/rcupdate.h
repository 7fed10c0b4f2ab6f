// include/linux/rcupdate.h, kernel/rcu/: read-copy update at the level a model needs
// (Documentation/RCU/whatisRCU.rst). A reader's outermost rcu_read_lock counts it in one of two
// reader counts, the one of the current parity; a grace period flips the parity and waits until
// the old parity's count is zero, so it waits for exactly the readers that were inside a section
// when it began (one grace period at a time, so every earlier reader is in the old count).
// synchronize_rcu runs a grace period in the caller. call_rcu and kfree_rcu queue their work in a
// table of RCU_KC_MAX_PENDING slots; the softirq below, which may fire at any moment interrupts
// are on, starts a grace period for the queued work and, in a later firing once the readers are
// gone, runs it, so a callback runs at any time after its grace period and never before. A free
// that does not wait for readers leaves them a dangling pointer: a use_after_free.
#include <linux/compiler.h>
#include <linux/sched.h>

#ifndef RCU_KC_MAX_PENDING
/// kernel/rcu/tree.c: how many call_rcu/kfree_rcu may wait at once in the model (define it before the include to change it).
#define RCU_KC_MAX_PENDING 4
#endif

// The callback's tag, declared first so the callback type can name it.
struct rcu_head;

/// include/linux/types.h: an RCU callback: it gets the rcu_head call_rcu was given.
typedef void (*rcu_callback_t)(struct rcu_head *head);

/// include/linux/types.h: the link call_rcu queues an object by, inside that object (next is not used here).
struct rcu_head { struct rcu_head *next; rcu_callback_t func; };

/// kernel/rcu/tree.h: the grace-period machine: the parity new readers count in, the reader counts, the grace period under way (1 synchronize_rcu, 2 the softirq) and its old parity, and the queued work (stage 1 queued, 2 waiting for the grace period under way).
struct rcu_state {
    int parity;
    int readers[2];
    int gp_busy;
    int gp_old;
    int pending;
    struct rcu_head *cb[RCU_KC_MAX_PENDING];
    void *obj[RCU_KC_MAX_PENDING];
    int stage[RCU_KC_MAX_PENDING];
};

/// kernel/rcu/tree.c: the one grace-period machine.
struct rcu_state rcu_state;

/// include/linux/rcupdate.h: enter a read-side critical section (they nest); one step.
void rcu_read_lock(void) {
    atomic {
        if (current->rcu_read_lock_nesting == 0) {
            current->rcu_read_parity = rcu_state.parity;
            rcu_state.readers[rcu_state.parity]++;
        }
        current->rcu_read_lock_nesting++;
    }
}

/// include/linux/rcupdate.h: leave a read-side critical section; the outermost one lets grace periods that wait for it end. One step.
void rcu_read_unlock(void) {
    atomic {
        assert(current->rcu_read_lock_nesting > 0, "rcu_read_unlock outside an RCU read-side critical section");
        current->rcu_read_lock_nesting--;
        if (current->rcu_read_lock_nesting == 0) {
            rcu_state.readers[current->rcu_read_parity]--;
            current->rcu_read_parity = 0;
        }
    }
}

/// include/linux/rcupdate.h: 1 inside a read-side critical section (lockdep's check).
int rcu_read_lock_held(void) {
    return current->rcu_read_lock_nesting > 0;
}

/// include/linux/rcupdate.h: the read side in bottom halves; the same section here.
#define rcu_read_lock_bh() rcu_read_lock()

/// include/linux/rcupdate.h: leave an rcu_read_lock_bh section.
#define rcu_read_unlock_bh() rcu_read_unlock()

/// include/linux/rcupdate.h: publish v in p: one store (the kernel's release orders v's initialisation first).
#define rcu_assign_pointer(p, v) WRITE_ONCE(p, v)

/// include/linux/rcupdate.h: set p without ordering (NULL, or before readers can see it).
#define RCU_INIT_POINTER(p, v) WRITE_ONCE(p, v)

/// include/linux/rcupdate.h: load an RCU-protected pointer inside a read-side section; one load.
#define rcu_dereference(p) READ_ONCE(p)

/// include/linux/rcupdate.h: rcu_dereference with a lockdep condition (not checked here).
#define rcu_dereference_check(p, c) READ_ONCE(p)

/// include/linux/rcupdate.h: load an RCU-protected pointer on the update side, under its lock.
#define rcu_dereference_protected(p, c) (p)

/// include/linux/rcupdate.h: the pointer's value, not to be dereferenced; one load.
#define rcu_access_pointer(p) READ_ONCE(p)

/// kernel/rcu/tree.c: wait for a grace period: every read-side section that began before the call has ended (a sleep; inside a section it never ends).
void synchronize_rcu(void) {
    might_sleep();
    atomic {
        assert(current->rcu_read_lock_nesting == 0, "synchronize_rcu inside an RCU read-side critical section");
        await(rcu_state.gp_busy == 0);
        rcu_state.gp_busy = 1;
        rcu_state.gp_old = rcu_state.parity;
        rcu_state.parity = 1 - rcu_state.parity;
    }
    atomic {
        await(rcu_state.readers[rcu_state.gp_old] == 0);
        rcu_state.gp_busy = 0;
        rcu_state.gp_old = 0;
    }
}

/// kernel/rcu/tree.c: synchronize_rcu, faster in the kernel; the same here.
#define synchronize_rcu_expedited() synchronize_rcu()

// Queue one piece of work (a callback, or an object to kfree) in the first free slot.
void __kc_rcu_queue(struct rcu_head *head, void *obj) {
    atomic {
        int i = 0;
        while (i < RCU_KC_MAX_PENDING && rcu_state.stage[i] != 0)
            i++;
        assert(i < RCU_KC_MAX_PENDING, "more call_rcu/kfree_rcu pending than RCU_KC_MAX_PENDING slots");
        rcu_state.cb[i] = head;
        rcu_state.obj[i] = obj;
        rcu_state.stage[i] = 1;
        rcu_state.pending++;
    }
}

/// kernel/rcu/tree.c: run func(head) after a grace period, from the softirq; returns at once.
void call_rcu(struct rcu_head *head, rcu_callback_t func) {
    head->func = func;
    __kc_rcu_queue(head, NULL);
}

/// include/linux/rcupdate.h: kfree(ptr) after a grace period; rhf names ptr's rcu_head member.
#define kfree_rcu(ptr, rhf) __kc_rcu_queue(&(ptr)->rhf, (ptr))

/// kernel/rcu/tree.c: wait until every callback queued so far has run (a sleep).
void rcu_barrier(void) {
    might_sleep();
    await(rcu_state.pending == 0);
}

// kernel/rcu/tree.c rcu_core, run as RCU_SOFTIRQ: with no grace period under way, start one for
// the queued work; with its own under way and the old readers gone, run that work (in slot order)
// and end it. Each firing is one step; it waits for nothing, so it fires only when it can act.
interrupt rcu_softirq {
    int i;
    int queued = 0;
    if (rcu_state.gp_busy == 0) {
        for (i = 0; i < RCU_KC_MAX_PENDING; i++)
            if (rcu_state.stage[i] == 1)
                queued = 1;
        assume(queued);
        for (i = 0; i < RCU_KC_MAX_PENDING; i++)
            if (rcu_state.stage[i] == 1)
                rcu_state.stage[i] = 2;
        rcu_state.gp_busy = 2;
        rcu_state.gp_old = rcu_state.parity;
        rcu_state.parity = 1 - rcu_state.parity;
    } else {
        assume(rcu_state.gp_busy == 2 && rcu_state.readers[rcu_state.gp_old] == 0);
        for (i = 0; i < RCU_KC_MAX_PENDING; i++) {
            if (rcu_state.stage[i] == 2) {
                struct rcu_head *head = rcu_state.cb[i];
                void *obj = rcu_state.obj[i];
                rcu_state.cb[i] = NULL;
                rcu_state.obj[i] = NULL;
                rcu_state.stage[i] = 0;
                rcu_state.pending--;
                if (obj != NULL)
                    kfree(obj);
                else
                    head->func(head);
            }
        }
        rcu_state.gp_busy = 0;
        rcu_state.gp_old = 0;
    }
}
