// include/linux/wait.h, kernel/sched/wait.c: wait queues. A queue is a spin lock and a list of
// entries, usually on the sleepers' stacks; every queue operation takes the queue's lock, and the
// wait_event family follows ___wait_event's loop (enqueue and set the state, test the condition,
// test for a signal, sleep, and finish_wait), so a condition tested outside that order loses
// wake-ups exactly as in the kernel. An entry is laid out as the kernel's (flags, private, func,
// entry); the walk finds each entry from its link with list_for_each_entry_safe and calls its
// wake function through the pointer, so a spec's own wake function runs where the kernel's would.
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/errno.h>

/// include/linux/wait.h: an exclusive waiter: a wake-one wakes only one of these.
const WQ_FLAG_EXCLUSIVE = 1;

/// include/linux/wait.h: set by woken_wake_function, read by wait_woken.
const WQ_FLAG_WOKEN = 2;

// The entry's tag, declared first so the wake function's type can name it.
struct wait_queue_entry;

/// include/linux/wait.h: a wake function: wake the entry's task for mode; nonzero if it woke one (a negative value stops the walk).
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned int mode, int flags, void *key);

/// include/linux/wait.h: one sleeper on a queue: flags, its task (private), its wake function and its link.
struct wait_queue_entry { unsigned int flags; void *private; wait_queue_func_t func; struct list_head entry; };

/// include/linux/wait.h: the entry type's name.
typedef struct wait_queue_entry wait_queue_entry_t;

/// kernel/sched/core.c: the plain wake function: try_to_wake_up on the entry's task (the entry stays queued).
int default_wake_function(wait_queue_entry_t *curr, unsigned int mode, int wake_flags, void *key) {
    return try_to_wake_up(curr->private, mode);
}

/// kernel/sched/wait.c: default_wake_function, then unlink the entry if its task was woken.
int autoremove_wake_function(wait_queue_entry_t *wq_entry, unsigned int mode, int sync, void *key) {
    int ret = default_wake_function(wq_entry, mode, sync, key);
    if (ret)
        list_del_init(&wq_entry->entry);
    return ret;
}

/// kernel/sched/wait.c: set WQ_FLAG_WOKEN (so a wait_woken that has not slept yet does not), then default_wake_function.
int woken_wake_function(wait_queue_entry_t *wq_entry, unsigned int mode, int sync, void *key) {
    wq_entry->flags = wq_entry->flags | WQ_FLAG_WOKEN;
    return default_wake_function(wq_entry, mode, sync, key);
}

/// include/linux/wait.h: a wait queue: its lock and the list of entries.
struct wait_queue_head { spinlock_t lock; struct list_head head; };

/// include/linux/wait.h: the queue type's name.
typedef struct wait_queue_head wait_queue_head_t;

/// include/linux/wait.h: define an empty wait queue name.
#define DECLARE_WAIT_QUEUE_HEAD(name) wait_queue_head_t name = { { 0 }, { &(name).head, &(name).head } }

/// kernel/sched/wait.c: make the queue empty and its lock free.
void init_waitqueue_head(wait_queue_head_t *wq_head) {
    spin_lock_init(&wq_head->lock);
    INIT_LIST_HEAD(&wq_head->head);
}

/// include/linux/wait.h: an entry for task p with default_wake_function (it stays queued when woken).
void init_waitqueue_entry(wait_queue_entry_t *wq_entry, struct task_struct *p) {
    wq_entry->flags = 0;
    wq_entry->private = p;
    wq_entry->func = default_wake_function;
}

/// include/linux/wait.h: an entry for no task with wake function func, for a waker-side callback.
void init_waitqueue_func_entry(wait_queue_entry_t *wq_entry, wait_queue_func_t func) {
    wq_entry->flags = 0;
    wq_entry->private = NULL;
    wq_entry->func = func;
}

/// include/linux/wait.h: define an entry name for task tsk with default_wake_function.
#define DECLARE_WAITQUEUE(name, tsk) wait_queue_entry_t name = { 0, (tsk), default_wake_function, { NULL, NULL } }

/// kernel/sched/wait.c: an entry for current with autoremove_wake_function, not queued, with flags.
void init_wait_entry(wait_queue_entry_t *wq_entry, int flags) {
    wq_entry->flags = flags;
    wq_entry->private = current;
    wq_entry->func = autoremove_wake_function;
    INIT_LIST_HEAD(&wq_entry->entry);
}

