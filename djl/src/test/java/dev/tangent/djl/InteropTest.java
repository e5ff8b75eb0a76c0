package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.djl.engine.TgNDArray;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** NDArray <-> Tensor over the same memory: bit for bit, and without a copy where the memory allows. */
class InteropTest {
    /** Awkward float values: signed zeros, infinities, a NaN payload, subnormals, extremes. */
    static final float[] F32 = {0f, -0f, 1.5f, -2.25f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.intBitsToFloat(0x7fc01234), Float.MIN_VALUE, -Float.MIN_NORMAL / 3, Float.MAX_VALUE, 1e-30f, 3.14159265f};
    static final double[] F64 = {0.0, -0.0, 1.5, -2.25, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.longBitsToDouble(0x7ff8000000001234L), Double.MIN_VALUE, -Double.MIN_NORMAL / 3, Double.MAX_VALUE, 1e-300,
        Math.PI};

    private static long address(java.nio.ByteBuffer b) {
        return MemorySegment.ofBuffer(b).address();
    }

    private static int[] bits(float[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Float.floatToRawIntBits(v[i]);
        }
        return r;
    }

    private static long[] bits(double[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Double.doubleToRawLongBits(v[i]);
        }
        return r;
    }

    private static int[] bits(java.nio.ByteBuffer b, int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = b.getInt(i * 4);
        }
        return r;
    }

    @Test
    void pytorchFloat32ContiguousIsWrappedWithoutCopy() {
        try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH); Scope s = Scope.open()) {
            NDArray x = pt.create(F32, new Shape(3, 4));
            assertTrue(Interop.sharesMemory(x));
            Tensor t = Interop.toTensor(x);
            assertEquals(address(x.toByteBuffer(true)), address(t.toByteBuffer()), "same address: no copy");
            assertArrayEquals(new long[] {3, 4}, t.shape());
            assertArrayEquals(bits(F32), bits(t.toByteBuffer(), 12), "bit for bit");
            // the same memory: an in-place write on the PyTorch side shows through
            x.muli(2);
            assertEquals(3.0f, t.toFloatArray()[2]);
        }
    }

    @Test
    void pytorchFloat64AndTransposedRoundTripBitForBit() {
        try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH); Scope s = Scope.open()) {
            NDArray x = pt.create(F64, new Shape(3, 4));
            Tensor t = Interop.toTensor(x);
            assertEquals(address(x.toByteBuffer(true)), address(t.toByteBuffer()));
            assertArrayEquals(bits(F64), bits(t.toDoubleArray()));
            NDArray back = Interop.toNDArray(t, pt);
            assertArrayEquals(bits(F64), bits(back.toDoubleArray()));
            assertEquals(address(t.toByteBuffer()), address(back.toByteBuffer(true)), "Tangent -> PyTorch: no copy");

            NDArray xt = x.transpose();                   // a non-contiguous PyTorch view
            Tensor tt = Interop.toTensor(xt);            // DJL makes it contiguous (one copy), then wrapped
            assertArrayEquals(bits(xt.toDoubleArray()), bits(tt.toDoubleArray()));
            assertArrayEquals(new long[] {4, 3}, tt.shape());
            NDArray backT = Interop.toNDArray(t.T(), pt); // a transposed Tangent view: made contiguous, then shared
            assertArrayEquals(bits(xt.toDoubleArray()), bits(backT.toDoubleArray()));
            assertEquals(new Shape(4, 3), backT.getShape());
        }
    }

    @Test
    void tangentToPytorchFloat32IsSharedAndOutlivesTheScope() {
        try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH)) {
            NDArray p;
            long addr;
            try (Scope s = Scope.open()) {
                Tensor t = Tensor.of(F32, 12).reshape(4, 3);
                p = Interop.toNDArray(t, pt);
                addr = address(t.toByteBuffer());
                assertEquals(addr, address(p.toByteBuffer(true)), "from_blob: PyTorch reads Tangent's memory");
                NDArray pt2 = Interop.toNDArray(t.T(), pt);
                assertArrayEquals(bits(p.transpose().toFloatArray()), bits(pt2.toFloatArray()));
            }
            // the scope is closed; the PyTorch array's buffer still holds the memory
            assertArrayEquals(bits(F32), bits(p.toFloatArray()));
            assertEquals(DataType.FLOAT32, p.getDataType());
        }
    }

    @Test
    void otherTypesAndTheTangentEngine() {
        try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH); NDManager tg = NDManager.newBaseManager(Engines.TANGENT);
                Scope s = Scope.open()) {
            NDArray i32 = pt.create(new int[] {1, -2, 3});
            assertFalse(Interop.sharesMemory(i32));
            Tensor ti = Interop.toTensor(i32);
            assertEquals(DType.INT64, ti.dtype());
            assertArrayEquals(new long[] {1, -2, 3}, ti.toLongArray());
            NDArray i64 = pt.create(new long[] {5, -6});
            assertTrue(Interop.sharesMemory(i64));
            assertArrayEquals(new long[] {5, -6}, Interop.toTensor(i64).toLongArray());
            NDArray b = pt.create(new boolean[] {true, false, true});
            assertEquals(DType.BOOL, Interop.toTensor(b).dtype());
            assertArrayEquals(new long[] {1, 0, 1}, Interop.toTensor(b).toLong().toLongArray());

            NDArray a = tg.create(F32, new Shape(12));
            Tensor ta = Interop.toTensor(a);
            assertSame(((TgNDArray) a).getTensor(), ta);
            NDArray back = Interop.toNDArray(ta, tg);
            assertSame(ta, ((TgNDArray) back).getTensor());
            // Tangent-engine arrays and PyTorch arrays exchange memory both ways too
            NDArray toPt = Interop.toNDArray(ta, pt);
            assertEquals(address(a.toByteBuffer(true)), address(toPt.toByteBuffer(true)));
            assertArrayEquals(bits(F32), bits(toPt.toFloatArray()));
        }
    }
}
