package dev.tangent.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link ThreadBudget}'s core slots: a counting semaphore served strictly in arrival order, by
 * tickets. Ticket t may run once {@code t < granted}; {@code granted} starts at the number of slots
 * and each release adds one. A waiter first yields its core for up to {@code spinNanos} while it
 * watches {@code granted} (a slot handed over then needs no wake-up: the waiter sees it on its next
 * turn on a core), then parks; a release unparks the ticket it made eligible if that waiter parked.
 * With a {@link ThreadPlacement} installed, the releaser first restricts the waiter to its own
 * CPU (the first waiter only, when it hands back several slots at once; and the waiter may sleep
 * under a policy whose wake-up does not preempt, {@link ThreadPlacement#enterWait}), and the
 * waiter puts its saved CPU mask and policy back as soon as it runs (a platform thread only: a
 * virtual thread's carrier may change while it waits). Uninterruptible, as the wait for a slot
 * always was: an interrupt is kept for the caller. Thread-safe; lock-free except for parking.
 */
final class CoreSlots {
    private final int slots;
    private final long spinNanos;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong granted;
    private final ConcurrentHashMap<Long, Waiter> parked = new ConcurrentHashMap<>();
    private volatile ThreadPlacement placement;
    private final LongAdder placed = new LongAdder();

    /**
     * A parked waiter. {@code state}: WAITING until the waiter leaves (LEFT) or a releaser claims it
     * (PLACING), then PINNED or NOT_PINNED once the releaser's placement returned.
     */
    private static final class Waiter {
        static final int WAITING = 0;
        static final int PLACING = 1;
        static final int PINNED = 2;
        static final int NOT_PINNED = 3;
        static final int LEFT = 4;
        final Thread thread;
        /** Its thread id and the CPU mask it saved before it parked (read by the placing releaser); null: not to be placed. */
        final Self self;
        final AtomicInteger state = new AtomicInteger(WAITING);

        Waiter(Thread thread, Self self) {
            this.thread = thread;
            this.self = self;
        }
    }

    /** Per platform thread: its kernel thread id and where it saves its CPU mask while it waits. */
    private record Self(int tid, MemorySegment mask) {}

    private static final ThreadLocal<Self> SELF = new ThreadLocal<>();

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
        Thread me = Thread.currentThread();
        ThreadPlacement place = me.isVirtual() ? null : placement;
        Self self = null;
        boolean batch = false;
        if (place != null) {
            self = self(place);
            place.saveMask(self.mask());
            batch = place.enterWait();
        }
        Waiter w = new Waiter(me, self);
        parked.put(key, w);
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
                me.interrupt();
            }
            if (self != null) {
                try {
                    if (!w.state.compareAndSet(Waiter.WAITING, Waiter.LEFT)) {
                        // a releaser claimed this waiter to place it: wait for its one system call, then undo it
                        int s;
                        while ((s = w.state.get()) == Waiter.PLACING) {
                            Thread.onSpinWait();
                        }
                        if (s == Waiter.PINNED) {
                            place.restoreMask(self.mask());
                        }
                    }
                } finally {
                    place.exitWait(batch);
                }
            }
        }
        return true;
    }

    private static Self self(ThreadPlacement place) {
        Self s = SELF.get();
        if (s == null) {
            s = new Self(place.currentThreadId(), Arena.ofAuto().allocate(place.maskBytes(), 8));
            SELF.set(s);
        }
        return s;
    }

    /** Installs where woken waiters run (null: wherever the OS puts them). */
    void placement(ThreadPlacement p) {
        placement = p;
    }

    /** The placement in use, or null. */
    ThreadPlacement placement() {
        return placement;
    }

    /** Wake-ups placed on the releaser's CPU so far. */
    long placedWakeups() {
        return placed.sum();
    }

    /** Hands back {@code n} slots at once: the next n tickets in order may run (waking any that parked). */
    void release(int n) {
        long g = granted.getAndAdd(n);
        // tickets g .. g + n - 1 have just become eligible; wake those that parked
        for (long t = g; t < g + n; t++) {
            Waiter w = parked.get(t);
            if (w != null) {
                try {
                    if (t == g) {
                        place(w);   // one waiter per CPU: the others wake wherever the scheduler puts them
                    }
                } finally {
                    LockSupport.unpark(w.thread);
                }
            }
        }
    }

    /** Restricts waiter {@code w} to this thread's CPU, unless it has left or is not to be placed. */
    private void place(Waiter w) {
        ThreadPlacement p = placement;
        if (p == null || w.self == null || !w.state.compareAndSet(Waiter.WAITING, Waiter.PLACING)) {
            return;
        }
        boolean ok = false;
        try {
            ok = p.placeOnCurrentCpu(w.self.tid(), w.self.mask());
        } finally {
            w.state.set(ok ? Waiter.PINNED : Waiter.NOT_PINNED);
        }
        if (ok) {
            placed.increment();
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