/// include/linux/wait.h: init_wait_entry with no flags.
#define init_wait(wait) init_wait_entry(wait, 0)

/// include/linux/wait.h: define an entry name for current with wake function function.
#define DEFINE_WAIT_FUNC(name, function) wait_queue_entry_t name = { 0, current, function, { &(name).entry, &(name).entry } }

/// include/linux/wait.h: define an entry name for current with autoremove_wake_function.
#define DEFINE_WAIT(name) DEFINE_WAIT_FUNC(name, autoremove_wake_function)

/// include/linux/wait.h: link the entry at the head; the caller holds the queue's lock.
void __add_wait_queue(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    list_add(&wq_entry->entry, &wq_head->head);
}

/// include/linux/wait.h: link the entry at the tail; the caller holds the queue's lock.
void __add_wait_queue_entry_tail(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    list_add_tail(&wq_entry->entry, &wq_head->head);
}

/// include/linux/wait.h: unlink the entry; the caller holds the queue's lock.
void __remove_wait_queue(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    list_del(&wq_entry->entry);
}

/// kernel/sched/wait.c: a non-exclusive entry at the head, under the queue's lock.
void add_wait_queue(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    int flags;
    wq_entry->flags = wq_entry->flags & ~WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&wq_head->lock, flags);
    __add_wait_queue(wq_head, wq_entry);
    spin_unlock_irqrestore(&wq_head->lock, flags);
}

/// kernel/sched/wait.c: an exclusive entry at the tail, under the queue's lock.
void add_wait_queue_exclusive(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    int flags;
    wq_entry->flags = wq_entry->flags | WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&wq_head->lock, flags);
    __add_wait_queue_entry_tail(wq_head, wq_entry);
    spin_unlock_irqrestore(&wq_head->lock, flags);
}

/// kernel/sched/wait.c: unlink the entry under the queue's lock (list_del: it must be queued).
void remove_wait_queue(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    int flags;
    spin_lock_irqsave(&wq_head->lock, flags);
    __remove_wait_queue(wq_head, wq_entry);
    spin_unlock_irqrestore(&wq_head->lock, flags);
}

/// include/linux/wait.h: 1 when some entry is queued; one load without the lock.
int waitqueue_active(wait_queue_head_t *wq_head) {
    return !list_empty(&wq_head->head);
}

/// include/linux/wait.h: smp_mb, then waitqueue_active.
int wq_has_sleeper(wait_queue_head_t *wq_head) {
    return waitqueue_active(wq_head);
}

/// kernel/sched/wait.c: walk the queue in order and call each entry's wake function, stopping at a negative result or after nr_exclusive exclusive entries were woken (0: all); the exclusive wakes left. The caller holds the lock.
int __wake_up_common(wait_queue_head_t *wq_head, unsigned int mode, int nr_exclusive, int wake_flags, void *key) {
    wait_queue_entry_t *curr;
    wait_queue_entry_t *next;
    list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
        unsigned int flags = curr->flags;
        int ret = curr->func(curr, mode, wake_flags, key);
        if (ret < 0)
            break;
        if (ret && (flags & WQ_FLAG_EXCLUSIVE) != 0) {
            nr_exclusive--;
            if (nr_exclusive == 0)
                break;
        }
    }
    return nr_exclusive;
}

/// kernel/sched/wait.c: __wake_up_common under the queue's lock; how many exclusive entries it woke.
int __wake_up(wait_queue_head_t *wq_head, unsigned int mode, int nr_exclusive, void *key) {
    int flags;
    int remaining;
    spin_lock_irqsave(&wq_head->lock, flags);
    remaining = __wake_up_common(wq_head, mode, nr_exclusive, 0, key);
    spin_unlock_irqrestore(&wq_head->lock, flags);
    return nr_exclusive - remaining;
}

/// kernel/sched/wait.c: __wake_up_common, the caller holding the queue's lock.
void __wake_up_locked(wait_queue_head_t *wq_head, unsigned int mode, int nr) {
    __wake_up_common(wq_head, mode, nr, 0, NULL);
}

/// kernel/sched/wait.c: __wake_up_locked with a key for the wake functions.
void __wake_up_locked_key(wait_queue_head_t *wq_head, unsigned int mode, void *key) {
    __wake_up_common(wq_head, mode, 1, 0, key);
}

