package dev.tangent.backend;

import dev.tangent.Device;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * A block of native memory (host or device) that tensors view. Freed exactly once: by the scope
 * that owns it or, when no scope owns it, by the garbage collector once no tensor refers to it.
 *
 * <p>Every access goes through {@link #checkAlive(String)}, so a tensor whose storage was freed
 * throws an {@link IllegalStateException} naming the op instead of touching freed memory.
 */
public final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Block block;
    /** The scope that frees this storage (a {@code dev.tangent.Scope}), or null when unscoped. */
    private volatile Object owner;
    private Cleaner.Cleanable gcFree;

    public Storage(Backend backend, MemorySegment segment, long bytes) {
        this.block = new Block(backend, segment, bytes);
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

    /** True once freed. */
    public boolean isFreed() {
        return block.freed;
    }

    /** Throws if this storage was freed; {@code op} names the operation for the message. */
    public void checkAlive(String op) {
        if (block.freed) {
            throw new IllegalStateException(op + ": tensor used after its scope was closed (its "
                    + block.bytes + "-byte storage on " + device() + " is freed); keep it with Scope.keep(...) "
                    + "or create it in an outer scope");
        }
    }

    /** Owner token (a Scope), managed by {@code dev.tangent.Scope}. */
    public Object owner() {
        return owner;
    }

    /**
     * Sets the owner; null hands the storage to the garbage collector, which frees it once no
     * tensor refers to it.
     */
    public synchronized void owner(Object scope) {
        this.owner = scope;
        if (scope == null && gcFree == null && !block.freed) {
            gcFree = CLEANER.register(this, block);
        }
    }

    /** Frees the memory now; idempotent and safe to race. */
    public void free() {
        block.run();
    }

    /** The memory itself, what the cleaner frees; must not refer back to the Storage. */
    private static final class Block implements Runnable {
        final Backend backend;
        final MemorySegment segment;
        final long bytes;
        volatile boolean freed;

        Block(Backend backend, MemorySegment segment, long bytes) {
            this.backend = backend;
            this.segment = segment;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            synchronized (this) {
                if (freed) {
                    return;
                }
                freed = true;
            }
            backend.free(segment, bytes);
        }
    }
}
