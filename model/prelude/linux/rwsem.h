// include/linux/rwsem.h, kernel/locking/rwsem.c: reader-writer semaphores, as the fact sheet's
// model (docs/kernel-api-facts.md section 3): a reader count and a writer owner that the fast
// paths change in one step, a FIFO of sleeping waiters under wait_lock, and grants made by the
// releaser: a writer at the head, or the batch of readers at the head, gets the lock while it
// sleeps (the kernel's rwsem_mark_wake for readers; writers here are granted too, as 2.6's
// rwsem did, instead of racing for the lock when they wake). A new reader queues behind any
// waiter, so writers do not starve. The grant adds the readers first, then clears each
// waiter->task (the waiter's signal that it holds the lock, its last touch of the waiter, which
// lives on the sleeper's stack), then wake_q_add: the order of the fix of the missed wake-up RW2.
// The releases touch the rwsem after the release step, as the kernel's rwsem_wake does.
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/sched/wake_q.h>
#include <linux/errno.h>

/// kernel/locking/rwsem.c: a waiter that wants to read.
const RWSEM_WAITING_FOR_READ = 0;

/// kernel/locking/rwsem.c: a waiter that wants to write.
const RWSEM_WAITING_FOR_WRITE = 1;

/// include/linux/rwsem.h: the readers inside, the writer inside (NULL when none), the wait_lock and the FIFO of waiters.
struct rw_semaphore { int readers; struct task_struct *owner; raw_spinlock_t wait_lock; struct list_head wait_list; };

/// kernel/locking/rwsem.c: a sleeper on the rwsem, on its stack: its link, its task (NULL once granted) and what it waits for.
struct rwsem_waiter { struct list_head list; struct task_struct *task; int type; };

/// include/linux/rwsem.h: define an unlocked rwsem name.
#define DECLARE_RWSEM(name) struct rw_semaphore name = { 0, NULL, { 0 }, { &(name).wait_list, &(name).wait_list } }

/// include/linux/rwsem.h: unlocked, no waiters.
void init_rwsem(struct rw_semaphore *sem) {
    sem->readers = 0;
    sem->owner = NULL;
    raw_spin_lock_init(&sem->wait_lock);
    INIT_LIST_HEAD(&sem->wait_list);
}

/// include/linux/rwsem.h: 1 while a reader or a writer holds it.
int rwsem_is_locked(struct rw_semaphore *sem) {
    return READ_ONCE(sem->readers) != 0 || READ_ONCE(sem->owner) != NULL;
}

/// kernel/locking/rwsem.c: take it for reading if no writer holds it and nobody waits; 1 if taken. One step.
int down_read_trylock(struct rw_semaphore *sem) {
    int ok = 0;
    atomic {
        if (sem->owner == NULL && list_empty(&sem->wait_list)) {
            sem->readers++;
            ok = 1;
        }
    }
    return ok;
}

/// kernel/locking/rwsem.c: take it for writing if it is free and nobody waits; 1 if taken. One step.
int down_write_trylock(struct rw_semaphore *sem) {
    int ok = 0;
    atomic {
        if (sem->owner == NULL && sem->readers == 0 && list_empty(&sem->wait_list)) {
            sem->owner = current;
            ok = 1;
        }
    }
    return ok;
}

/// kernel/locking/rwsem.c: with wait_lock held: grant the head writer, or the readers at the head (readers_only: only readers), moving them to wake_q.
void rwsem_mark_wake(struct rw_semaphore *sem, int readers_only, struct wake_q_head *wake_q) {
    struct rwsem_waiter *waiter;
    struct rwsem_waiter *tmp;
    int woken = 0;
    if (list_empty(&sem->wait_list) || sem->owner != NULL)
        return;
    waiter = list_first_entry(&sem->wait_list, struct rwsem_waiter, list);
    if (waiter->type == RWSEM_WAITING_FOR_WRITE) {
        if (readers_only || sem->readers != 0)
            return;
        struct task_struct *tsk = waiter->task;
        atomic { sem->owner = tsk; }
        list_del(&waiter->list);
        WRITE_ONCE(waiter->task, NULL);
        wake_q_add(wake_q, tsk);
        return;
    }
    // Pass one: count the readers at the head up to the first writer and add them at once.
    list_for_each_entry(waiter, &sem->wait_list, list) {
        if (waiter->type == RWSEM_WAITING_FOR_WRITE)
            break;
        woken++;
    }
    atomic { sem->readers = sem->readers + woken; }
    // Pass two: unqueue them, clear each task (the waiter may return at once), then queue the wake.
    list_for_each_entry_safe(waiter, tmp, &sem->wait_list, list) {
        if (woken == 0)
            break;
        woken--;
        struct task_struct *tsk = waiter->task;
        list_del(&waiter->list);
        WRITE_ONCE(waiter->task, NULL);
        wake_q_add(wake_q, tsk);
    }
}

/// kernel/locking/rwsem.c: after a release: grant under wait_lock, then wake the granted tasks.
void rwsem_wake(struct rw_semaphore *sem, int readers_only) {
    DEFINE_WAKE_Q(wake_q);
    raw_spin_lock(&sem->wait_lock);
    rwsem_mark_wake(sem, readers_only, &wake_q);
    raw_spin_unlock(&sem->wait_lock);
    wake_up_q(&wake_q);
}

