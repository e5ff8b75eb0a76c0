package dev.tangent.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import dev.tangent.djl.DjlFunctional;
import dev.tangent.djl.NDJvpResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A DJL block for the Spark tests: Linear(16), tanh, Linear({@link SparkTests#OUT}) over
 * {@link SparkTests#IN} inputs, with seeded parameters, saved as a DJL model on the driver; and
 * its references: tangent-djl's {@link DjlFunctional#jvp} on the driver's block, checked against
 * the formula computed in Java from the parameters' values.
 */
final class DjlBlocks implements AutoCloseable {
    static final int HIDDEN = 16;
    static final String NAME = "spark-djl-mlp";
    static final DjlBlockModel.BlockFactory FACTORY = () -> new SequentialBlock()
            .add(Linear.builder().setUnits(HIDDEN).build())
            .add(Activation.tanhBlock())
            .add(Linear.builder().setUnits(SparkTests.OUT).build());

    /** The driver's model (Tangent engine), its block and the parameters' values. */
    final Model model;
    final Block block;
    private final float[] w1;
    private final float[] b1;
    private final float[] w2;
    private final float[] b2;

    private DjlBlocks(Model model) {
        this.model = model;
        this.block = model.getBlock();
        List<float[]> p = new ArrayList<>();
        for (Pair<String, Parameter> e : block.getParameters()) {
            p.add(e.getValue().getArray().toFloatArray());
        }
        w1 = p.get(0); // [HIDDEN, IN]: DJL's Linear computes x·Wᵀ + b
        b1 = p.get(1);
        w2 = p.get(2); // [OUT, HIDDEN]
        b2 = p.get(3);
        assertArrayEquals(new int[] {HIDDEN * SparkTests.IN, HIDDEN, SparkTests.OUT * HIDDEN, SparkTests.OUT},
                new int[] {w1.length, b1.length, w2.length, b2.length});
    }

    /** The block initialized on Tangent's DJL engine, N(0, 0.4²) parameters, saved into {@code dir}. */
    static DjlBlocks saved(Path dir) throws Exception {
        Model model = Model.newInstance(NAME, Device.cpu(), "Tangent");
        Block block = FACTORY.newBlock();
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, SparkTests.IN));
        Random r = new Random(17);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[Math.toIntExact(a.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.4);
            }
            a.set(v);
        }
        model.save(dir, NAME);
        return new DjlBlocks(model);
    }

    /** tangent-djl's jvp of the driver's block at one row ([1, IN]), as [output, jvp]. */
    float[][] reference(float[] x, float[] v) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDArray xs = m.create(x, new Shape(1, x.length));
            NDArray vs = m.create(v, new Shape(1, v.length));
            NDJvpResult r = DjlFunctional.jvp(block, new NDList(xs), new NDList(vs));
            return new float[][] {r.output().singletonOrThrow().toFloatArray(), r.jvp().singletonOrThrow().toFloatArray()};
        }
    }

    /** The formula in Java (double): [f(x), J·v, J row-major (OUT x IN)]. */
    float[][] formula(float[] x, float[] v) {
        int n = SparkTests.IN;
        int m = SparkTests.OUT;
        double[] a = new double[HIDDEN];
        double[] da = new double[HIDDEN];
        for (int k = 0; k < HIDDEN; k++) {
            double h = b1[k];
            double dh = 0;
            for (int j = 0; j < n; j++) {
                h += w1[k * n + j] * (double) x[j];
                dh += w1[k * n + j] * (double) v[j];
            }
            a[k] = Math.tanh(h);
            da[k] = (1 - a[k] * a[k]) * dh;
        }
        float[] y = new float[m];
        float[] dy = new float[m];
        float[] jac = new float[m * n];
        for (int i = 0; i < m; i++) {
            double s = b2[i];
            double ds = 0;
            for (int k = 0; k < HIDDEN; k++) {
                s += w2[i * HIDDEN + k] * a[k];
                ds += w2[i * HIDDEN + k] * da[k];
            }
            y[i] = (float) s;
            dy[i] = (float) ds;
            for (int j = 0; j < n; j++) {
                double e = 0;
                for (int k = 0; k < HIDDEN; k++) {
                    e += w2[i * HIDDEN + k] * (1 - a[k] * a[k]) * w1[k * n + j];
                }
                jac[i * n + j] = (float) e;
            }
        }
        return new float[][] {y, dy, jac};
    }

    @Override
    public void close() {
        model.close();
    }
}
