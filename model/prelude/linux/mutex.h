// include/linux/mutex.h, kernel/locking/mutex.c (the owner-based mutex of 4.10 and later, without
// optimistic spinning): a sleeping lock. The kernel packs the owner and three flags in one word;
// here they are two words that every access changes together in one step. mutex_unlock's
// release is one step and its later touches of the mutex (taking wait_lock, handing over) are
// steps after it, so freeing an object right after another task's unlock released it is found
// (Documentation/locking/mutex-design.rst: keep the mutex alive until mutex_unlock returned).
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/errno.h>

/// kernel/locking/mutex.c: non-empty wait list: unlock must take the slow path.
const MUTEX_FLAG_WAITERS = 1;

/// kernel/locking/mutex.c: the first waiter asks that unlock hand the mutex to it.
const MUTEX_FLAG_HANDOFF = 2;

/// kernel/locking/mutex.c: the mutex was handed to owner, who has yet to pick it up.
const MUTEX_FLAG_PICKUP = 4;

/// include/linux/mutex.h: owner (NULL when free) and flags, the wait_lock and the FIFO of waiters.
struct mutex { struct task_struct *owner; int flags; raw_spinlock_t wait_lock; struct list_head wait_list; };

/// include/linux/mutex.h: a sleeper on the mutex, on its stack: its link and its task.
struct mutex_waiter { struct list_head list; struct task_struct *task; };

/// include/linux/mutex.h: define an unlocked mutex name.
#define DEFINE_MUTEX(name) struct mutex name = { NULL, 0, { 0 }, { &(name).wait_list, &(name).wait_list } }

/// kernel/locking/mutex.c: unlocked, no waiters.
void mutex_init(struct mutex *lock) {
    lock->owner = NULL;
    lock->flags = 0;
    raw_spin_lock_init(&lock->wait_lock);
    INIT_LIST_HEAD(&lock->wait_list);
}

/// kernel/locking/mutex.c: 1 while some task owns the mutex.
int mutex_is_locked(struct mutex *lock) {
    return READ_ONCE(lock->owner) != NULL;
}

/// kernel/locking/mutex.c: in one step, take a free mutex (clearing HANDOFF) or pick up one handed to us; 1 if now ours.
int __mutex_trylock(struct mutex *lock) {
    int ok = 0;
    atomic {
        if (lock->owner == NULL) {
            lock->owner = current;
            lock->flags = lock->flags & ~MUTEX_FLAG_HANDOFF;
            ok = 1;
        } else if (lock->owner == current && (lock->flags & MUTEX_FLAG_PICKUP) != 0) {
            lock->flags = lock->flags & ~MUTEX_FLAG_PICKUP;
            ok = 1;
        }
    }
    return ok;
}

/// kernel/locking/mutex.c: 1 when waiter is first in the wait list (one load).
int __mutex_waiter_is_first(struct mutex *lock, struct mutex_waiter *waiter) {
    return READ_ONCE(lock->wait_list.next) == &waiter->list;
}

/// kernel/locking/mutex.c: the slow path: queue at the tail under wait_lock and loop: trylock (before the signal test, so a handoff is never lost), signal test for state, sleep, ask for HANDOFF once first; 0, or -EINTR.
int __mutex_lock_common(struct mutex *lock, int state) {
    struct mutex_waiter waiter;
    int first = 0;
    if (__mutex_trylock(lock))
        return 0;
    raw_spin_lock(&lock->wait_lock);
    if (__mutex_trylock(lock))
        goto skip_wait;
    list_add_tail(&waiter.list, &lock->wait_list);
    waiter.task = current;
    if (__mutex_waiter_is_first(lock, &waiter))
        atomic { lock->flags = lock->flags | MUTEX_FLAG_WAITERS; }
    set_current_state(state);
    for (;;) {
        if (__mutex_trylock(lock))
            goto acquired;
        if (signal_pending_state(state, current))
            goto err;
        raw_spin_unlock(&lock->wait_lock);
        schedule();
        if (!first) {
            first = __mutex_waiter_is_first(lock, &waiter);
            if (first)
                atomic { lock->flags = lock->flags | MUTEX_FLAG_HANDOFF; }
        }
        set_current_state(state);
        if (__mutex_trylock(lock))
            break;
        raw_spin_lock(&lock->wait_lock);
    }
    raw_spin_lock(&lock->wait_lock);
acquired:
    __set_current_state(TASK_RUNNING);
    list_del(&waiter.list);
    if (list_empty(&lock->wait_list))
        atomic { lock->flags = 0; }
skip_wait:
    raw_spin_unlock(&lock->wait_lock);
    return 0;
err:
    __set_current_state(TASK_RUNNING);
    list_del(&waiter.list);
    if (list_empty(&lock->wait_list))
        atomic { lock->flags = 0; } // __mutex_clear_flag(lock, MUTEX_FLAGS)
    raw_spin_unlock(&lock->wait_lock);
    return -EINTR;
}

