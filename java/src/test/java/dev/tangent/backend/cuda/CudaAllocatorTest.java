package dev.tangent.backend.cuda;

import static dev.tangent.backend.cuda.CudaTests.GPU;
import static dev.tangent.backend.cuda.CudaTests.requireCuda;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import org.junit.jupiter.api.Test;

/** The caching allocator on a real device: reuse without cuMemAlloc, and the out-of-memory message. */
class CudaAllocatorTest {
    @Test
    void freedBlocksAreReusedWithoutCallingTheDriver() {
        CudaBackend be = requireCuda();
        for (int i = 0; i < 2; i++) { // first round: every size the loop below needs enters the cache
            try (Scope s = Scope.open()) {
                Tensor.full(i, DType.FLOAT32, GPU, 1000, 1000).sum().to(DType.FLOAT64).item();
            }
        }
        long cached = be.cachedBytes();
        assertTrue(cached >= 4_000_000, "freed 4 MB went to the cache, cached=" + cached);
        long before = be.driverAllocations();
        for (int i = 0; i < 20; i++) {
            try (Scope s = Scope.open()) {
                Tensor t = Tensor.full(i, DType.FLOAT32, GPU, 1000, 1000);
                assertEquals(i * 1e6, t.sum().to(DType.FLOAT64).item(), 1e-3 * Math.max(1, i * 1e6));
            }
        }
        assertEquals(before, be.driverAllocations(), "same-size allocations must come from the cache");
        be.emptyCache();
        assertEquals(0, be.cachedBytes());
    }

    @Test
    void outOfMemoryNamesTheSizeAndTheFreeMemory() {
        CudaBackend be = requireCuda();
        long live = be.allocatedBytes();
        CudaException e = assertThrows(CudaException.class, () -> {
            try (Scope s = Scope.open()) {
                Tensor.full(0, DType.FLOAT32, GPU, 1L << 42); // 16 TiB
            }
        });
        assertTrue(e.isOutOfMemory(), e.toString());
        assertTrue(e.getMessage().contains("out of memory") && e.getMessage().contains("tried to allocate 16.00 TiB")
                && e.getMessage().contains("free of"), e.getMessage());
        assertEquals("cuMemAlloc_v2", e.call());
        assertEquals(live, be.allocatedBytes(), "a failed allocation holds nothing");
        // the device still works afterwards
        try (Scope s = Scope.open()) {
            assertEquals(8.0, Tensor.full(1, DType.FLOAT64, GPU, 8).sum().item());
        }
    }
}
