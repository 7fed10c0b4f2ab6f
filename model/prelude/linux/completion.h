// include/linux/completion.h, kernel/sched/completion.c (2.6.x to 5.6, on a wait queue): a count
// of completions under the queue's lock. complete() finishes with the unlock, and a waiter takes
// that lock before it returns, so a completion may be freed once its wait returns: the reason
// completions replaced on-stack semaphores (docs/kernel-api-facts.md section 5). The lock is
// taken with this CPU's interrupts off, which stops no other CPU (see <linux/irqflags.h>).
#include <linux/wait.h>

/// include/linux/completion.h: done counts complete() calls not yet consumed (UINT_MAX here INT_MAX: completed for all).
struct completion { int done; wait_queue_head_t wait; };

/// include/linux/completion.h: done stands for "completed for everyone" after complete_all.
const COMPLETION_ALL = 2147483647;

/// include/linux/completion.h: define a completion name, not done.
#define DECLARE_COMPLETION(work) struct completion work = { 0, { { 0 }, { &(work).wait.head, &(work).wait.head } } }

/// include/linux/completion.h: DECLARE_COMPLETION for a completion on the stack.
#define DECLARE_COMPLETION_ONSTACK(work) DECLARE_COMPLETION(work)

/// include/linux/completion.h: not done, an empty queue.
void init_completion(struct completion *x) {
    x->done = 0;
    init_waitqueue_head(&x->wait);
}

/// include/linux/completion.h: not done again (no waiter may be queued; needed after complete_all).
void reinit_completion(struct completion *x) {
    x->done = 0;
}

/// kernel/sched/completion.c: under the lock, count one completion and wake one waiter (in queue order).
void complete(struct completion *x) {
    int flags;
    spin_lock_irqsave(&x->wait.lock, flags);
    if (x->done != COMPLETION_ALL)
        x->done++;
    __wake_up_locked(&x->wait, TASK_NORMAL, 1);
    spin_unlock_irqrestore(&x->wait.lock, flags);
}

/// kernel/sched/completion.c: under the lock, mark done for everyone and wake all waiters.
void complete_all(struct completion *x) {
    int flags;
    spin_lock_irqsave(&x->wait.lock, flags);
    x->done = COMPLETION_ALL;
    __wake_up_locked(&x->wait, TASK_NORMAL, 0);
    spin_unlock_irqrestore(&x->wait.lock, flags);
}

/// kernel/sched/completion.c: entered and left with the lock held: queue an exclusive entry once, sleep (dropping the lock) until done or the time is up or a signal for state; consume one; the time left, 0, or -ERESTARTSYS.
long do_wait_for_common(struct completion *x, long timeout, int state) {
    if (!x->done) {
        DECLARE_WAITQUEUE(wait, current);
        wait.flags = wait.flags | WQ_FLAG_EXCLUSIVE;
        __add_wait_queue_entry_tail(&x->wait, &wait);
        do {
            if (signal_pending_state(state, current)) {
                timeout = -ERESTARTSYS;
                break;
            }
            __set_current_state(state);
            spin_unlock_irq(&x->wait.lock);
            timeout = schedule_timeout(timeout);
            spin_lock_irq(&x->wait.lock);
        } while (!x->done && timeout);
        __remove_wait_queue(&x->wait, &wait);
        if (!x->done)
            return timeout;
    }
    if (x->done != COMPLETION_ALL)
        x->done--;
    return timeout ? timeout : 1;
}

/// kernel/sched/completion.c: do_wait_for_common under the queue's lock.
long wait_for_common(struct completion *x, long timeout, int state) {
    might_sleep();
    spin_lock_irq(&x->wait.lock);
    timeout = do_wait_for_common(x, timeout, state);
    spin_unlock_irq(&x->wait.lock);
    return timeout;
}

/// kernel/sched/completion.c: wait uninterruptibly for a complete().
void wait_for_completion(struct completion *x) {
    wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_UNINTERRUPTIBLE);
}

/// kernel/sched/completion.c: wait at most timeout jiffies: 0 if timed out, else the jiffies left (at least 1).
long wait_for_completion_timeout(struct completion *x, long timeout) {
    return wait_for_common(x, timeout, TASK_UNINTERRUPTIBLE);
}

/// kernel/sched/completion.c: wait until complete() or a signal: 0, or -ERESTARTSYS.
int wait_for_completion_interruptible(struct completion *x) {
    long t = wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE);
    if (t == -ERESTARTSYS)
        return t;
    return 0;
}

/// kernel/sched/completion.c: wait until complete() or SIGKILL: 0, or -ERESTARTSYS.
int wait_for_completion_killable(struct completion *x) {
    long t = wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_KILLABLE);
    if (t == -ERESTARTSYS)
        return t;
    return 0;
}

/// kernel/sched/completion.c: consume a completion without sleeping: 1 if there was one; a lockless look at done first.
int try_wait_for_completion(struct completion *x) {
    int flags;
    int ret = 1;
    if (!READ_ONCE(x->done))
        return 0;
    spin_lock_irqsave(&x->wait.lock, flags);
    if (!x->done)
        ret = 0;
    else if (x->done != COMPLETION_ALL)
        x->done--;
    spin_unlock_irqrestore(&x->wait.lock, flags);
    return ret;
}

/// kernel/sched/completion.c: 1 if a wait would not sleep; when done is set it takes and drops the lock, so a complete() still running is finished before the caller frees x.
int completion_done(struct completion *x) {
    int flags;
    if (!READ_ONCE(x->done))
        return 0;
    spin_lock_irqsave(&x->wait.lock, flags);
    spin_unlock_irqrestore(&x->wait.lock, flags);
    return 1;
}
