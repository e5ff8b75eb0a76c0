package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.RandomUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** NDManager's creation methods and NDArray's conversions: shapes, data types, values, errors. */
class CreationContractTest extends ContractBase {

    @BothEngines
    void createFromJavaArraysKeepsTypeAndShape(String engine) {
        try (NDManager m = manager(engine)) {
            assertValues(m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)), new Shape(2, 3), DataType.FLOAT32,
                    1, 2, 3, 4, 5, 6);
            assertValues(m.create(new double[] {1.5, -2}), new Shape(2), DataType.FLOAT64, 1.5, -2);
            assertValues(m.create(new int[] {7, -8, 9}), new Shape(3), DataType.INT32, 7, -8, 9);
            assertValues(m.create(new long[] {1L << 40, -3}), new Shape(2), DataType.INT64, 1L << 40, -3);
            assertBools(m.create(new boolean[] {true, false}), new Shape(2), true, false);
            assertValues(m.create(new float[][] {{1, 2}, {3, 4}}), new Shape(2, 2), DataType.FLOAT32, 1, 2, 3, 4);
            NDArray s = m.create(2.5f);
            assertTrue(s.isScalar());
            assertValues(s, new Shape(), DataType.FLOAT32, 2.5);
            assertValues(m.create(3), new Shape(), DataType.INT32, 3);
            assertEquals(DataType.FLOAT64, m.create(1.0).getDataType());
            assertThrows(IllegalArgumentException.class, () -> m.create(new float[] {1, 2, 3}, new Shape(2, 2)));
        }
    }

    @BothEngines
    void createFromByteBufferReadsNativeOrder(String engine) {
        try (NDManager m = manager(engine)) {
            ByteBuffer b = m.allocateDirect(16);
            assertEquals(ByteOrder.nativeOrder(), b.order());
            b.asFloatBuffer().put(new float[] {1, -2, 3, -4});
            NDArray a = m.create(b, new Shape(2, 2), DataType.FLOAT32);
            assertValues(a, new Shape(2, 2), DataType.FLOAT32, 1, -2, 3, -4);
            ByteBuffer out = a.toByteBuffer();
            assertEquals(16, out.remaining());
            assertEquals(-4f, out.order(ByteOrder.nativeOrder()).getFloat(12));
        }
    }

    @BothEngines
    void zerosOnesFullAndLikes(String engine) {
        try (NDManager m = manager(engine)) {
            assertValues(m.zeros(new Shape(2, 2)), new Shape(2, 2), DataType.FLOAT32, 0, 0, 0, 0);
            assertValues(m.ones(new Shape(3), DataType.INT64), new Shape(3), DataType.INT64, 1, 1, 1);
            assertValues(m.full(new Shape(2), 7.5f), new Shape(2), DataType.FLOAT32, 7.5, 7.5);
            assertValues(m.full(new Shape(1, 2), 3), new Shape(1, 2), DataType.INT32, 3, 3);
            NDArray a = m.create(new double[] {1, 2});
            assertValues(a.zerosLike(), new Shape(2), DataType.FLOAT64, 0, 0);
            assertValues(a.onesLike(), new Shape(2), DataType.FLOAT64, 1, 1);
            assertValues(m.zeros(new Shape(0, 3)), new Shape(0, 3), DataType.FLOAT32);
            assertTrue(m.zeros(new Shape(0, 3)).isEmpty());
        }
    }

    @BothEngines
    void arangeEyeLinspace(String engine) {
        try (NDManager m = manager(engine)) {
            assertValues(m.arange(5), new Shape(5), DataType.INT32, 0, 1, 2, 3, 4);
            assertValues(m.arange(1, 7, 2), new Shape(3), DataType.INT32, 1, 3, 5);
            assertValues(m.arange(0f, 1f, 0.25f), new Shape(4), DataType.FLOAT32, 0, 0.25, 0.5, 0.75);
            assertValues(m.arange(0f, 3f, 1f, DataType.INT64), new Shape(3), DataType.INT64, 0, 1, 2);
            assertEquals(new Shape(0), m.arange(5f, 1f, 1f).getShape(), "start > stop with a positive step is empty");
            assertValues(m.eye(3), new Shape(3, 3), DataType.FLOAT32, 1, 0, 0, 0, 1, 0, 0, 0, 1);
            assertValues(m.eye(2, 3, 0), new Shape(2, 3), DataType.FLOAT32, 1, 0, 0, 0, 1, 0);
            assertValues(m.linspace(0f, 1f, 5), new Shape(5), DataType.FLOAT32, 0, 0.25, 0.5, 0.75, 1);
        }
    }

    @BothEngines
    void randomArraysHaveTheirShapeTypeAndRange(String engine) {
        try (NDManager m = manager(engine)) {
            RandomUtils.RANDOM.setSeed(3);
            NDArray u = m.randomUniform(-2f, 3f, new Shape(100, 50));
            assertEquals(new Shape(100, 50), u.getShape());
            assertEquals(DataType.FLOAT32, u.getDataType());
            assertTrue(u.min().getFloat() >= -2f && u.max().getFloat() < 3f);
            assertEquals(0.5, u.mean().getFloat(), 0.1);
            NDArray n = m.randomNormal(1f, 2f, new Shape(20000), DataType.FLOAT64);
            assertEquals(DataType.FLOAT64, n.getDataType());
            assertEquals(1.0, n.mean().getDouble(), 0.1);
            assertEquals(2.0, n.sub(n.mean()).square().mean().sqrt().getDouble(), 0.1);
            NDArray t = m.truncatedNormal(0.5f, 0.1f, new Shape(5000), DataType.FLOAT32);
            assertTrue(t.min().getFloat() >= 0.3f - 1e-6 && t.max().getFloat() <= 0.7f + 1e-6, "within 2 std");
            assertEquals(0.1 * 0.88, t.sub(t.mean()).square().mean().sqrt().getFloat(), 0.01);
            NDArray r = m.randomInteger(3, 7, new Shape(1000), DataType.INT64);
            assertEquals(DataType.INT64, r.getDataType());
            assertTrue(r.min().getLong() >= 3 && r.max().getLong() < 7);
        }
    }

    @BothEngines
    void conversionsBetweenTypes(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray f = m.create(new float[] {1.7f, -1.7f, 2.5f});
            assertValues(f.toType(DataType.INT32, false), new Shape(3), DataType.INT32, 1, -1, 2);
            assertValues(f.toType(DataType.FLOAT64, false), new Shape(3), DataType.FLOAT64, 1.7f, -1.7f, 2.5f);
            assertArrayEquals(new int[] {1, -1, 2}, f.toType(DataType.INT32, false).toIntArray());
            assertArrayEquals(new long[] {1, -1, 2}, f.toType(DataType.INT64, false).toLongArray());
            NDArray same = f.toType(DataType.FLOAT32, false);
            assertEquals(f, same);
            NDArray copy = f.toType(DataType.FLOAT32, true);
            assertNotSame(f, copy);
            assertTrue(f.contentEquals(copy));
            assertThrows(IllegalStateException.class, () -> f.toLongArray(), "wrong type for the accessor");
            assertArrayEquals(new boolean[] {true, false}, m.create(new boolean[] {true, false}).toBooleanArray());
            Number[] numbers = m.create(new int[] {4, 5}).toArray();
            assertEquals(4, numbers[0]);
        }
    }

    @BothEngines
    void encodeDecodeRoundTripAcrossEngines(String engine) {
        String other = engine.equals(Engines.TANGENT) ? Engines.PYTORCH : Engines.TANGENT;
        try (NDManager m = manager(engine); NDManager o = manager(other)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2));
            a.setName("w");
            byte[] bytes = a.encode();
            NDArray b = o.decode(bytes);
            assertEquals(other, b.getManager().getEngine().getEngineName());
            assertEquals("w", b.getName());
            assertValues(b, new Shape(3, 2), DataType.FLOAT32, 1, 2, 3, 4, 5, 6);
            NDArray c = m.decode(b.encode());
            assertTrue(a.contentEquals(c));
            NDArray i = m.decode(o.create(new int[] {3, -4}).encode());
            assertValues(i, new Shape(2), DataType.INT32, 3, -4);
        }
    }

    @BothEngines
    void duplicateIsIndependentAndNamesAndUidsAreKept(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2});
            a.setName("a");
            NDArray d = a.duplicate();
            assertEquals("a", d.getName());
            assertFalse(a.getUid().equals(d.getUid()));
            a.addi(10);
            assertValues(d, new Shape(2), DataType.FLOAT32, 1, 2);
            assertValues(a, new Shape(2), DataType.FLOAT32, 11, 12);
            assertEquals(2, a.size());
            assertEquals(2, a.size(0));
            assertTrue(a.shapeEquals(d));
            assertEquals(m, a.getManager());
            assertEquals(ai.djl.Device.cpu(), a.getDevice());
        }
    }
}
