// include/linux/spinlock.h, include/linux/spinlock_api_smp.h: spin locks. Taking one is a single
// step that waits for the lock word; the code under the lock is ordinary statements, each a
// step of its own, and other tasks are kept out by the lock word alone. The _irq and _irqsave
// flavours also turn interrupts off in the same step (include/linux/irqflags.h says what that
// means in the machine) and back on, or to the saved state, in the unlock's step.
#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <asm/processor.h>

/// include/linux/spinlock_types.h: a word that is 1 while the lock is held.
typedef struct spinlock { int locked; } spinlock_t;

/// include/linux/spinlock_types_raw.h: a spin lock that stays one on PREEMPT_RT; the same here.
typedef struct spinlock raw_spinlock_t;

/// include/linux/spinlock_types.h: static initializer of an unlocked spin lock.
#define __SPIN_LOCK_UNLOCKED(name) { 0 }

/// include/linux/spinlock_types.h: define an unlocked spin lock.
#define DEFINE_SPINLOCK(name) spinlock_t name = { 0 }

/// include/linux/spinlock_types_raw.h: define an unlocked raw spin lock.
#define DEFINE_RAW_SPINLOCK(name) raw_spinlock_t name = { 0 }

/// include/linux/spinlock.h: make the lock unlocked.
void spin_lock_init(spinlock_t *lock) {
    lock->locked = 0;
}

/// kernel/locking/spinlock.c: spin until the lock is free and take it, in one step.
void spin_lock(spinlock_t *lock) {
    atomic {
        await(lock->locked == 0);
        lock->locked = 1;
    }
}

/// kernel/locking/spinlock.c: release the lock, one store (asserting it was held).
void spin_unlock(spinlock_t *lock) {
    atomic {
        assert(lock->locked == 1, "spin_unlock of a spinlock that is not held");
        lock->locked = 0;
    }
}

/// kernel/locking/spinlock.c: take the lock if it is free: 1 if taken, 0 if busy; never waits.
int spin_trylock(spinlock_t *lock) {
    int taken = 0;
    atomic {
        if (lock->locked == 0) {
            lock->locked = 1;
            taken = 1;
        }
    }
    return taken;
}

/// include/linux/spinlock.h: 1 while the lock is held by anyone.
int spin_is_locked(spinlock_t *lock) {
    return lock->locked != 0;
}

/// include/linux/spinlock.h: assert that the lock is held (lockdep's check).
#define assert_spin_locked(lock) assert((lock)->locked != 0, "assert_spin_locked: the lock is not held")

/// kernel/locking/spinlock.c: interrupts off and the lock taken, in one step.
void spin_lock_irq(spinlock_t *lock) {
    atomic {
        await(lock->locked == 0);
        lock->locked = 1;
        arch_local_irq_disable();
    }
}

/// kernel/locking/spinlock.c: release the lock and turn interrupts on unconditionally, in one step.
void spin_unlock_irq(spinlock_t *lock) {
    atomic {
        assert(lock->locked == 1, "spin_unlock_irq of a spinlock that is not held");
        lock->locked = 0;
        arch_local_irq_enable();
    }
}

// The flags word is the caller's variable, as in the kernel's macro: save_flags stores into it.
/// kernel/locking/spinlock.c: save the interrupt state in flags, interrupts off, the lock taken, in one step.
#define spin_lock_irqsave(lock, flags) do { atomic { spin_lock_irqsave_wait(lock); save_flags(flags); arch_local_irq_disable(); } } while (0)

/// kernel/locking/spinlock.c: release the lock and restore the saved interrupt state, in one step.
#define spin_unlock_irqrestore(lock, flags) do { atomic { spin_unlock_irqrestore_release(lock); arch_local_irq_restore(flags); } } while (0)

// The halves of the two macros above, run inside their atomic block.
void spin_lock_irqsave_wait(spinlock_t *lock) {
    await(lock->locked == 0);
    lock->locked = 1;
}

// The release half.
void spin_unlock_irqrestore_release(spinlock_t *lock) {
    assert(lock->locked == 1, "spin_unlock_irqrestore of a spinlock that is not held");
    lock->locked = 0;
}

/// include/linux/spinlock.h: spin_lock on a raw spin lock.
#define raw_spin_lock(lock) spin_lock(lock)

/// include/linux/spinlock.h: spin_unlock on a raw spin lock.
#define raw_spin_unlock(lock) spin_unlock(lock)

/// include/linux/spinlock.h: spin_trylock on a raw spin lock.
#define raw_spin_trylock(lock) spin_trylock(lock)

/// include/linux/spinlock.h: spin_lock_irq on a raw spin lock.
#define raw_spin_lock_irq(lock) spin_lock_irq(lock)

/// include/linux/spinlock.h: spin_unlock_irq on a raw spin lock.
#define raw_spin_unlock_irq(lock) spin_unlock_irq(lock)

/// include/linux/spinlock.h: spin_lock_irqsave on a raw spin lock.
#define raw_spin_lock_irqsave(lock, flags) spin_lock_irqsave(lock, flags)

/// include/linux/spinlock.h: spin_unlock_irqrestore on a raw spin lock.
#define raw_spin_unlock_irqrestore(lock, flags) spin_unlock_irqrestore(lock, flags)

/// include/linux/spinlock.h: spin_lock_init on a raw spin lock.
#define raw_spin_lock_init(lock) spin_lock_init(lock)
