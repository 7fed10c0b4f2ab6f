// include/linux/semaphore.h, kernel/locking/semaphore.c (2.6.26 and later, before the 2025
// wake_q change): a counting semaphore under a raw spin lock. up() with waiters hands its unit
// straight to the first waiter (waiter.up) instead of incrementing count, so no later down()
// can steal it; the waiter tests waiter.up under the lock before any signal or timeout test.
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/errno.h>

/// include/linux/semaphore.h: the lock, the units left, and the waiters in FIFO order.
struct semaphore { raw_spinlock_t lock; int count; struct list_head wait_list; };

/// include/linux/semaphore.h: static initializer of semaphore name with n units.
#define __SEMAPHORE_INITIALIZER(name, n) { { 0 }, (n), { &(name).wait_list, &(name).wait_list } }

/// include/linux/semaphore.h: define semaphore name with n units.
#define DEFINE_SEMAPHORE(name, n) struct semaphore name = __SEMAPHORE_INITIALIZER(name, n)

/// kernel/locking/semaphore.c: a sleeper on the semaphore, on its stack: its link, its task, and whether up() handed it the unit.
struct semaphore_waiter { struct list_head list; struct task_struct *task; bool up; };

/// include/linux/semaphore.h: val units, no waiters.
void sema_init(struct semaphore *sem, int val) {
    raw_spin_lock_init(&sem->lock);
    sem->count = val;
    INIT_LIST_HEAD(&sem->wait_list);
}

/// kernel/locking/semaphore.c: entered with the lock held and interrupts off: queue at the tail and sleep (dropping the lock) until up() hands over (0), a signal for state (-EINTR) or the time is up (-ETIME).
int __down_common(struct semaphore *sem, int state, long timeout) {
    struct semaphore_waiter waiter;
    list_add_tail(&waiter.list, &sem->wait_list);
    waiter.task = current;
    waiter.up = false;
    for (;;) {
        if (signal_pending_state(state, current))
            goto interrupted;
        if (timeout <= 0)
            goto timed_out;
        __set_current_state(state);
        raw_spin_unlock_irq(&sem->lock);
        timeout = schedule_timeout(timeout);
        raw_spin_lock_irq(&sem->lock);
        if (waiter.up)
            return 0;
    }
timed_out:
    list_del(&waiter.list);
    return -ETIME;
interrupted:
    list_del(&waiter.list);
    return -EINTR;
}

/// kernel/locking/semaphore.c: with the lock held: hand the unit to the first waiter and wake it.
void __up(struct semaphore *sem) {
    struct semaphore_waiter *waiter = list_first_entry(&sem->wait_list, struct semaphore_waiter, list);
    list_del(&waiter->list);
    waiter->up = true;
    wake_up_process(waiter->task);
}

/// kernel/locking/semaphore.c: take a unit, sleeping uninterruptibly while there is none.
void down(struct semaphore *sem) {
    int flags;
    raw_spin_lock_irqsave(&sem->lock, flags);
    if (sem->count > 0)
        sem->count--;
    else
        __down_common(sem, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
    raw_spin_unlock_irqrestore(&sem->lock, flags);
}

/// kernel/locking/semaphore.c: down that a signal ends: 0, or -EINTR.
int down_interruptible(struct semaphore *sem) {
    int flags;
    int result = 0;
    raw_spin_lock_irqsave(&sem->lock, flags);
    if (sem->count > 0)
        sem->count--;
    else
        result = __down_common(sem, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
    raw_spin_unlock_irqrestore(&sem->lock, flags);
    return result;
}

/// kernel/locking/semaphore.c: down that SIGKILL ends: 0, or -EINTR.
int down_killable(struct semaphore *sem) {
    int flags;
    int result = 0;
    raw_spin_lock_irqsave(&sem->lock, flags);
    if (sem->count > 0)
        sem->count--;
    else
        result = __down_common(sem, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT);
    raw_spin_unlock_irqrestore(&sem->lock, flags);
    return result;
}

/// kernel/locking/semaphore.c: down for at most timeout jiffies: 0, or -ETIME.
int down_timeout(struct semaphore *sem, long timeout) {
    int flags;
    int result = 0;
    raw_spin_lock_irqsave(&sem->lock, flags);
    if (sem->count > 0)
        sem->count--;
    else
        result = __down_common(sem, TASK_UNINTERRUPTIBLE, timeout);
    raw_spin_unlock_irqrestore(&sem->lock, flags);
    return result;
}

/// kernel/locking/semaphore.c: take a unit if there is one without sleeping: 0 if taken, 1 if not (the inverse of spin_trylock).
int down_trylock(struct semaphore *sem) {
    int flags;
    int count;
    raw_spin_lock_irqsave(&sem->lock, flags);
    count = sem->count - 1;
    if (count >= 0)
        sem->count = count;
    raw_spin_unlock_irqrestore(&sem->lock, flags);
    return count < 0;
}

/// kernel/locking/semaphore.c: give a unit back: to the first waiter if there is one, else to count; any context may call it.
void up(struct semaphore *sem) {
    int flags;
    raw_spin_lock_irqsave(&sem->lock, flags);
    if (list_empty(&sem->wait_list))
        sem->count++;
    else
        __up(sem);
    raw_spin_unlock_irqrestore(&sem->lock, flags);
}
