package dev.tangent.backend.cpu.dnnl;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Per-thread oneDNN workspace memory (layout temporaries, scratchpads) from the C allocator, 64-byte
 * aligned. Not tensor memory, so not in {@code Tangent.liveBytes()}: like oneDNN's own scratchpad it
 * belongs to the library, grows to the largest primitive a thread has run and is freed with the
 * thread's state.
 */
final class Workspace {
    private static final long ALIGN = 64;
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(lookup.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(lookup.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private Workspace() {}

    /** {@code bytes} (rounded up to 64) of uninitialised memory. */
    static MemorySegment allocate(long bytes) {
        long rounded = Math.max(ALIGN, (bytes + ALIGN - 1) & -ALIGN);
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGN, rounded);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (p.address() == 0) {
            throw new OutOfMemoryError("Tangent: oneDNN workspace of " + bytes + " bytes could not be allocated");
        }
        return p.reinterpret(rounded);
    }

    /** Frees memory from {@link #allocate(long)}; NULL is ignored. */
    static void free(MemorySegment segment) {
        if (segment.address() == 0) {
            return;
        }
        try {
            FREE.invokeExact(MemorySegment.ofAddress(segment.address()));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
