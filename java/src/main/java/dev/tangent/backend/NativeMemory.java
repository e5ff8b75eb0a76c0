package dev.tangent.backend;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Host memory from the C allocator, 64-byte aligned (what oneDNN and AVX-512 like), with Tangent's
 * own accounting of live bytes.
 *
 * <p>Memory comes from {@code aligned_alloc}/{@code free} rather than a shared {@code Arena}: closing
 * a shared arena costs a thread handshake (microseconds), too much for per-op temporaries; freed
 * tensors are guarded in Java by {@link Storage#checkAlive(String)} instead.
 */
public final class NativeMemory {
    private static final long ALIGN = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BLOCKS = new AtomicLong();

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private NativeMemory() {}

    /** Allocates {@code bytes} (rounded up to 64) of uninitialised host memory. */
    public static MemorySegment allocate(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: negative size " + bytes);
        }
        long rounded = Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, rounded);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("Tangent: native allocation of " + bytes + " bytes failed ("
                    + LIVE_BYTES.get() + " bytes live)");
        }
        LIVE_BYTES.addAndGet(bytes);
        LIVE_BLOCKS.incrementAndGet();
        return p.reinterpret(bytes);
    }

    /** Frees memory from {@link #allocate(long)}. */
    public static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(segment.address()));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
        LIVE_BYTES.addAndGet(-segment.byteSize());
        LIVE_BLOCKS.decrementAndGet();
    }

    /** Bytes of host memory Tangent currently holds for tensors. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** Number of live host allocations. */
    public static long liveBlocks() {
        return LIVE_BLOCKS.get();
    }
}
