package dev.tangent.backend.cpu.dnnl;

import static dev.tangent.bindings.dnnl.dnnl_h.*;

import dev.tangent.backend.Backend;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Weights (matmul right-hand sides, convolution filters) packed once into the layout the oneDNN
 * primitive prefers and cached with the weight's storage ({@link Storage#derive}), freed when
 * that storage's memory is.
 *
 * <p>A matmul on plain weights repacks blocks of them on every call, and a blocked convolution
 * reorders its filters on every call; given them packed both skip that. At 1 thread
 * ({@code KernelProbe pack}, {@code packconv}), the MLP's forward took 0.78x (batch 64) and 0.89x
 * (batch 1024) its plain-weight time, ResNet-18's batch-1 forward 0.90x.
 *
 * <p>Packing costs one reorder of the whole weight, so a weight is packed at its second use, not
 * its first: an operand used once (an activation as a right-hand side) is never packed. Safe from
 * any number of threads: a view's copy is made once, under that view's lock. The values
 * are those of the unpacked weights, bit for bit (oneDNN runs the same kernel on the same
 * blocks; {@code PackedWeightsTest} checks it).
 *
 * <p>Only immutable storages are packed ({@link Storage#isMutable()}: not wrapped memory, not a
 * recording's rewritten buffers), so a packed copy can never be stale. A process-wide budget
 * bounds the packed copies, {@code -Dtangent.dnnl.packed_weights_mb} (default 1024; 0 turns packing
 * off); beyond it (as estimated from the plain sizes before packing; concurrent packings may pass
 * it by a few copies) new weights stay plain.
 */
final class PackedWeights {
    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong PACKS = new AtomicLong();
    private static volatile long limit = Long.getLong("tangent.dnnl.packed_weights_mb", 1024) << 20;

    private PackedWeights() {}

    /** Bytes of packed copies alive, process-wide. */
    static long bytes() {
        return BYTES.get();
    }

    /** Packings done (reorders run), process-wide: a test's proof that a weight was packed once. */
    static long packs() {
        return PACKS.get();
    }

    /** The budget in bytes (0: packing off). */
    static long limit() {
        return limit;
    }

    /** Sets the budget in bytes, process-wide (0: packing off); for tests and measurements. */
    static void limit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("packed weights budget: " + bytes + " bytes; needs >= 0");
        }
        limit = bytes;
    }

    /**
     * Whether this call should read {@code w} (float32 weights: a matmul's 2-D right-hand side, a
     * convolution's filters) packed: counts the use, and from the second use of the same view of an
     * immutable storage on, while the budget allows, returns that view's packed copies
     * ({@link Uses#packed(Operand, MemorySegment, PrimitiveCache.Repack)}); else null.
     */
    static Uses wanted(Operand w) {
        if (limit <= 0) {
            return null;
        }
        Uses u = (Uses) w.storage().derive(new View(w), Uses::new);
        // a view already packed stays packed; a new copy only within the budget
        return u != null && u.count() >= 2 && (u.packedOnce() || BYTES.get() + 4 * w.numel() <= limit) ? u : null;
    }

    /** A view of a storage (offset, sizes, strides): the key its uses and packed copies are cached under. */
    private static final class View {
        private final long[] key;
        private final int hash;

        View(Operand w) {
            int r = w.dim();
            key = new long[1 + 2 * r];
            key[0] = w.offset();
            System.arraycopy(w.shape(), 0, key, 1, r);
            System.arraycopy(w.strides(), 0, key, 1 + r, r);
            hash = Arrays.hashCode(key);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof View v && v.hash == hash && Arrays.equals(v.key, key);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** One view's use count and packed copies (a copy per layout a primitive asked for). */
    static final class Uses implements Storage.Derived {
        private final List<Copy> copies = new ArrayList<>(2);
        private long uses;
        private boolean freed;

        synchronized long count() {
            return ++uses;
        }

        synchronized boolean packedOnce() {
            return !copies.isEmpty();
        }

        /** {@link #packed(Operand, Function, MemorySegment, PrimitiveCache.Repack)} of a matrix described by its strides. */
        long packed(Operand w, MemorySegment want, PrimitiveCache.Repack repack) {
            return packed(w, arena -> DnnlDescriptors.md(arena, w.shape(), w.strides()), want, repack);
        }

        /**
         * The address of {@code w} (described by {@code user}, a new descriptor each call) laid out as
         * {@code want}: a copy packed now (by {@code repack}, the consumer's cached reorder), or earlier
         * by any thread, or {@code w} itself when {@code want} is its own layout. The caller holds w's storage.
         */
        synchronized long packed(Operand w, Function<Arena, MemorySegment> user, MemorySegment want,
                PrimitiveCache.Repack repack) {
            if (freed) {
                w.storage().checkAlive("matmul");
                throw new IllegalStateException("oneDNN weights " + Arrays.toString(w.shape())
                        + ": packed copy used after their storage was closed");
            }
            for (Copy c : copies) {
                if (dnnl_memory_desc_equal(c.md, want) != 0) {
                    return c.memory == null ? w.address() : c.memory.address();
                }
            }
            Copy c = Copy.pack(w, user, want, repack);
            copies.add(c);
            return c.memory == null ? w.address() : c.memory.address();
        }

        @Override
        public synchronized void free() {
            freed = true;
            for (Copy c : copies) {
                c.free();
            }
            copies.clear();
        }
    }

    /** A packed copy in layout {@code md} (owned), or, with {@code memory} null, the fact that md is the view's own layout. */
    private static final class Copy {
        final MemorySegment md;
        final MemorySegment memory;
        final Backend backend;
        final long bytes;

        private Copy(MemorySegment md, MemorySegment memory, Backend backend, long bytes) {
            this.md = md;
            this.memory = memory;
            this.backend = backend;
            this.bytes = bytes;
        }

        static Copy pack(Operand w, Function<Arena, MemorySegment> userMd, MemorySegment want, PrimitiveCache.Repack repack) {
            MemorySegment md;
            boolean same;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(C_POINTER);
                Dnnl.check(dnnl_memory_desc_clone(out, want), "dnnl_memory_desc_clone");
                md = out.get(C_POINTER, 0);
                try {
                    MemorySegment user = userMd.apply(arena);
                    same = dnnl_memory_desc_equal(user, md) != 0;
                    dnnl_memory_desc_destroy(user);
                } catch (RuntimeException | Error e) {
                    dnnl_memory_desc_destroy(md);
                    throw e;
                }
            }
            if (same) {
                return new Copy(md, null, null, 0);
            }
            long bytes = dnnl_memory_desc_get_size(md);
            Backend be = w.storage().backend();
            MemorySegment mem;
            try {
                mem = be.allocate(bytes);
            } catch (RuntimeException | Error e) {
                dnnl_memory_desc_destroy(md);
                throw e;
            }
            BYTES.addAndGet(bytes);
            Copy c = new Copy(md, mem, be, bytes);
            try {
                repack.run(userMd, w.address(), mem.address());
            } catch (RuntimeException | Error e) {
                c.free();
                throw e;
            }
            PACKS.incrementAndGet();
            return c;
        }

        void free() {
            if (memory != null) {
                backend.free(memory, bytes);
                BYTES.addAndGet(-bytes);
            }
            dnnl_memory_desc_destroy(md);
        }
    }
}
