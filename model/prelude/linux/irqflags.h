// include/linux/irqflags.h: interrupts on and off. The machine has the 2.0 meaning of cli():
// a task with interrupts off runs alone (no other task and no handler steps), so an irq-off
// region is one step even on SMP, and a lockless reader racing it on another CPU is not found.

/// include/linux/irqflags.h: interrupts off (cli).
#define local_irq_disable() cli()

/// include/linux/irqflags.h: interrupts on (sti).
#define local_irq_enable() sti()

/// include/linux/irqflags.h: save the interrupt state in flags (an int variable), then interrupts off.
#define local_irq_save(flags) do { save_flags(flags); cli(); } while (0)

/// include/linux/irqflags.h: put back the interrupt state local_irq_save saved.
#define local_irq_restore(flags) restore_flags(flags)

/// include/linux/irqflags.h: 1 when interrupts are off.
static inline int irqs_disabled(void) {
    int flags;
    save_flags(flags);
    return (flags & 0x200) == 0;
}
