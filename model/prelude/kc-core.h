// The machine's essentials, first in every spec that includes a kernel header (a spec that
// includes none gets kc-legacy.h instead). The machine itself provides current, schedule(),
// cli()/sti() (2.0), arch_local_irq_disable()/_enable()/_restore() (a modern CPU's own
// interrupts), save_flags()/restore_flags() and kmalloc()/kfree(); this file names what they use.

// include/linux/sched.h: task states (the machine knows these three values)
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const TASK_UNINTERRUPTIBLE = 2;

// include/linux/sched/wake_q.h: a task's link on a waker's wake_q (NULL: on none).
struct wake_q_node { struct wake_q_node *next; };

// include/linux/sched.h: the fields of struct task_struct that the machine keeps in every
// task block (pid, state, pending and blocked signals as bit masks), then the ones the headers
// use: the RCU read-side nesting and the grace-period parity its outermost section counts in
// (<linux/rcupdate.h>), and the wake_q link (<linux/sched/wake_q.h>). A spec that defines its own
// task_struct and includes those headers declares these fields too. current points to it.
struct task_struct {
    int pid;
    int state;
    int signal;
    int blocked;
    int rcu_read_lock_nesting;
    int rcu_read_parity;
    struct wake_q_node wake_q;
};

// include/linux/gfp_types.h: allocation flags. kmalloc never sleeps in the model; they are
// accepted (<linux/slab.h> says when an allocation may fail).
const GFP_KERNEL = 0;
const GFP_ATOMIC = 1;

// include/linux/sched.h: the state of a task that has exited; the machine sets it (model/layout.ts).
const TASK_ZOMBIE = 3;
