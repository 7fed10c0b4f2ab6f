// include/linux/irqflags.h: interrupts on and off on this CPU, through the machine's
// arch_local_irq_*() (arch/x86/include/asm/irqflags.h). Under smp a task with interrupts off is
// not preempted, but the tasks on the other CPUs run on and a handler may fire on another CPU
// (one that must wait for this task then waits; layout.ts IRQ_LOCAL); under `model
// uniprocessor;` it is the 2.0 cli(): nothing else runs. The 2.0 headers use cli() itself.

/// include/linux/irqflags.h: interrupts off on this CPU.
#define local_irq_disable() arch_local_irq_disable()

/// include/linux/irqflags.h: interrupts on on this CPU.
#define local_irq_enable() arch_local_irq_enable()

/// include/linux/irqflags.h: save the interrupt state in flags (an int variable), then interrupts off.
#define local_irq_save(flags) do { save_flags(flags); arch_local_irq_disable(); } while (0)

/// include/linux/irqflags.h: put back the interrupt state local_irq_save saved.
#define local_irq_restore(flags) arch_local_irq_restore(flags)

/// include/linux/irqflags.h: 1 when interrupts are off.
static inline int irqs_disabled(void) {
    int flags;
    save_flags(flags);
    return (flags & 0x200) == 0;
}
