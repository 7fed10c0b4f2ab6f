// arch/x86/include/asm/processor.h (asm/vdso/processor.h since 5.x): the pause a busy-wait
// loop makes between two reads. The reads are the steps; the pause itself changes nothing.

/// arch/x86/include/asm/vdso/processor.h: pause in a busy-wait loop (`rep; nop`); no step.
#define cpu_relax() do { } while (0)
