package example.djlconsumer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.tangent.djl.DjlFunctional;
import dev.tangent.djl.NDJvpResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What a DJL user's program does with tangent-djl from Maven: the "Tangent" engine found by DJL,
 * a DJL block (Linear + tanh) run on it, and its jvp by {@link DjlFunctional}, checked against the
 * same function computed here in plain Java from the block's own parameters. Any mismatch exits
 * with status 1.
 */
public final class DjlConsumer {
    private DjlConsumer() {}

    private static final List<String> FAILURES = new ArrayList<>();

    public static void main(String[] args) {
        System.out.println("djl consumer: engines " + Engine.getAllEngines() + ", default " + Engine.getDefaultEngineName());
        check(Engine.hasEngine("Tangent"), "DJL finds the Tangent engine");
        try (NDManager manager = NDManager.newBaseManager("Tangent")) {
            check("Tangent".equals(manager.getEngine().getEngineName()), "the manager is the Tangent engine's");
            SequentialBlock block = new SequentialBlock().add(Linear.builder().setUnits(3).build()).add(Activation::tanh);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            float[] xs = {0.5f, -1.0f, 0.25f, 2.0f};
            float[] vs = {1.0f, 0.0f, -0.5f, 0.125f};
            NDArray x = manager.create(xs, new Shape(1, 4));
            NDArray v = manager.create(vs, new Shape(1, 4));
            NDJvpResult r = DjlFunctional.jvp(block, new NDList(x), new NDList(v));
            float[] out = r.output().head().toFloatArray();
            float[] jvp = r.jvp().head().toFloatArray();
            System.out.println("  output = " + java.util.Arrays.toString(out));
            System.out.println("  jvp    = " + java.util.Arrays.toString(jvp));

            // The same function in plain Java: y = tanh(x W^T + b), dy = (1 - y^2) * (v W^T).
            Parameter weight = block.getChildren().get(0).getValue().getParameters().get("weight");
            Parameter bias = block.getChildren().get(0).getValue().getParameters().get("bias");
            float[] w = weight.getArray().toFloatArray();   // [3, 4]
            float[] b = bias.getArray().toFloatArray();     // [3]
            for (int o = 0; o < 3; o++) {
                double z = b[o];
                double dz = 0;
                for (int i = 0; i < 4; i++) {
                    z += xs[i] * w[o * 4 + i];
                    dz += vs[i] * w[o * 4 + i];
                }
                double y = Math.tanh(z);
                close(out[o], y, "output[" + o + "]");
                close(jvp[o], (1 - y * y) * dz, "jvp[" + o + "]");
            }
            NDArray predicted = block.forward(new ParameterStore(manager, false), new NDList(x), false).head();
            check(java.util.Arrays.equals(predicted.toFloatArray(), out), "block.forward equals the jvp's output");
        }
        if (!FAILURES.isEmpty()) {
            FAILURES.forEach(f -> System.out.println("FAILED: " + f));
            System.exit(1);
        }
        System.out.println("djl consumer: all checks passed on the class path");
    }

    private static void close(double got, double want, String what) {
        check(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), what + " is " + got + ", expected " + want);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            FAILURES.add(what);
        }
    }
}
