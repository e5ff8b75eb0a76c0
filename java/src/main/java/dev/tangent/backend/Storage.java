package dev.tangent.backend;

import dev.tangent.Device;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A block of native memory (host or device) that tensors view. Closed exactly once: by the scope
 * that owns it or, when no scope owns it, by the garbage collector once no tensor refers to it.
 *
 * <p><b>Use across threads.</b> Every kernel {@linkplain #acquire(String) acquires} the storages it
 * reads and writes for its whole run and {@linkplain #release() releases} them after. Closing marks
 * the storage closed at once — later acquires throw {@link IllegalStateException} naming the op —
 * but the memory goes back to its backend only when the last kernel holding it has released it,
 * so closing a scope while another thread computes with its tensors can never free memory under a
 * running kernel (as a shared {@code Arena} cannot be closed while a downcall holds its session).
 *
 * <p><b>Contents.</b> Tensors are immutable, so the bytes of a storage Tangent allocated do not
 * change once the kernel that made them has returned, with two exceptions, which are
 * {@linkplain #isMutable() mutable}: memory {@linkplain #wrap wrapped} from elsewhere (its owner may
 * write it at any time), and buffers a recording rewrites on every replay (a compiled plan's
 * inputs and intermediates, {@linkplain #markMutable() marked} when it is recorded). Only an
 * immutable storage caches data {@linkplain #derive derived} from its bytes (a weight matrix
 * packed in the layout a matmul prefers), freed with the memory.
 */
public final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Block block;
    /** The scope that frees this storage (a {@code dev.tangent.Scope}), or null when unscoped. */
    private volatile Object owner;
    private Cleaner.Cleanable gcFree;

    private Storage(Block block) {
        this.block = block;
    }

    /** New memory of {@code bytes} bytes from {@code backend}, not yet owned by anything. */
    public static Storage allocate(Backend backend, long bytes) {
        return new Storage(new Block(backend, backend.allocate(bytes), bytes, false));
    }

    /**
     * A storage over memory Tangent did not allocate (host memory of the caller, another engine's
     * buffer): closing it never frees that memory, which the caller keeps alive and unchanged.
     */
    public static Storage wrap(Backend backend, MemorySegment memory) {
        return new Storage(new Block(backend, memory, memory.byteSize(), true));
    }

    /** The device the memory is on. */
    public Device device() {
        return block.backend.device();
    }

    /** The backend that allocated (and frees) this memory. */
    public Backend backend() {
        return block.backend;
    }

    /** Size in bytes. */
    public long byteSize() {
        return block.bytes;
    }

    /** The memory: for host storages a segment of {@link #byteSize()} bytes. */
    public MemorySegment segment() {
        return block.segment;
    }

    /** The raw address (host or device pointer). */
    public long address() {
        return block.segment.address();
    }

    /** True once closed (the memory itself may still be held by a running kernel). */
    public boolean isFreed() {
        return (block.state & 1) != 0;
    }

    /** Throws if this storage was closed; {@code op} names the operation for the message. */
    public void checkAlive(String op) {
        if ((block.state & 1) != 0) {
            throw closed(op);
        }
    }

    /**
     * Holds the memory for a kernel: until {@link #release()} it is not returned to the backend,
     * even if the storage is closed meanwhile. Throws {@link IllegalStateException} naming
     * {@code op} when the storage is already closed.
     */
    public void acquire(String op) {
        long s = (long) Block.STATE.getAndAdd(block, 2L);
        if ((s & 1) != 0) {
            block.release();
            throw closed(op);
        }
    }

    /** Ends a hold taken by {@link #acquire(String)}; the last release of a closed storage frees it. */
    public void release() {
        block.release();
    }

    private IllegalStateException closed(String op) {
        return new IllegalStateException(op + ": tensor used after its scope was closed (its "
                + block.bytes + "-byte storage on " + device() + " is freed); keep it with Scope.keep(...) "
                + "or create it in an outer scope");
    }

    /**
     * True when the bytes may change after the kernel that wrote them returned: wrapped memory, or
     * a buffer {@linkplain #markMutable() marked} by a recording that rewrites it.
     */
    public boolean isMutable() {
        return block.foreign || block.mutable;
    }

    /**
     * Declares that this storage's bytes will be rewritten (a recording's variable or a buffer one
     * of its replayed kernels writes): from now on nothing is {@linkplain #derive derived} from
     * them, and what was derived before is ignored (and freed with the memory).
     */
    public void markMutable() {
        block.mutable = true;
    }

    /** Data computed from a storage's bytes, cached with it by {@link #derive} and freed with its memory. */
    public interface Derived {
        /** Frees what this holds; called once, when the storage's memory is returned. */
        void free();
    }

    /**
     * The data cached under {@code key}, made by {@code make} (under this storage's lock, so once)
     * when there is none; null, and nothing made, when the storage is {@linkplain #isMutable()
     * mutable} or its memory was already returned. Valid while the caller holds the storage (a
     * kernel's {@link #acquire}): it is freed when the memory is.
     */
    public Derived derive(Object key, Supplier<? extends Derived> make) {
        return block.derive(key, make);
    }

    /** Owner token (a Scope, a plan), managed by {@code dev.tangent.Scope}. */
    public Object owner() {
        return owner;
    }

    /**
     * Sets the owner; null hands the storage to the garbage collector, which frees it once no
     * tensor refers to it.
     */
    public synchronized void owner(Object scope) {
        this.owner = scope;
        if (scope == null && gcFree == null && (block.state & 1) == 0) {
            gcFree = CLEANER.register(this, block);
        }
    }

    /** Closes the storage: idempotent and safe to race; the memory is freed once no kernel holds it. */
    public void free() {
        block.run();
    }

    /** The memory itself, what the cleaner frees; must not refer back to the Storage. */
    private static final class Block implements Runnable {
        static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Block.class, "state", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Backend backend;
        final MemorySegment segment;
        final long bytes;
        /** Memory the caller owns: never returned to the backend. */
        final boolean foreign;
        /** Bit 0: closed; bits 1..: twice the number of holds. */
        volatile long state;
        /** Set by {@link Storage#markMutable()}. */
        volatile boolean mutable;
        private boolean returned;
        /** Data derived from the bytes; guarded by this. */
        private Map<Object, Derived> derived;

        Block(Backend backend, MemorySegment segment, long bytes, boolean foreign) {
            this.backend = backend;
            this.segment = segment;
            this.bytes = bytes;
            this.foreign = foreign;
        }

        /** Close: set the closed bit; free now when nothing holds the memory. */
        @Override
        public void run() {
            long s;
            do {
                s = state;
                if ((s & 1) != 0) {
                    return;
                }
            } while (!STATE.compareAndSet(this, s, s | 1));
            if (s == 0) {
                returnMemory();
            }
        }

        void release() {
            long s = (long) STATE.getAndAdd(this, -2L) - 2;
            if (s == 1) {
                returnMemory();
            }
        }

        synchronized Derived derive(Object key, Supplier<? extends Derived> make) {
            if (returned || foreign || mutable) {
                return null;
            }
            if (derived == null) {
                derived = new HashMap<>(4);
            }
            Derived d = derived.get(key);
            if (d == null) {
                d = make.get();
                derived.put(key, d);
            }
            return d;
        }

        private void returnMemory() {
            Map<Object, Derived> gone;
            synchronized (this) {
                if (returned) {
                    return;
                }
                returned = true;
                gone = derived;
                derived = null;
            }
            if (!foreign) {
                backend.free(segment, bytes);
            }
            if (gone != null) {
                RuntimeException first = null;
                for (Derived d : gone.values()) {
                    try {
                        d.free();
                    } catch (RuntimeException e) {   // free the rest, then report the first failure
                        first = first == null ? e : first;
                    }
                }
                if (first != null) {
                    throw first;
                }
            }
        }
    }
}
