package dev.tangent.backend.cpu.dnnl;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Convolution weights already reordered into a primitive's blocked layout, so that a model's
 * weights are not reordered again on every call (at batch 1 the reorder costs as much as the
 * convolution: benchmarks/NN-KERNELS.md).
 *
 * <p><b>Why it is safe without a storage version.</b> Tangent's storages have no version number
 * (a compiled plan rewrites its buffers in place between calls, and memory wrapped from another
 * engine can change at any time), so an address never proves the contents. Each cached entry keeps
 * an exact copy of the plain weights it was made from, and a hit requires the caller's weights to
 * be byte-for-byte equal to that copy ({@link MemorySegment#mismatch}); the blocked weights are
 * reordered from the copy itself. Comparing reads the weights twice, several times cheaper than
 * the reorder (which also writes them, transposed).
 *
 * <p><b>When it caches.</b> Weights are copied and kept only on the second call with the same
 * (primitive, address, size) — one-off weights cost nothing extra — and a key whose contents changed
 * {@link #MAX_CHANGES} times (weights updated in place, e.g. a plan's input) is not cached any
 * more. Entries are dropped least recently used beyond the byte budget (copy and blocked weights
 * counted), {@code -Dtangent.dnnl.weight_cache_mb} (default 256; 0 turns the cache off).
 * Entries are reference-counted: memory is freed when the last running convolution using it ends.
 */
final class WeightCache {
    static final long DEFAULT_BUDGET = Long.getLong("tangent.dnnl.weight_cache_mb", 256) << 20;
    static final int MAX_CHANGES = 2;

    /** A weight reorder of one cached primitive chain (entry id, step) from weights at an address. */
    record Key(long entry, int step, long address, long bytes) {}

    /** Plain copy and blocked weights; freed once the cache and every user let go. */
    static final class Weights {
        final MemorySegment plain;
        final MemorySegment blocked;
        final long bytes;
        private final AtomicInteger refs = new AtomicInteger(1);

        Weights(MemorySegment plain, MemorySegment blocked) {
            this.plain = plain;
            this.blocked = blocked;
            this.bytes = plain.byteSize() + blocked.byteSize();
        }

        boolean acquire() {
            int r;
            do {
                r = refs.get();
                if (r == 0) {
                    return false;
                }
            } while (!refs.compareAndSet(r, r + 1));
            return true;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                Workspace.free(plain);
                Workspace.free(blocked);
            }
        }
    }

    /** What is known of a key: seen once, cached weights, or how often its contents changed. */
    private static final class Slot {
        Weights weights;
        int changes;
    }

    private final LinkedHashMap<Key, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);
    private volatile long budget;
    private long bytes;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    WeightCache(long budget) {
        this.budget = budget;
    }

    boolean enabled() {
        return budget > 0;
    }

    /** Sets the byte budget (0: off) and drops what no longer fits. */
    void budget(long b) {
        synchronized (slots) {
            budget = b;
            trim();
        }
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }

    /** Bytes held (copies and blocked weights). */
    long bytes() {
        synchronized (slots) {
            return bytes;
        }
    }

    /**
     * The blocked weights for {@code key} when they were made from exactly {@code user}'s bytes,
     * acquired (the caller releases them after the primitive ran); null otherwise.
     */
    Weights lookup(Key key, MemorySegment user) {
        Weights w;
        synchronized (slots) {
            Slot s = slots.get(key);
            w = s == null ? null : s.weights;
            if (w == null || !w.acquire()) {
                misses.incrementAndGet();
                return null;
            }
        }
        if (w.plain.mismatch(user) == -1) {
            hits.incrementAndGet();
            return w;
        }
        w.release();
        misses.incrementAndGet();
        synchronized (slots) {
            Slot s = slots.get(key);
            if (s != null && s.weights == w) { // changed in place: forget them, and count it
                s.weights = null;
                s.changes++;
                bytes -= w.bytes;
                w.release();
            }
        }
        return null;
    }

    /**
     * After a miss: new weights to reorder into when {@code key} has been seen before and should be
     * cached — the plain copy already made, owned by the caller until {@link #publish} — else null
     * (first sighting, contents that keep changing, or larger than the budget).
     */
    Weights prepare(Key key, MemorySegment user, long blockedBytes) {
        synchronized (slots) {
            if (2 * user.byteSize() + blockedBytes > budget) {
                return null;
            }
            Slot s = slots.get(key);
            if (s == null) {
                slots.put(key, new Slot()); // first sighting: remember the key only
                return null;
            }
            if (s.weights != null || s.changes >= MAX_CHANGES) {
                return null;
            }
        }
        MemorySegment plain = Workspace.allocate(user.byteSize()).asSlice(0, user.byteSize());
        MemorySegment blocked;
        try {
            blocked = Workspace.allocate(blockedBytes);
        } catch (RuntimeException | OutOfMemoryError e) {
            Workspace.free(plain);
            throw e;
        }
        MemorySegment.copy(user, 0, plain, 0, user.byteSize());
        return new Weights(plain, blocked);
    }

    /** Keeps weights made by {@link #prepare} (after their reorder ran); the caller still releases its own hold. */
    void publish(Key key, Weights w) {
        synchronized (slots) {
            Slot s = slots.get(key);
            if (s == null) {
                s = new Slot();
                slots.put(key, s);
            }
            if (s.weights != null || budget <= 0) {
                return; // another thread published first, or the cache was turned off meanwhile
            }
            w.acquire();
            s.weights = w;
            bytes += w.bytes;
            trim();
        }
    }

    /** Drops least recently used slots while over budget (and bounds the number of remembered keys). */
    private void trim() {
        Iterator<Map.Entry<Key, Slot>> it = slots.entrySet().iterator();
        while (it.hasNext() && (bytes > budget || slots.size() > 4096)) {
            Slot s = it.next().getValue();
            if (s.weights != null) {
                bytes -= s.weights.bytes;
                s.weights.release();
            }
            it.remove();
        }
    }
}
