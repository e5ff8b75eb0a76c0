package dev.tangent.backend;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link ThreadBudget}'s core slots: a counting semaphore served strictly in arrival order, by
 * tickets. Ticket t may run once {@code t < granted}; {@code granted} starts at the number of slots
 * and each release adds one. A waiter first yields its core for up to {@code spinNanos} while it
 * watches {@code granted} (a slot handed over then needs no wake-up: the waiter sees it on its next
 * turn on a core), then parks; a release unparks the ticket it made eligible if that waiter parked.
 * Uninterruptible, as the wait for a slot always was: an interrupt is kept for the caller. Thread-safe;
 * lock-free except for parking.
 */
final class CoreSlots {
    private final int slots;
    private final long spinNanos;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong granted;
    private final ConcurrentHashMap<Long, Thread> parked = new ConcurrentHashMap<>();

    CoreSlots(int slots, long spinNanos) {
        this.slots = slots;
        this.spinNanos = spinNanos;
        this.granted = new AtomicLong(slots);
    }

    /** Takes a slot if one is free and nobody waits; never waits. */
    boolean tryAcquire() {
        while (true) {
            long t = next.get();
            if (t >= granted.get()) {
                return false;
            }
            if (next.compareAndSet(t, t + 1)) {
                return true;
            }
        }
    }

    /** Takes a slot, waiting in arrival order; returns whether it waited. */
    boolean acquire() {
        long t = next.getAndIncrement();
        try {
            return await(t);
        } catch (Throwable e) {
            // A ticket cannot be handed back (an OutOfMemoryError registering this thread, say):
            // take its turn without allocating and pass it on, or its slot would be lost for good.
            while (t >= granted.get()) {
                Thread.yield();
            }
            release(1);
            throw e;
        }
    }

    private boolean await(long t) {
        if (t < granted.get()) {
            return false;
        }
        if (spinNanos > 0) {
            long t0 = System.nanoTime();
            do {
                Thread.yield();
                if (t < granted.get()) {
                    return true;
                }
            } while (System.nanoTime() - t0 < spinNanos);
        }
        Long key = t;
        parked.put(key, Thread.currentThread());
        boolean interrupted = false;
        try {
            while (t >= granted.get()) {
                LockSupport.park(this);
                // park returns at once while the interrupt flag is set: clear it, restore it after
                interrupted |= Thread.interrupted();
            }
        } finally {
            parked.remove(key);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return true;
    }

    /** Hands back {@code n} slots at once: the next n tickets in order may run (waking any that parked). */
    void release(int n) {
        long g = granted.getAndAdd(n);
        // tickets g .. g + n - 1 have just become eligible; wake those that parked
        for (long t = g; t < g + n; t++) {
            Thread w = parked.get(t);
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** Slots free right now (0 while anyone waits). */
    int available() {
        return (int) Math.max(0, Math.min(slots, granted.get() - next.get()));
    }

    /** Threads waiting right now (an estimate). */
    int waiting() {
        return (int) Math.max(0, next.get() - granted.get());
    }
}
