// include/linux/preempt.h: kernel preemption control. Under `model smp;` other CPUs run anyway,
// and under `model uniprocessor;` code in the kernel is never preempted, so in both these only
// mark the code; the nesting count the kernel keeps is not modelled.

/// include/linux/preempt.h: no preemption on this CPU until preempt_enable; a mark only.
#define preempt_disable() do { } while (0)

/// include/linux/preempt.h: allow preemption again; a mark only.
#define preempt_enable() do { } while (0)

/// include/linux/kernel.h: may sleep here; a mark only.
#define might_sleep() do { } while (0)
