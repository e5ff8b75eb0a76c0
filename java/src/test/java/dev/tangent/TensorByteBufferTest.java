package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.backend.NativeMemory;
import dev.tangent.reliability.Memory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

/** Tensor.toByteBuffer: a zero-copy, read-only view that holds the memory it shows. */
class TensorByteBufferTest {

    @Test
    void viewsTheTensorsOwnMemoryInNativeOrder() {
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.of(new float[] {1.5f, -2f, 3.25f, 4f}, 2, 2);
            ByteBuffer b = t.toByteBuffer();
            assertTrue(b.isDirect());
            assertTrue(b.isReadOnly());
            assertEquals(ByteOrder.nativeOrder(), b.order());
            assertEquals(16, b.remaining());
            float[] got = new float[4];
            b.asFloatBuffer().get(got);
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 4f}, got);
            assertThrows(ReadOnlyBufferException.class, () -> b.putFloat(0, 9f));
            // the same address: no copy was made
            Tensor back = Tensor.wrap(MemorySegment.ofBuffer(b), DType.FLOAT32, 2, 2);
            assertEquals(MemorySegment.ofBuffer(b).address(), MemorySegment.ofBuffer(back.toByteBuffer()).address());
        }
    }

    @Test
    void aSliceStartsAtItsOffset() {
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 3, 2);
            ByteBuffer row = t.get(2).toByteBuffer();
            assertEquals(16, row.remaining());
            assertEquals(4.0, row.getDouble(0));
            assertEquals(5.0, row.getDouble(8));
            long base = MemorySegment.ofBuffer(t.toByteBuffer()).address();
            assertEquals(base + 32, MemorySegment.ofBuffer(row).address());
        }
    }

    @Test
    void rejectsNonContiguousAndFreedTensors() {
        Tensor kept;
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.T().toByteBuffer());
            assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
            assertEquals(6 * 4, t.T().contiguous().toByteBuffer().remaining());
            kept = t;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, kept::toByteBuffer);
        assertTrue(e.getMessage().contains("toByteBuffer"), e.getMessage());
    }

    @Test
    void theBufferKeepsTheMemoryAfterTheScopeCloses() throws InterruptedException {
        long before = Memory.settledLiveBytes();
        ByteBuffer b;
        Tensor t;
        try (Scope s = Scope.open()) {
            t = Tensor.full(7.0, DType.FLOAT64, Device.cpu(), 1024);
            b = t.toByteBuffer();
        }
        assertThrows(IllegalStateException.class, t::toFloatArray, "the tensor is freed for Tangent");
        System.gc();
        assertEquals(8 * 1024, NativeMemory.liveBytes() - before, "the buffer still holds the memory");
        assertEquals(7.0, b.getDouble(8 * 1023));
        b = null;
        assertEquals(before, Memory.settledLiveBytes(), "dropping the buffer returns the memory");
    }

    @Test
    void wrappedMemoryStaysTheCallers() {
        try (Arena arena = Arena.ofConfined(); Scope s = Scope.open()) {
            MemorySegment m = arena.allocate(3 * 8, 8);
            m.setAtIndex(ValueLayout.JAVA_LONG, 1, 42L);
            ByteBuffer b = Tensor.wrap(m, DType.INT64, 3).toByteBuffer();
            assertEquals(m.address(), MemorySegment.ofBuffer(b).address());
            assertEquals(42L, b.getLong(8));
        }
    }
}
