// The kernel side that KC programs get for free: task states, the Linux 2.0 wait queue and its
// primitives, written in KC itself so they step, sleep and race exactly like user code.

/**
 * Built-in struct task_struct layout (word offsets). The machine keeps a task's registers
 * right after these fields, in the same task block (see machine layout in checker/layout.ts).
 */
export const TASK_FIELDS = ["pid", "state", "signal", "blocked"] as const;

/** File name under which the prelude appears in messages and traces. */
export const PRELUDE_NAME = "<kernel>";

/**
 * The prelude. Every rule cites the Linux 2.0 file it models; where the model simplifies the
 * kernel (a NULL-terminated list instead of 2.0's circular list with a WAIT_QUEUE_HEAD
 * sentinel), the comment says so. Statement granularity matters here: a statement is one
 * step, `atomic` marks what the kernel did under cli() or as one locked instruction.
 */
export const PRELUDE = `
// include/linux/sched.h: task states
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const TASK_UNINTERRUPTIBLE = 2;

// include/linux/sched.h (2.0): the fields of struct task_struct that IPC code touches.
// The machine lays one out at the start of every process's task block; current points to it.
struct task_struct { int pid; int state; int signal; int blocked; };

// include/linux/wait.h (2.0): a wait queue is a list of entries, usually on the sleepers' stacks.
struct wait_queue { struct task_struct *task; struct wait_queue *next; };

// kernel/sched.c (2.0): wake_up_process puts the task back on the run queue.
void wake_up_process(struct task_struct *p) {
    p->state = TASK_RUNNING;
}

// include/linux/sched.h (2.0): add_wait_queue links the entry in at the head under cli().
void add_wait_queue(struct wait_queue **p, struct wait_queue *wait) {
    atomic {
        wait->next = *p;
        *p = wait;
    }
}

// include/linux/sched.h (2.0): remove_wait_queue unlinks the entry under cli(); the kernel
// prints "removed wait_queue not on list" when it is missing, here that is an assertion.
void remove_wait_queue(struct wait_queue **p, struct wait_queue *wait) {
    atomic {
        struct wait_queue **link = p;
        while (*link != NULL && *link != wait)
            link = &(*link)->next;
        assert(*link == wait, "remove_wait_queue: entry not on the wait queue");
        *link = wait->next;
        wait->next = NULL;
    }
}

// kernel/sched.c (2.0): wake_up makes every task on the queue that sleeps (interruptibly or
// not) runnable; there are no exclusive waiters in 2.0, so every wake-up wakes the whole herd.
void wake_up(struct wait_queue **q) {
    atomic {
        struct wait_queue *w = *q;
        while (w != NULL) {
            struct task_struct *t = w->task;
            if (t->state == TASK_UNINTERRUPTIBLE || t->state == TASK_INTERRUPTIBLE)
                t->state = TASK_RUNNING;
            w = w->next;
        }
    }
}

// kernel/sched.c (2.0): wake_up_interruptible wakes only TASK_INTERRUPTIBLE sleepers.
void wake_up_interruptible(struct wait_queue **q) {
    atomic {
        struct wait_queue *w = *q;
        while (w != NULL) {
            struct task_struct *t = w->task;
            if (t->state == TASK_INTERRUPTIBLE)
                t->state = TASK_RUNNING;
            w = w->next;
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

// kernel/sched/wait.c prepare_to_wait (2.6 and later), on the 2.0 list type: queue the entry
// unless it is already queued, then set the task state, both under the queue lock. A wake-up
// after this and before schedule() sets TASK_RUNNING, so schedule() returns at once.
void prepare_to_wait(struct wait_queue **q, struct wait_queue *wait, int state) {
    atomic {
        struct wait_queue *w = *q;
        while (w != NULL && w != wait)
            w = w->next;
        if (w == NULL) {
            wait->next = *q;
            *q = wait;
        }
        current->state = state;
    }
}

// kernel/sched/wait.c finish_wait: back to TASK_RUNNING, and unqueue the entry if a waker has
// not already done so (modern wake-ups remove the entries they wake; 2.0's leave them).
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

void spin_unlock(spinlock_t *l) {
    assert(l->locked == 1, "spin_unlock of a spinlock that is not held");
    l->locked = 0;
}
`;
