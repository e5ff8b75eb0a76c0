package dev.tangent.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Device;
import dev.tangent.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The CUDA backend's host-side logic, which runs (and must pass) on machines without a GPU. */
class CudaHostLogicTest {
    @Test
    void availabilityNeverThrowsAndExplainsItself() {
        boolean ok = Device.cudaAvailable();
        if (ok) {
            assertEquals(null, Device.cudaUnavailableReason());
            assertTrue(Device.cudaDeviceCount() > 0);
        } else {
            assertNotNull(Device.cudaUnavailableReason());
            assertFalse(Device.cudaUnavailableReason().isBlank());
            assertEquals(0, Device.cudaDeviceCount());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Tensor.zeros(2).to(Device.cuda(0)));
            assertTrue(e.getMessage().contains(Device.cudaUnavailableReason()), e.getMessage());
            // the CPU is unaffected
            assertEquals(6.0, Tensor.ones(2, 3).sum().item());
        }
    }

    @Test
    void allocatorBucketsRoundLikePyTorch() {
        assertEquals(512, CachingAllocator.roundSize(1));
        assertEquals(512, CachingAllocator.roundSize(512));
        assertEquals(1024, CachingAllocator.roundSize(513));
        assertEquals(1L << 20, CachingAllocator.roundSize((1L << 20) - 3));
        // above 1 MiB: four buckets per power of two
        assertEquals(1L << 20 | 1L << 18, CachingAllocator.roundSize((1L << 20) + 1));
        assertEquals(3L << 20, CachingAllocator.roundSize((5L << 19) + 1));
        assertEquals(1L << 30, CachingAllocator.roundSize((1L << 30) - 100));
        for (long b = 1; b < (1L << 34); b = b * 3 + 7) {
            long r = CachingAllocator.roundSize(b);
            assertTrue(r >= b && r <= b * 1.25 + 512, b + " -> " + r);
        }
    }

    @Test
    void stridedStructCoalescesAndMatchesTheAbi() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(Strided.BYTES, 8);
            // a contiguous [2,3,4] copy into a [2,3,4] output collapses to one dim of 24
            assertTrue(Strided.write(s, 0, new long[] {2, 3, 4}, new long[] {12, 4, 1}, 5,
                    new long[][] {{12, 4, 1}}, new long[] {7}));
            assertEquals(1, s.get(ValueLayout.JAVA_INT, 0));
            assertEquals(24, s.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(24, s.get(ValueLayout.JAVA_LONG, 16));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 80));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 144));
            assertEquals(5, s.get(ValueLayout.JAVA_LONG, 336));
            assertEquals(7, s.get(ValueLayout.JAVA_LONG, 344));
            // a transposed input keeps two dims; a broadcast input has stride 0; size-1 dims vanish
            assertTrue(Strided.write(s, 0, new long[] {3, 1, 4}, new long[] {4, 4, 1}, 0,
                    new long[][] {{1, 99, 3}, {0, 0, 1}}, new long[] {0, 2}));
            assertEquals(2, s.get(ValueLayout.JAVA_INT, 0));
            assertEquals(12, s.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(3, s.get(ValueLayout.JAVA_LONG, 16));
            assertEquals(4, s.get(ValueLayout.JAVA_LONG, 24));
            assertEquals(4, s.get(ValueLayout.JAVA_LONG, 80));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 88));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 144));
            assertEquals(3, s.get(ValueLayout.JAVA_LONG, 152));
            assertEquals(0, s.get(ValueLayout.JAVA_LONG, 208));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 216));
            assertEquals(2, s.get(ValueLayout.JAVA_LONG, 352));
            // a scalar: ndim 0, numel 1
            assertTrue(Strided.write(s, 0, new long[0], new long[0], 0, new long[][] {{}}, new long[] {0}));
            assertEquals(0, s.get(ValueLayout.JAVA_INT, 0));
            assertEquals(1, s.get(ValueLayout.JAVA_LONG, 8));
            // nine dims that cannot merge do not fit
            long[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
            long[] out = {256, 128, 64, 32, 16, 8, 4, 2, 1};
            long[] in = {1, 2, 4, 8, 16, 32, 64, 128, 256};
            assertFalse(Strided.write(s, 0, shape, out, 0, new long[][] {in}, new long[] {0}));
        }
    }
}
