
// include/linux/sched.h: task states
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const TASK_UNINTERRUPTIBLE = 2;

// include/linux/sched.h (2.0): the fields of struct task_struct that IPC code touches.
// The machine lays one out at the start of every process's task block; current points to it.
struct task_struct { int pid; int state; int signal; int blocked; };

// Wait queues of both eras in one list type. 2.0 code writes 'struct wait_queue *head' and
// 'struct wait_queue entry = { current, NULL }' (include/linux/wait.h, 2.0); modern code writes
// wait_queue_head_t and wait_queue_entry_t (include/linux/wait.h), which name the same things
// here. Entries usually live on the sleepers' stacks. 2.0 uses a circular list with a
// WAIT_QUEUE_HEAD sentinel and modern kernels a list_head; this model uses a NULL-terminated
// list with the same order rules: plain entries at the head, exclusive ones at the tail.
const WQ_FLAG_EXCLUSIVE = 1;                 // include/linux/wait.h
const WQ_FLAG_AUTOREMOVE = 2;                // entry woken by autoremove_wake_function
const ERESTARTSYS = 512;                     // include/linux/errno.h
struct wait_queue { struct task_struct *task; struct wait_queue *next; int flags; };
typedef struct wait_queue *wait_queue_head_t;
typedef struct wait_queue wait_queue_entry_t;

// kernel/sched.c (2.0): wake_up_process puts the task back on the run queue.
void wake_up_process(struct task_struct *p) {
    p->state = TASK_RUNNING;
}

// include/linux/wait.h: init_waitqueue_head, an empty queue.
void init_waitqueue_head(struct wait_queue **q) {
    *q = NULL;
}

// include/linux/wait.h init_wait (what DEFINE_WAIT declares): an entry for the current task
// that a wake-up unlinks (autoremove_wake_function).
void init_wait(struct wait_queue *wait) {
    wait->task = current;
    wait->next = NULL;
    wait->flags = WQ_FLAG_AUTOREMOVE;
}

// include/linux/sched.h (2.0) add_wait_queue: link the entry in at the head, under cli().
void add_wait_queue(struct wait_queue **p, struct wait_queue *wait) {
    atomic {
        wait->flags = wait->flags & ~WQ_FLAG_EXCLUSIVE;
        wait->next = *p;
        *p = wait;
    }
}

// kernel/sched/wait.c add_wait_queue_exclusive (2.4 and later): flag it and link it at the tail.
void add_wait_queue_exclusive(struct wait_queue **p, struct wait_queue *wait) {
    atomic {
        struct wait_queue **link = p;
        while (*link != NULL)
            link = &(*link)->next;
        wait->flags = wait->flags | WQ_FLAG_EXCLUSIVE;
        wait->next = NULL;
        *link = wait;
    }
}

// include/linux/sched.h (2.0) remove_wait_queue: unlink the entry under cli(). 2.0 prints
// "removed wait_queue not on list" when it is missing: here an assertion, except for an entry
// a wake-up has already unlinked (modern list_del_init makes that harmless).
void remove_wait_queue(struct wait_queue **p, struct wait_queue *wait) {
    atomic {
        struct wait_queue **link = p;
        while (*link != NULL && *link != wait)
            link = &(*link)->next;
        assert(*link == wait || (wait->flags & WQ_FLAG_AUTOREMOVE) != 0,
               "remove_wait_queue: entry not on the wait queue");
        if (*link == wait)
            *link = wait->next;
        wait->next = NULL;
    }
}

// kernel/sched/wait.c __wake_up_common: in list order, wake every sleeper whose state is in
// 'mode'; stop once 'nr_exclusive' exclusive entries were woken (0: wake them all). An entry
// from init_wait/prepare_to_wait is unlinked when woken (autoremove_wake_function). 2.0 has
// no exclusive entries, so there every wake-up wakes the whole herd (kernel/sched.c, 2.0).
void __wake_up_common(struct wait_queue **q, int mode, int nr_exclusive) {
    atomic {
        struct wait_queue **link = q;
        while (*link != NULL) {
            struct wait_queue *w = *link;
            struct task_struct *t = w->task;
            int woke = 0;
            if ((t->state == TASK_INTERRUPTIBLE || t->state == TASK_UNINTERRUPTIBLE) && (t->state & mode) != 0) {
                t->state = TASK_RUNNING;
                woke = 1;
            }
            if (woke && (w->flags & WQ_FLAG_AUTOREMOVE) != 0) {
                *link = w->next;
                w->next = NULL;
            } else {
                link = &w->next;
            }
            if (woke && (w->flags & WQ_FLAG_EXCLUSIVE) != 0 && nr_exclusive > 0) {
                nr_exclusive--;
                if (nr_exclusive == 0)
                    break;
            }
        }
    }
}

