package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.basicmodelzoo.basic.Mlp;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void basics() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
            NDArray b = a.add(1).mul(a).sum();
            assertEquals(2 + 6 + 12 + 20, b.getFloat(), 0);
            System.out.println(a.matMul(a));
            Block mlp = new Mlp(4, 3, new int[] {5});
            mlp.initialize(m, DataType.FLOAT32, new Shape(2, 4));
            NDList out = mlp.forward(new ParameterStore(m, false), new NDList(Engines.gaussian(m, 1, 1, 2, 4)), false);
            System.out.println(out.head());
            NDJvpResult r = DjlFunctional.jvp(mlp, new NDList(Engines.gaussian(m, 1, 1, 2, 4)),
                    new NDList(Engines.gaussian(m, 2, 1, 2, 4)));
            System.out.println(r.jvp().head());
            assertTrue(r.output().head().allClose(out.head()));
        }
    }
}
