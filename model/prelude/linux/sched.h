// include/linux/sched.h, include/linux/sched/signal.h, kernel/sched/core.c, kernel/time/timer.c:
// task states beyond the core's three, setting the state, waking a task, sleeping with a timeout
// and the signal tests. The machine's schedule() returns once the state is TASK_RUNNING again,
// or at once for TASK_INTERRUPTIBLE with an unblocked signal pending.
#include <linux/compiler.h>
#include <linux/preempt.h>

/// include/linux/sched.h: a sleep that a fatal signal (SIGKILL) ends.
const TASK_WAKEKILL = 256;

/// include/linux/sched.h: uninterruptible, except by a fatal signal (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE).
const TASK_KILLABLE = 258;

/// include/linux/sched.h: the states a plain wake_up wakes (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE).
const TASK_NORMAL = 3;

/// include/linux/sched.h: sleep forever, as far as schedule_timeout is concerned (LONG_MAX).
const MAX_SCHEDULE_TIMEOUT = 2147483647;

/// include/uapi/asm-generic/signal.h: the signal that kills; a fatal signal.
const SIGKILL = 9;

/// include/linux/sched.h: set the task state, one store (the kernel adds a full barrier).
#define set_current_state(state_value) WRITE_ONCE(current->state, (state_value))

/// include/linux/sched.h: set the task state, one store, without a barrier.
#define __set_current_state(state_value) WRITE_ONCE(current->state, (state_value))

/// kernel/sched/core.c: wake p if its state is in the mask state; 1 if it was woken, 0 if it was running, exited or not in state.
int try_to_wake_up(struct task_struct *p, int state) {
    int woken = 0;
    atomic {
        // An exited task's state is the machine's TASK_ZOMBIE (3, 2.0's value, whose bits are
        // both sleeps'); the kernel's exited task is TASK_DEAD, which no wake-up matches.
        if (p->state != TASK_RUNNING && p->state != TASK_ZOMBIE && (p->state & state) != 0) {
            p->state = TASK_RUNNING;
            woken = 1;
        }
    }
    return woken;
}

/// kernel/sched/core.c: wake p from any normal sleep; 1 if it was woken.
int wake_up_process(struct task_struct *p) {
    return try_to_wake_up(p, TASK_NORMAL);
}

/// include/linux/sched/signal.h: an unblocked signal is pending for p.
int signal_pending(struct task_struct *p) {
    return (p->signal & ~p->blocked) != 0;
}

/// include/linux/sched/signal.h: SIGKILL is pending for p.
int fatal_signal_pending(struct task_struct *p) {
    return (p->signal & (1 << (SIGKILL - 1))) != 0;
}

/// include/linux/sched/signal.h: a signal that ends a sleep in state is pending (any for TASK_INTERRUPTIBLE, SIGKILL for TASK_KILLABLE).
int signal_pending_state(int state, struct task_struct *p) {
    if ((state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)) == 0)
        return 0;
    if (!signal_pending(p))
        return 0;
    return (state & TASK_INTERRUPTIBLE) != 0 || fatal_signal_pending(p);
}

/// kernel/signal.c: make sig pending for p and wake p if it sleeps interruptibly, or killably and sig is SIGKILL; 0 (the IPC library's linux/signal.kc has the whole of kernel/signal.c).
int send_sig(int sig, struct task_struct *p, int priv) {
    atomic {
        p->signal = p->signal | (1 << (sig - 1));
        if ((p->signal & ~p->blocked) != 0) {
            if (p->state == TASK_INTERRUPTIBLE || (sig == SIGKILL && (p->state & TASK_WAKEKILL) != 0))
                p->state = TASK_RUNNING;
        }
    }
    return 0;
}

#ifndef KC_MAX_TIMERS
/// kernel/time/timer.c: how many schedule_timeout timers may be armed at once in the model (define it before the include to change it).
#define KC_MAX_TIMERS 4
#endif

/// kernel/time/timer.c: the armed timers: the task each one wakes when it expires, NULL for a free slot.
struct task_struct *kc_timers[KC_MAX_TIMERS];

/// kernel/time/timer.c: sleep in the state already set until woken or until the timer expires, which may happen at any moment of the sleep (kc_timer_expiry); 0 when it expired, else timeout (jiffies are abstract: a wake-up returns all of it).
long schedule_timeout(long timeout) {
    if (timeout == MAX_SCHEDULE_TIMEOUT) {
        schedule();
        return timeout;
    }
    if (timeout < 0) {
        current->state = TASK_RUNNING;
        return 0;
    }
    // add_timer: arm a slot whose expiry (process_timeout) wakes this task.
    int slot = -1;
    atomic {
        for (int i = 0; i < KC_MAX_TIMERS; i++) {
            if (kc_timers[i] == NULL) {
                kc_timers[i] = current;
                slot = i;
                break;
            }
        }
    }
    assert(slot >= 0, "schedule_timeout: more timers armed at once than KC_MAX_TIMERS (define it larger before the include)");
    schedule();
    // del_timer_sync: the expiry cleared the slot, or the timer is cancelled here.
    int expired = 0;
    atomic {
        if (kc_timers[slot] == current)
            kc_timers[slot] = NULL;
        else
            expired = 1;
    }
    return expired ? 0 : timeout;
}

/// kernel/time/timer.c: a timer expires (process_timeout): its task is woken, whatever it sleeps on; any armed timer, at any moment interrupts are on.
interrupt kc_timer_expiry {
    int i = choose(0, KC_MAX_TIMERS - 1);
    struct task_struct *t = kc_timers[i];
    assume(t != NULL);
    kc_timers[i] = NULL;
    wake_up_process(t);
}

/// kernel/time/timer.c: schedule_timeout in TASK_INTERRUPTIBLE.
long schedule_timeout_interruptible(long timeout) {
    __set_current_state(TASK_INTERRUPTIBLE);
    return schedule_timeout(timeout);
}

/// kernel/time/timer.c: schedule_timeout in TASK_UNINTERRUPTIBLE.
long schedule_timeout_uninterruptible(long timeout) {
    __set_current_state(TASK_UNINTERRUPTIBLE);
    return schedule_timeout(timeout);
}

/// kernel/time/timer.c: schedule_timeout in TASK_KILLABLE.
long schedule_timeout_killable(long timeout) {
    __set_current_state(TASK_KILLABLE);
    return schedule_timeout(timeout);
}