/// include/linux/wait.h: wake every non-exclusive sleeper and one exclusive one.
#define wake_up(x) __wake_up(x, TASK_NORMAL, 1, NULL)

/// include/linux/wait.h: wake up to nr exclusive sleepers.
#define wake_up_nr(x, nr) __wake_up(x, TASK_NORMAL, nr, NULL)

/// include/linux/wait.h: wake every sleeper.
#define wake_up_all(x) __wake_up(x, TASK_NORMAL, 0, NULL)

/// include/linux/wait.h: wake_up, the caller holding the queue's lock.
#define wake_up_locked(x) __wake_up_locked(x, TASK_NORMAL, 1)

/// include/linux/wait.h: wake_up_all, the caller holding the queue's lock.
#define wake_up_all_locked(x) __wake_up_locked(x, TASK_NORMAL, 0)

/// include/linux/wait.h: wake_up for TASK_INTERRUPTIBLE sleepers only.
#define wake_up_interruptible(x) __wake_up(x, TASK_INTERRUPTIBLE, 1, NULL)

/// include/linux/wait.h: wake up to nr exclusive TASK_INTERRUPTIBLE sleepers.
#define wake_up_interruptible_nr(x, nr) __wake_up(x, TASK_INTERRUPTIBLE, nr, NULL)

/// include/linux/wait.h: wake_up_all for TASK_INTERRUPTIBLE sleepers only.
#define wake_up_interruptible_all(x) __wake_up(x, TASK_INTERRUPTIBLE, 0, NULL)

/// kernel/sched/wait.c: queue the entry at the head unless queued, then set the state, under the lock.
void prepare_to_wait(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry, int state) {
    int flags;
    wq_entry->flags = wq_entry->flags & ~WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&wq_head->lock, flags);
    if (list_empty(&wq_entry->entry))
        __add_wait_queue(wq_head, wq_entry);
    set_current_state(state);
    spin_unlock_irqrestore(&wq_head->lock, flags);
}

/// kernel/sched/wait.c: prepare_to_wait for an exclusive entry, at the tail; 1 if the queue was empty.
int prepare_to_wait_exclusive(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry, int state) {
    int flags;
    int was_empty = 0;
    wq_entry->flags = wq_entry->flags | WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&wq_head->lock, flags);
    if (list_empty(&wq_entry->entry)) {
        was_empty = list_empty(&wq_head->head);
        __add_wait_queue_entry_tail(wq_head, wq_entry);
    }
    set_current_state(state);
    spin_unlock_irqrestore(&wq_head->lock, flags);
    return was_empty;
}

/// kernel/sched/wait.c: under the lock: with a signal for state pending, unqueue and give -ERESTARTSYS; else queue (exclusive at the tail) unless queued, set the state and give 0.
long prepare_to_wait_event(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry, int state) {
    int flags;
    long ret = 0;
    spin_lock_irqsave(&wq_head->lock, flags);
    if (signal_pending_state(state, current)) {
        // An exclusive waiter leaves under the lock, so a wake-up that comes later picks
        // another waiter instead of being swallowed (kernel/sched/wait.c comment).
        list_del_init(&wq_entry->entry);
        ret = -ERESTARTSYS;
    } else {
        if (list_empty(&wq_entry->entry)) {
            if ((wq_entry->flags & WQ_FLAG_EXCLUSIVE) != 0)
                __add_wait_queue_entry_tail(wq_head, wq_entry);
            else
                __add_wait_queue(wq_head, wq_entry);
        }
        set_current_state(state);
    }
    spin_unlock_irqrestore(&wq_head->lock, flags);
    return ret;
}

/// kernel/sched/wait.c: TASK_RUNNING, then (if list_empty_careful says it is still queued) unqueue under the lock.
void finish_wait(wait_queue_head_t *wq_head, wait_queue_entry_t *wq_entry) {
    int flags;
    __set_current_state(TASK_RUNNING);
    if (!list_empty_careful(&wq_entry->entry)) {
        spin_lock_irqsave(&wq_head->lock, flags);
        list_del_init(&wq_entry->entry);
        spin_unlock_irqrestore(&wq_head->lock, flags);
    }
}

/// include/linux/wait.h: whether a sleep in state can be cut short by a signal.
#define ___wait_is_interruptible(state) (((state) & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)) != 0)

