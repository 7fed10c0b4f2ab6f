// include/linux/rwlock.h, include/linux/rwlock_api_smp.h: reader-writer spin locks (tasklist_lock
// is one). The lock word counts the readers holding it, or is -1 while a writer holds it; taking
// it is one step that waits for the word, as spin_lock is. The kernel's queued rwlock makes a
// new reader in process context wait behind a writer that is already waiting; this one lets it
// in, so a reader that takes the lock twice is not reported as the deadlock it can be there.
#include <linux/irqflags.h>

/// include/linux/rwlock_types.h: readers holding the lock, or -1 while a writer holds it.
typedef struct rwlock { int cnt; } rwlock_t;

/// include/linux/rwlock_types.h: define an unlocked reader-writer lock.
#define DEFINE_RWLOCK(name) rwlock_t name = { 0 }

/// include/linux/rwlock.h: make the lock unlocked.
void rwlock_init(rwlock_t *lock) {
    lock->cnt = 0;
}

/// kernel/locking/spinlock.c: wait until no writer holds the lock and join its readers, in one step.
void read_lock(rwlock_t *lock) {
    atomic {
        await(lock->cnt >= 0);
        lock->cnt = lock->cnt + 1;
    }
}

/// kernel/locking/spinlock.c: leave the lock's readers, one step (asserting a reader held it).
void read_unlock(rwlock_t *lock) {
    atomic {
        assert(lock->cnt > 0, "read_unlock of a rwlock no reader holds");
        lock->cnt = lock->cnt - 1;
    }
}

/// kernel/locking/spinlock.c: wait until nobody holds the lock and take it for writing, in one step.
void write_lock(rwlock_t *lock) {
    atomic {
        await(lock->cnt == 0);
        lock->cnt = -1;
    }
}

/// kernel/locking/spinlock.c: release the lock a writer holds, one step.
void write_unlock(rwlock_t *lock) {
    atomic {
        assert(lock->cnt == -1, "write_unlock of a rwlock no writer holds");
        lock->cnt = 0;
    }
}

/// kernel/locking/spinlock.c: interrupts off and the lock taken for writing, in one step.
void write_lock_irq(rwlock_t *lock) {
    atomic {
        await(lock->cnt == 0);
        lock->cnt = -1;
        arch_local_irq_disable();
    }
}

/// kernel/locking/spinlock.c: release the lock a writer holds and turn interrupts on, in one step.
void write_unlock_irq(rwlock_t *lock) {
    atomic {
        assert(lock->cnt == -1, "write_unlock_irq of a rwlock no writer holds");
        lock->cnt = 0;
        arch_local_irq_enable();
    }
}

/// kernel/locking/spinlock.c: interrupts off and the lock joined as a reader, in one step.
void read_lock_irq(rwlock_t *lock) {
    atomic {
        await(lock->cnt >= 0);
        lock->cnt = lock->cnt + 1;
        arch_local_irq_disable();
    }
}

/// kernel/locking/spinlock.c: leave the lock's readers and turn interrupts on, in one step.
void read_unlock_irq(rwlock_t *lock) {
    atomic {
        assert(lock->cnt > 0, "read_unlock_irq of a rwlock no reader holds");
        lock->cnt = lock->cnt - 1;
        arch_local_irq_enable();
    }
}
