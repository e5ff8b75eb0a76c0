package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Shape operations and indexing: results, views versus copies, errors. */
class ShapeIndexContractTest extends ContractBase {

    private static NDArray grid(NDManager m) {
        return m.arange(0f, 12f, 1f).reshape(3, 4);
    }

    @BothEngines
    void reshapeFlattenSqueezeExpand(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = grid(m);
            assertValues(a.reshape(-1, 6), new Shape(2, 6), DataType.FLOAT32, range(12));
            assertValues(a.flatten(), new Shape(12), DataType.FLOAT32, range(12));
            assertEquals(new Shape(3, 1, 4), a.expandDims(1).getShape());
            assertEquals(new Shape(3, 4), a.expandDims(1).squeeze().getShape());
            assertEquals(new Shape(3, 4, 1), a.expandDims(-1).getShape());
            assertEquals(new Shape(1, 3, 4), a.expandDims(0).getShape());
            assertEquals(new Shape(3, 4), a.reshape(1, 3, 1, 4).squeeze(new int[] {0, 2}).getShape());
            assertEquals(new Shape(6, 2), a.reshape(2, 3, 2).flatten(0, 1).getShape());
            assertThrows(RuntimeException.class, () -> a.reshape(5, 3));
        }
    }

    @BothEngines
    void transposeBroadcastTileRepeatFlip(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = grid(m);
            assertValues(a.transpose(), new Shape(4, 3), DataType.FLOAT32, 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
            assertEquals(new Shape(2, 3, 2), a.reshape(2, 3, 2).transpose(2, 1, 0).getShape());
            assertValues(a.reshape(2, 3, 2).transpose(2, 1, 0).get(0, 0), new Shape(2), DataType.FLOAT32, 0, 6);
            assertValues(a.swapAxes(0, 1).get(1), new Shape(3), DataType.FLOAT32, 1, 5, 9);
            NDArray r = m.create(new float[] {1, 2});
            assertValues(r.broadcast(new Shape(2, 2)), new Shape(2, 2), DataType.FLOAT32, 1, 2, 1, 2);
            assertValues(r.tile(2), new Shape(4), DataType.FLOAT32, 1, 2, 1, 2);
            assertValues(r.reshape(1, 2).tile(new long[] {2, 1}), new Shape(2, 2), DataType.FLOAT32, 1, 2, 1, 2);
            assertValues(r.repeat(2), new Shape(4), DataType.FLOAT32, 1, 1, 2, 2);
            assertValues(r.reshape(2, 1).repeat(1, 3), new Shape(2, 3), DataType.FLOAT32, 1, 1, 1, 2, 2, 2);
            assertValues(a.flip(0).get(0), new Shape(4), DataType.FLOAT32, 8, 9, 10, 11);
            assertValues(a.flip(1).get(0), new Shape(4), DataType.FLOAT32, 3, 2, 1, 0);
            assertValues(a.get("0:2, 0:2").rotate90(1, new int[] {0, 1}), new Shape(2, 2), DataType.FLOAT32, 1, 5, 0, 4);
        }
    }

    @BothEngines
    void concatStackSplit(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            NDArray b = m.create(new float[] {5, 6}, new Shape(1, 2));
            assertValues(a.concat(b), new Shape(3, 2), DataType.FLOAT32, 1, 2, 3, 4, 5, 6);
            assertValues(NDArrays.concat(new NDList(a, a), 1), new Shape(2, 4), DataType.FLOAT32, 1, 2, 1, 2, 3, 4, 3, 4);
            assertValues(NDArrays.stack(new NDList(a, a)), new Shape(2, 2, 2), DataType.FLOAT32, 1, 2, 3, 4, 1, 2, 3, 4);
            assertValues(a.stack(a, 2), new Shape(2, 2, 2), DataType.FLOAT32, 1, 1, 2, 2, 3, 3, 4, 4);
            NDList parts = m.arange(0f, 6f, 1f).split(3);
            assertEquals(3, parts.size());
            assertValues(parts.get(2), new Shape(2), DataType.FLOAT32, 4, 5);
            NDList at = m.arange(0f, 6f, 1f).split(new long[] {1, 4});
            assertEquals(new Shape(1), at.get(0).getShape());
            assertValues(at.get(1), new Shape(3), DataType.FLOAT32, 1, 2, 3);
            assertValues(at.get(2), new Shape(2), DataType.FLOAT32, 4, 5);
            assertThrows(RuntimeException.class, () -> a.concat(m.ones(new Shape(1, 3))));
        }
    }

    @BothEngines
    void getWithIndicesAndSlices(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = grid(m);
            assertValues(a.get(1), new Shape(4), DataType.FLOAT32, 4, 5, 6, 7);
            assertValues(a.get(1, 2), new Shape(), DataType.FLOAT32, 6);
            assertValues(a.get("1:, ::2"), new Shape(2, 2), DataType.FLOAT32, 4, 6, 8, 10);
            assertValues(a.get(":, 3"), new Shape(3), DataType.FLOAT32, 3, 7, 11);
            assertValues(a.get("-1"), new Shape(4), DataType.FLOAT32, 8, 9, 10, 11);
            assertValues(a.get(new NDIndex("{}:{}", 0, 2)), new Shape(2, 4), DataType.FLOAT32, range(8));
            assertEquals(6f, a.getFloat(1, 2));
            assertEquals(6f, a.getScalar(1, 2).getFloat());
            NDArray idx = m.create(new long[] {2, 0});
            assertValues(a.get(idx), new Shape(2, 4), DataType.FLOAT32, 8, 9, 10, 11, 0, 1, 2, 3);
            NDArray pickIdx = m.create(new long[] {3, 0, 1}, new Shape(3, 1));
            assertValues(a.get(new NDIndex().addAllDim().addPickDim(pickIdx)), new Shape(3, 1), DataType.FLOAT32, 3, 4,
                    9);
            assertValues(a.gather(m.create(new long[] {0, 2, 1, 1, 0, 0}, new Shape(3, 2)), 1), new Shape(3, 2),
                    DataType.FLOAT32, 0, 2, 5, 5, 8, 8);
            assertValues(a.take(m.create(new long[] {11, 0, 5})), new Shape(3), DataType.FLOAT32, 11, 0, 5);
            assertValues(a.booleanMask(a.gt(8)), new Shape(3), DataType.FLOAT32, 9, 10, 11);
            assertValues(m.create(new long[] {0, 2}).oneHot(3), new Shape(2, 3), DataType.FLOAT32, 1, 0, 0, 0, 0, 1);
            assertValues(a.gt(9).nonzero(), new Shape(2, 2), DataType.INT64, 2, 2, 2, 3);
            assertThrows(RuntimeException.class, () -> a.get(3));
        }
    }

    @BothEngines
    void setReplacesValues(String engine) {
        try (NDManager m = manager(engine)) {
            NDArray a = grid(m);
            a.set(new NDIndex("0"), 100f);
            assertValues(a.get(0), new Shape(4), DataType.FLOAT32, 100, 100, 100, 100);
            a.set(new NDIndex(":, 1"), m.create(new float[] {-1, -2, -3}));
            assertValues(a.get(":, 1"), new Shape(3), DataType.FLOAT32, -1, -2, -3);
            a.set(new NDIndex("1:, 2:"), m.zeros(new Shape(2, 2)));
            assertValues(a, new Shape(3, 4), DataType.FLOAT32, 100, -1, 100, 100, 4, -2, 0, 0, 8, -3, 0, 0);
            a.set(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
            assertValues(a.get(2), new Shape(4), DataType.FLOAT32, 9, 10, 11, 12);
            a.set(a.gt(10), 0f);
            assertValues(a.get(2), new Shape(4), DataType.FLOAT32, 9, 10, 0, 0);
            NDArray b = m.zeros(new Shape(2));
            b.setScalar(new NDIndex(1), 5f);
            assertValues(b, new Shape(2), DataType.FLOAT32, 0, 5);
            NDArray c = m.create(new float[] {1, 2});
            NDArray d = m.create(new float[] {7, 8});
            c.intern(d);
            assertValues(c, new Shape(2), DataType.FLOAT32, 7, 8);
            assertEquals(true, d.isReleased());
        }
    }
}
