// include/linux/sched/wake_q.h, kernel/sched/core.c: wake queues. A waker collects the tasks to
// wake while it holds its lock and wakes them after dropping it. A task is on at most one wake_q:
// claiming its wake_q node is one step (the kernel's cmpxchg), and a wake_q_add that finds it
// already claimed by another waker does nothing, trusting that waker's wake_up_q to wake it,
// which may come before this waker's own stores (the rwsem missed wake-up, RW2 in
// docs/kernel-api-facts.md). Tasks are never freed here, so the task references are marks.
#include <linux/sched.h>

// The kernel's WAKE_Q_TAIL is (struct wake_q_node *)0x01, an address KC has no object for; the
// tail mark is this word instead: a pointer to it means "queued, last".
struct wake_q_node __kc_wake_q_tail;

/// include/linux/sched/wake_q.h: the end mark of a wake_q, and a queued task's link when it is last.
#define WAKE_Q_TAIL (&__kc_wake_q_tail)

/// include/linux/sched/wake_q.h: a list of tasks to wake: the first link, and where the next one goes.
struct wake_q_head { struct wake_q_node *first; struct wake_q_node **lastp; };

/// include/linux/sched/wake_q.h: define an empty wake_q name.
#define DEFINE_WAKE_Q(name) struct wake_q_head name = { WAKE_Q_TAIL, &(name).first }

/// include/linux/sched/wake_q.h: make the wake_q empty.
void wake_q_init(struct wake_q_head *head) {
    head->first = WAKE_Q_TAIL;
    head->lastp = &head->first;
}

/// include/linux/sched/wake_q.h: 1 when no task is queued.
int wake_q_empty(struct wake_q_head *head) {
    return head->first == WAKE_Q_TAIL;
}

/// include/linux/sched/task.h: take a reference on the task (tasks are never freed here).
#define get_task_struct(t) do { } while (0)

/// include/linux/sched/task.h: drop a reference on the task (tasks are never freed here).
#define put_task_struct(t) do { } while (0)

/// kernel/sched/core.c: claim the task's node in one step (cmpxchg NULL -> TAIL) and append it; 0 when another wake_q holds it already.
bool __wake_q_add(struct wake_q_head *head, struct task_struct *task) {
    struct wake_q_node *node = &task->wake_q;
    bool claimed = false;
    atomic {
        if (node->next == NULL) {
            node->next = WAKE_Q_TAIL;
            claimed = true;
        }
    }
    if (!claimed)
        return false;
    *head->lastp = node;
    head->lastp = &node->next;
    return true;
}

/// kernel/sched/core.c: queue task to be woken by wake_up_q, unless some wake_q holds it already (then that one wakes it).
void wake_q_add(struct wake_q_head *head, struct task_struct *task) {
    if (__wake_q_add(head, task))
        get_task_struct(task);
}

/// kernel/sched/core.c: wake_q_add for a caller that holds a task reference already (dropped when the task was queued elsewhere).
void wake_q_add_safe(struct wake_q_head *head, struct task_struct *task) {
    if (!__wake_q_add(head, task))
        put_task_struct(task);
}

/// kernel/sched/core.c: for each queued task in order: unlink it (from then on it may be queued again), then wake_up_process.
void wake_up_q(struct wake_q_head *head) {
    struct wake_q_node *node = head->first;
    while (node != WAKE_Q_TAIL) {
        struct task_struct *task = container_of(node, struct task_struct, wake_q);
        node = node->next;
        WRITE_ONCE(task->wake_q.next, NULL);
        wake_up_process(task);
        put_task_struct(task);
    }
}
