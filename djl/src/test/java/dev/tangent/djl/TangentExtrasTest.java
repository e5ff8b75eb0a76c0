package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Methods the Tangent engine implements where DJL's PyTorch engine throws "Not implemented" (or
 * supports less), checked against values computed by hand.
 */
class TangentExtrasTest extends ContractBase {
    @Test
    void beyondThePyTorchEngine() {
        try (NDManager m = manager(Engines.TANGENT); NDManager pt = manager(Engines.PYTORCH)) {
            NDArray x = m.create(new double[] {-1.5, 0, 2});
            assertClose(x.asinh(), 1e-12, Math.log(-1.5 + Math.sqrt(3.25)), 0, Math.log(2 + Math.sqrt(5)));
            assertThrows(UnsupportedOperationException.class, () -> pt.create(new double[] {1}).asinh());
            assertClose(m.create(new double[] {1, 2}).acosh(), 1e-12, 0, Math.log(2 + Math.sqrt(3)));
            assertTrue(m.create(new double[] {0.5}).acosh().isNaN().getBoolean());
            assertClose(m.create(new double[] {-0.5, 0.5}).atanh(), 1e-12, -0.5493061443340549, 0.5493061443340549);
            // the real cube root (the PyTorch engine computes x^(1/3): NaN below zero)
            assertClose(m.create(new double[] {-8, 27}).cbrt(), 1e-12, -2, 3);
            NDArray a = m.create(new float[] {1, 5, 3, 4, 2, 6}, new Shape(2, 3));
            assertValues(a.trace(), new Shape(), DataType.FLOAT32, 3);
            assertValues(a.trace(1, 0, 1), new Shape(), DataType.FLOAT32, 11);
            NDArray ba = a.reshape(1, 2, 3).repeat(0, 2);
            NDArray bb = a.reshape(1, 3, 2).repeat(0, 2);
            assertValues(ba.batchDot(bb), new Shape(2, 2, 2), DataType.FLOAT32, 22, 43, 22, 64, 22, 43, 22, 64);
            // several axes at once (the PyTorch engine reduces max/mean over one axis only)
            NDArray c = m.arange(0f, 24f, 1f).reshape(2, 3, 4);
            assertValues(c.max(new int[] {0, 2}), new Shape(3), DataType.FLOAT32, 15, 19, 23);
            assertValues(c.mean(new int[] {1, 2}, true), new Shape(2, 1, 1), DataType.FLOAT32, 5.5, 17.5);
            assertValues(m.eye(3, 3, 1, DataType.FLOAT32), new Shape(3, 3), DataType.FLOAT32, 0, 1, 0, 0, 0, 1, 0, 0, 0);
            assertValues(m.linspace(0f, 1f, 4, false), new Shape(4), DataType.FLOAT32, 0, 0.25, 0.5, 0.75);
            NDArray s = m.create(new float[] {3, 1, 2, 9, 7, 8}, new Shape(2, 3));
            assertValues(s.sort(), new Shape(2, 3), DataType.FLOAT32, 1, 2, 3, 7, 8, 9);
            assertValues(s.argSort(1, false), new Shape(2, 3), DataType.INT64, 0, 2, 1, 0, 2, 1);
            NDList top = s.topK(2, 1, true, true);
            assertValues(top.get(0), new Shape(2, 2), DataType.FLOAT32, 3, 2, 9, 8);
            assertValues(top.get(1), new Shape(2, 2), DataType.INT64, 0, 2, 0, 2);
            assertValues(m.create(new float[] {1, 4, 9}).diff(1, 0), new Shape(2), DataType.FLOAT32, 3, 5);
            assertValues(m.create(new float[] {1, 2}).pad(new Shape(1, 2), 0), new Shape(5), DataType.FLOAT32, 0, 1, 2, 0, 0);
            NDArray seq = m.ones(new Shape(2, 3));
            assertValues(seq.sequenceMask(m.create(new float[] {1, 2})), new Shape(2, 3), DataType.FLOAT32, 1, 0, 0, 1, 1, 0);
            assertTrue(m.create(new float[] {1, 2}).scaleGradient(0.5).contentEquals(m.create(new float[] {1, 2})));
            // count_include_pad=false (DJL's PyTorch engine counts the padding either way)
            NDArray px = m.arange(0f, 16f, 1f).reshape(1, 1, 4, 4);
            NDArray noPad = ai.djl.nn.pooling.Pool.avgPool2d(px, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false,
                    false);
            assertEquals((0 + 1 + 4 + 5) / 4.0, noPad.getFloat(0, 0, 0, 0), 1e-6);
            // a closed array's shape is unreadable too (NDArrayAdapter's rule; PyTorch arrays keep answering)
            NDArray closed = m.create(new float[] {1});
            closed.close();
            assertThrows(IllegalStateException.class, closed::getShape);
            assertEquals(DataType.UINT8, m.create(new int[] {300, -1}).toType(DataType.UINT8, false).getDataType());
            assertValues(m.create(new int[] {300, -1}).toType(DataType.UINT8, false), new Shape(2), DataType.UINT8, 44, 255);
        }
    }
}