/// kernel/locking/rwsem.c: the slow path: under wait_lock take it if the fast path's test now passes, else queue at the tail, grant what is free, and sleep in state until granted (0), or a signal for state while still queued (-EINTR).
int __rwsem_down_common(struct rw_semaphore *sem, int type, int state) {
    struct rwsem_waiter waiter;
    DEFINE_WAKE_Q(wake_q);
    raw_spin_lock(&sem->wait_lock);
    if (type == RWSEM_WAITING_FOR_READ ? down_read_trylock(sem) : down_write_trylock(sem)) {
        raw_spin_unlock(&sem->wait_lock);
        return 0;
    }
    waiter.task = current;
    waiter.type = type;
    list_add_tail(&waiter.list, &sem->wait_list);
    // A release that ran before the link was in saw no waiter and woke nobody: grant now what
    // is free (perhaps to this waiter itself), as the kernel's slow paths do once queued.
    rwsem_mark_wake(sem, 0, &wake_q);
    raw_spin_unlock(&sem->wait_lock);
    wake_up_q(&wake_q);
    for (;;) {
        set_current_state(state);
        if (READ_ONCE(waiter.task) == NULL)
            break;
        if (signal_pending_state(state, current)) {
            raw_spin_lock(&sem->wait_lock);
            if (waiter.task != NULL) {
                list_del(&waiter.list);
                raw_spin_unlock(&sem->wait_lock);
                __set_current_state(TASK_RUNNING);
                // A waiter that leaves the head may let the waiters behind it in.
                rwsem_wake(sem, 0);
                return -EINTR;
            }
            raw_spin_unlock(&sem->wait_lock);
            break;
        }
        schedule();
    }
    __set_current_state(TASK_RUNNING);
    return 0;
}

/// kernel/locking/rwsem.c: take it for reading, sleeping uninterruptibly while a writer holds it or waiters queue.
void down_read(struct rw_semaphore *sem) {
    might_sleep();
    if (!down_read_trylock(sem))
        __rwsem_down_common(sem, RWSEM_WAITING_FOR_READ, TASK_UNINTERRUPTIBLE);
}

/// kernel/locking/rwsem.c: down_read that SIGKILL ends: 0, or -EINTR (not taken).
int down_read_killable(struct rw_semaphore *sem) {
    might_sleep();
    if (down_read_trylock(sem))
        return 0;
    return __rwsem_down_common(sem, RWSEM_WAITING_FOR_READ, TASK_KILLABLE);
}

/// kernel/locking/rwsem.c: down_read that a signal ends: 0, or -EINTR (not taken).
int down_read_interruptible(struct rw_semaphore *sem) {
    might_sleep();
    if (down_read_trylock(sem))
        return 0;
    return __rwsem_down_common(sem, RWSEM_WAITING_FOR_READ, TASK_INTERRUPTIBLE);
}

/// kernel/locking/rwsem.c: take it for writing, sleeping uninterruptibly while anyone holds it or waiters queue.
void down_write(struct rw_semaphore *sem) {
    might_sleep();
    if (!down_write_trylock(sem))
        __rwsem_down_common(sem, RWSEM_WAITING_FOR_WRITE, TASK_UNINTERRUPTIBLE);
}

/// kernel/locking/rwsem.c: down_write that SIGKILL ends: 0, or -EINTR (not taken).
int down_write_killable(struct rw_semaphore *sem) {
    might_sleep();
    if (down_write_trylock(sem))
        return 0;
    return __rwsem_down_common(sem, RWSEM_WAITING_FOR_WRITE, TASK_KILLABLE);
}

/// kernel/locking/rwsem.c: release a read hold (one step); the last reader then wakes the head waiter.
void up_read(struct rw_semaphore *sem) {
    int last = 0;
    atomic {
        assert(sem->readers > 0, "up_read of an rwsem no reader holds");
        sem->readers--;
        last = sem->readers == 0 && !list_empty(&sem->wait_list);
    }
    if (last)
        rwsem_wake(sem, 0);
}

/// kernel/locking/rwsem.c: release the write hold (one step), then grant to the waiters.
void up_write(struct rw_semaphore *sem) {
    int waiters = 0;
    atomic {
        assert(sem->owner == current, "up_write of an rwsem the current task does not hold for writing");
        sem->owner = NULL;
        waiters = !list_empty(&sem->wait_list);
    }
    if (waiters)
        rwsem_wake(sem, 0);
}

/// kernel/locking/rwsem.c: turn the write hold into a read hold in one step, then let the readers at the head in.
void downgrade_write(struct rw_semaphore *sem) {
    int waiters = 0;
    atomic {
        assert(sem->owner == current, "downgrade_write of an rwsem the current task does not hold for writing");
        sem->owner = NULL;
        sem->readers = 1;
        waiters = !list_empty(&sem->wait_list);
    }
    if (waiters)
        rwsem_wake(sem, 1);
}