/// kernel/locking/mutex.c: take the mutex, sleeping uninterruptibly while another task owns it; the fast path is one step.
void mutex_lock(struct mutex *lock) {
    int done = 0;
    atomic {
        if (lock->owner == NULL && lock->flags == 0) {
            lock->owner = current;
            done = 1;
        }
    }
    if (!done)
        __mutex_lock_common(lock, TASK_UNINTERRUPTIBLE);
}

/// kernel/locking/mutex.c: mutex_lock that a signal ends: 0, or -EINTR (not taken).
int mutex_lock_interruptible(struct mutex *lock) {
    int done = 0;
    atomic {
        if (lock->owner == NULL && lock->flags == 0) {
            lock->owner = current;
            done = 1;
        }
    }
    if (done)
        return 0;
    return __mutex_lock_common(lock, TASK_INTERRUPTIBLE);
}

/// kernel/locking/mutex.c: mutex_lock that SIGKILL ends: 0, or -EINTR (not taken).
int mutex_lock_killable(struct mutex *lock) {
    int done = 0;
    atomic {
        if (lock->owner == NULL && lock->flags == 0) {
            lock->owner = current;
            done = 1;
        }
    }
    if (done)
        return 0;
    return __mutex_lock_common(lock, TASK_KILLABLE);
}

/// kernel/locking/mutex.c: take the mutex if free, never sleeping: 1 if taken, 0 if not.
int mutex_trylock(struct mutex *lock) {
    return __mutex_trylock(lock);
}

/// kernel/locking/mutex.c: the slow path: release (unless HANDOFF: then keep it for the first waiter) in one step; then, with waiters, take wait_lock, hand over if asked, drop wait_lock, and wake the first waiter.
void __mutex_unlock_slowpath(struct mutex *lock) {
    struct task_struct *next = NULL;
    int handoff = 0;
    int waiters = 0;
    // The release point: from here another task may take the mutex, and free it.
    atomic {
        handoff = (lock->flags & MUTEX_FLAG_HANDOFF) != 0;
        if (!handoff)
            lock->owner = NULL;
        waiters = (lock->flags & MUTEX_FLAG_WAITERS) != 0;
    }
    if (!handoff && !waiters)
        return;
    // Touches of the mutex after the release.
    raw_spin_lock(&lock->wait_lock);
    if (!list_empty(&lock->wait_list)) {
        struct mutex_waiter *waiter = list_first_entry(&lock->wait_list, struct mutex_waiter, list);
        next = waiter->task;
    }
    // __mutex_handoff: the new owner word keeps only WAITERS (HANDOFF is done), and PICKUP only
    // when there is a task to pick it up.
    if (handoff)
        atomic {
            lock->owner = next;
            lock->flags = (lock->flags & MUTEX_FLAG_WAITERS) | (next != NULL ? MUTEX_FLAG_PICKUP : 0);
        }
    raw_spin_unlock(&lock->wait_lock);
    // wake_up_q after the unlock touches only the task.
    if (next != NULL)
        wake_up_process(next);
}

/// kernel/locking/mutex.c: release the mutex the current task holds; without flags one step, else the slow path.
void mutex_unlock(struct mutex *lock) {
    int done = 0;
    atomic {
        assert(lock->owner == current, "mutex_unlock of a mutex the current task does not hold");
        if (lock->flags == 0) {
            lock->owner = NULL;
            done = 1;
        }
    }
    if (!done)
        __mutex_unlock_slowpath(lock);
}