// The kernel leaves the loop for a signal with a goto past finish_wait; KC has no jump out of
// a statement expression, so a flag skips it instead (the same statements run).
/// include/linux/wait.h: the wait loop: queue and set the state, test condition, leave on a signal (ret = -ERESTARTSYS), else run cmd (the sleep); finish_wait; the value of ret.
#define ___wait_event(wq_head, condition, state, exclusive, ret, cmd) ({ \
    wait_queue_entry_t __wq_entry; \
    long __ret = ret; \
    int __signalled = 0; \
    init_wait_entry(&__wq_entry, (exclusive) ? WQ_FLAG_EXCLUSIVE : 0); \
    for (;;) { \
        long __int = prepare_to_wait_event(&(wq_head), &__wq_entry, state); \
        if (condition) \
            break; \
        if (___wait_is_interruptible(state) && __int) { \
            __ret = __int; \
            __signalled = 1; \
            break; \
        } \
        cmd; \
    } \
    if (!__signalled) \
        finish_wait(&(wq_head), &__wq_entry); \
    __ret; })

/// include/linux/wait.h: sleep uninterruptibly until condition holds (tested after each wake-up).
#define wait_event(wq_head, condition) do { \
    might_sleep(); \
    if (!(condition)) \
        ___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, 0, 0, schedule()); \
} while (0)

/// include/linux/wait.h: sleep until condition holds or a signal comes: 0, or -ERESTARTSYS.
#define wait_event_interruptible(wq_head, condition) ({ \
    int __ret_wei = 0; \
    might_sleep(); \
    if (!(condition)) \
        __ret_wei = ___wait_event(wq_head, condition, TASK_INTERRUPTIBLE, 0, 0, schedule()); \
    __ret_wei; })

/// include/linux/wait.h: wait_event_interruptible as an exclusive waiter (woken one at a time).
#define wait_event_interruptible_exclusive(wq_head, condition) ({ \
    int __ret_weie = 0; \
    might_sleep(); \
    if (!(condition)) \
        __ret_weie = ___wait_event(wq_head, condition, TASK_INTERRUPTIBLE, 1, 0, schedule()); \
    __ret_weie; })

/// include/linux/wait.h: sleep until condition holds or SIGKILL comes: 0, or -ERESTARTSYS.
#define wait_event_killable(wq_head, condition) ({ \
    int __ret_wek = 0; \
    might_sleep(); \
    if (!(condition)) \
        __ret_wek = ___wait_event(wq_head, condition, TASK_KILLABLE, 0, 0, schedule()); \
    __ret_wek; })

/// include/linux/wait.h: the condition of a timed wait: true once condition holds (then at least 1 jiffy is left) or the time is up.
#define ___wait_cond_timeout(condition, __ret) ({ \
    int __cond = (condition); \
    if (__cond && !__ret) \
        __ret = 1; \
    __cond || !__ret; })

/// include/linux/wait.h: sleep until condition holds or timeout jiffies pass: 0 if the time ran out with condition false, else the jiffies left (at least 1).
#define wait_event_timeout(wq_head, condition, timeout) ({ \
    long __ret_wet = timeout; \
    might_sleep(); \
    if (!___wait_cond_timeout(condition, __ret_wet)) \
        __ret_wet = ___wait_event(wq_head, ___wait_cond_timeout(condition, __ret), TASK_UNINTERRUPTIBLE, 0, timeout, __ret = schedule_timeout(__ret)); \
    __ret_wet; })

/// include/linux/wait.h: wait_event_timeout that a signal ends with -ERESTARTSYS.
#define wait_event_interruptible_timeout(wq_head, condition, timeout) ({ \
    long __ret_weit = timeout; \
    might_sleep(); \
    if (!___wait_cond_timeout(condition, __ret_weit)) \
        __ret_weit = ___wait_event(wq_head, ___wait_cond_timeout(condition, __ret), TASK_INTERRUPTIBLE, 0, timeout, __ret = schedule_timeout(__ret)); \
    __ret_weit; })

/// kernel/sched/wait.c: sleep in mode unless WQ_FLAG_WOKEN is set, then clear it: the time left (entry woken by woken_wake_function).
long wait_woken(wait_queue_entry_t *wq_entry, int mode, long timeout) {
    set_current_state(mode);
    if ((wq_entry->flags & WQ_FLAG_WOKEN) == 0)
        timeout = schedule_timeout(timeout);
    __set_current_state(TASK_RUNNING);
    wq_entry->flags = wq_entry->flags & ~WQ_FLAG_WOKEN;
    return timeout;
}