// Modes are task states as bits: TASK_INTERRUPTIBLE (1) | TASK_UNINTERRUPTIBLE (2).
void wake_up(struct wait_queue **q) { __wake_up_common(q, 3, 1); }
void wake_up_all(struct wait_queue **q) { __wake_up_common(q, 3, 0); }
void wake_up_interruptible(struct wait_queue **q) { __wake_up_common(q, 1, 1); }
void wake_up_interruptible_all(struct wait_queue **q) { __wake_up_common(q, 1, 0); }

// Is the entry linked into this queue?
int __on_wait_queue(struct wait_queue **q, struct wait_queue *wait) {
    struct wait_queue *w = *q;
    while (w != NULL && w != wait)
        w = w->next;
    return w != NULL;
}

// kernel/sched/wait.c prepare_to_wait: queue the entry (at the head, not exclusive) unless it
// is queued, then set the task state, both under the queue lock. A wake-up after this and
// before schedule() sets TASK_RUNNING, so schedule() returns at once.
void prepare_to_wait(struct wait_queue **q, struct wait_queue *wait, int state) {
    atomic {
        wait->flags = wait->flags & ~WQ_FLAG_EXCLUSIVE;
        if (!__on_wait_queue(q, wait)) {
            wait->next = *q;
            *q = wait;
        }
        current->state = state;
    }
}

// kernel/sched/wait.c prepare_to_wait_exclusive: the same, exclusive, at the tail.
void prepare_to_wait_exclusive(struct wait_queue **q, struct wait_queue *wait, int state) {
    atomic {
        wait->flags = wait->flags | WQ_FLAG_EXCLUSIVE;
        if (!__on_wait_queue(q, wait)) {
            struct wait_queue **link = q;
            while (*link != NULL)
                link = &(*link)->next;
            wait->next = NULL;
            *link = wait;
        }
        current->state = state;
    }
}

// kernel/sched/wait.c finish_wait: back to TASK_RUNNING, and unlink the entry if a wake-up
// has not already done so.
void finish_wait(struct wait_queue **q, struct wait_queue *wait) {
    atomic {
        current->state = TASK_RUNNING;
        struct wait_queue **link = q;
        while (*link != NULL && *link != wait)
            link = &(*link)->next;
        if (*link == wait) {
            *link = wait->next;
            wait->next = NULL;
        }
    }
}

// kernel/sched.c (2.0) __sleep_on: set the state, queue the entry (under cli), schedule,
// unqueue. The caller's test of its condition is a separate step before this: that gap is
// the classic sleep_on lost wake-up.
void __sleep_on(struct wait_queue **p, int state) {
    struct wait_queue wait = { current, NULL };
    current->state = state;
    add_wait_queue(p, &wait);
    schedule();
    remove_wait_queue(p, &wait);
}

void sleep_on(struct wait_queue **p) {
    __sleep_on(p, TASK_UNINTERRUPTIBLE);
}

void interruptible_sleep_on(struct wait_queue **p) {
    __sleep_on(p, TASK_INTERRUPTIBLE);
}

// include/linux/gfp.h: allocation flags (the model never sleeps in kmalloc; they are accepted).
const GFP_KERNEL = 0;
const GFP_ATOMIC = 1;

// include/linux/sched.h: set_current_state is a plain store (with a barrier on SMP).
void set_current_state(int state) {
    current->state = state;
}

// include/linux/sched.h (2.0): a signal is pending when it is set and not blocked.
int signal_pending(struct task_struct *p) {
    return (p->signal & ~p->blocked) != 0;
}

// kernel/exit.c (2.0) send_sig/generate: mark the signal pending; wake the target if it
// sleeps interruptibly and the signal is not blocked.
void send_sig(int sig, struct task_struct *p, int priv) {
    atomic {
        int mask = 1 << (sig - 1);
        p->signal = p->signal | mask;
        if (p->state == TASK_INTERRUPTIBLE && (p->signal & ~p->blocked) != 0)
            p->state = TASK_RUNNING;
    }
}

// include/linux/spinlock.h: a spinlock is a word that is 1 while held.
typedef struct spinlock { int locked; } spinlock_t;

void spin_lock(spinlock_t *l) {
    atomic {
        await(l->locked == 0);
        l->locked = 1;
    }
}

// One step, as the kernel's release store is: the check reads the word the store writes.
void spin_unlock(spinlock_t *l) {
    atomic {
        assert(l->locked == 1, "spin_unlock of a spinlock that is not held");
        l->locked = 0;
    }
}

// include/linux/err.h: the last MAX_ERRNO values of the address space are errnos, never
// objects, so a function returns either an object or an error in one pointer. IS_ERR and
// IS_ERR_OR_NULL are builtins (model/elab/pointers.ts): err.h compares every pointer as an
// unsigned long, and a pointer to an object has no integer in KC's word memory.
const MAX_ERRNO = 4095;
void *ERR_PTR(long error) { return (void *) error; }
long PTR_ERR(const void *ptr) { return (long) ptr; }
void *ERR_CAST(const void *ptr) { return (void *) ptr; }

// include/linux/sched.h: the state of a task that has exited; the machine sets it (model/layout.ts).
const TASK_ZOMBIE = 3;
