package dev.tangent.spark;

import static dev.tangent.spark.SparkTests.assertClose;
import static dev.tangent.spark.SparkTests.assertLiveBytesBackTo;
import static dev.tangent.spark.SparkTests.decode;
import static dev.tangent.spark.SparkTests.features;
import static dev.tangent.spark.SparkTests.tangent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.djl.DjlFunctional;
import dev.tangent.djl.NDJvpResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DJL user's model in the Spark job: a DJL block saved as a {@code .params} file on the driver,
 * its parameters broadcast, rebuilt on Tangent's DJL engine in each partition; every row's jvp (and
 * Jacobian) equals tangent-djl's on the driver.
 */
class DjlBlockModelTest {

    @Test
    void aSavedDjlBlockBroadcastToTheExecutorsGivesTheDriversJvpsAndJacobians(@TempDir Path dir) throws Exception {
        try (DjlBlocks djl = DjlBlocks.saved(dir)) {
            DjlBlockModel loaded = DjlBlockModel.load(DjlBlocks.FACTORY, dir, DjlBlocks.NAME, SparkTests.IN);
            DjlBlockModel fromBlock = DjlBlockModel.of(DjlBlocks.FACTORY, djl.block, SparkTests.IN);
            assertArrayEquals(fromBlock.parameters(), loaded.parameters(), "the .params file's bytes = the block's");
            assertEquals(SparkTests.IN, loaded.inputSize());
            assertEquals(SparkTests.OUT, loaded.outputSize(), "the output size comes from running the block");
            DjlBlockModel model = loaded.broadcast(SparkTests.spark());
            assertTrue(model.isBroadcast());
            long baseline = SparkTests.settledLiveBytes();

            Dataset<Row> data = SparkTests.data(SparkTests.Encoding.BINARY);
            List<Row> rows = new JvpTransformer().setModel(model).setTangentCol("tangent").setOutputCol("output")
                    .setBatchSize(100).transform(data).collectAsList();
            List<Row> jacobians = new JacobianTransformer().setModel(model).setBatchSize(32)
                    .transform(data.where("id < 600")).collectAsList();
            assertLiveBytesBackTo(baseline, "the DJL jobs (parameters, plans and staging of every partition)");

            assertEquals(SparkTests.ROWS, rows.size());
            double worstFormula = 0;
            int checked = 0;
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                long id = r.getLong(0);
                assertEquals(i, id);
                assertEquals(SparkTests.name(id), r.getString(1));
                if (!atAnEdge(id, 100) && id % 9 != 0) {
                    continue; // (the driver's eager jvps are the slow part of this test)
                }
                checked++;
                float[][] ref = djl.reference(features(id), tangent(id));
                assertClose(ref[1], decode(r.getAs("jvp")), "jvp of row " + id);
                assertClose(ref[0], decode(r.getAs("output")), "output of row " + id);
                float[][] formula = djl.formula(features(id), tangent(id));
                worstFormula = Math.max(worstFormula, SparkTests.maxRelErr(formula[1], ref[1]));
                worstFormula = Math.max(worstFormula, SparkTests.maxRelErr(formula[0], ref[0]));
            }
            assertTrue(worstFormula <= 1e-5, "tangent-djl's jvp vs the formula: " + worstFormula);
            assertTrue(checked > 600, "rows checked: " + checked);

            assertEquals(600, jacobians.size());
            for (Row r : jacobians) {
                long id = r.getLong(0);
                float[] jac = new float[SparkTests.OUT * SparkTests.IN];
                List<Object> jr = r.getList(r.fieldIndex("jacobian"));
                for (int i = 0; i < jr.size(); i++) {
                    System.arraycopy(decode(jr.get(i)), 0, jac, i * SparkTests.IN, SparkTests.IN);
                }
                assertClose(djl.formula(features(id), tangent(id))[2], jac, "Jacobian of row " + id);
            }
        }
    }

    /** The README's DJL example as written there, on 300 rows of a 784-256-10 block saved by DJL. */
    @Test
    void theReadmeExample(@TempDir Path modelDir) throws Exception {
        SparkSession spark = SparkTests.spark();
        DjlBlockModel.BlockFactory mlp = () -> new SequentialBlock()                // made again on each executor
                .add(Linear.builder().setUnits(256).build()).add(Activation.tanhBlock())
                .add(Linear.builder().setUnits(10).build());
        try (Model saved = Model.newInstance("mlp", "Tangent")) { // a user's trained model, saved by DJL
            saved.setBlock(mlp.newBlock());
            saved.getBlock().initialize(saved.getNDManager(), DataType.FLOAT32, new Shape(1, 784));
            saved.save(modelDir, "mlp");
            Dataset<Row> df = spark.range(0, 300, 1, 3).selectExpr("id",
                    "transform(sequence(1, 784), j -> cast(sin(id * 0.01 * j) as float)) as features",
                    "transform(sequence(1, 784), j -> cast(cos(id + j) as float)) as direction");

            DjlBlockModel model = DjlBlockModel.load(mlp, modelDir, "mlp", 784) // Model.save's .params, any engine
                    .broadcast(spark);                                           // the bytes, once per executor
            Dataset<Row> out = new JvpTransformer().setModel(model)
                    .setInputCol("features").setTangentCol("direction").setOutputCol("y")
                    .transform(df);

            List<Row> rows = out.orderBy("id").collectAsList();
            assertEquals(300, rows.size());
            for (int i = 0; i < rows.size(); i += 37) {
                Row r = rows.get(i);
                try (NDManager m = saved.getNDManager().newSubManager()) {
                    NDJvpResult want = DjlFunctional.jvp(saved.getBlock(),
                            new NDList(m.create(decode(r.getAs("features")), new Shape(1, 784))),
                            new NDList(m.create(decode(r.getAs("direction")), new Shape(1, 784))));
                    assertClose(want.jvp().singletonOrThrow().toFloatArray(), decode(r.getAs("jvp")), "jvp, row " + i);
                    assertClose(want.output().singletonOrThrow().toFloatArray(), decode(r.getAs("y")), "y, row " + i);
                }
            }
        }
    }

    /** The first or last row of a partition or of a batch of {@code batch} rows in it. */
    static boolean atAnEdge(long id, int batch) {
        long start = 0;
        for (int size : SparkTests.PARTITIONS) {
            if (id >= start && id < start + size) {
                long k = id - start;
                return k % batch == 0 || k % batch == batch - 1 || k == size - 1;
            }
            start += size;
        }
        throw new IllegalArgumentException("no row " + id);
    }

    @Test
    void theModelSerializesAsFactoryAndBytesAndRefusesParametersThatDoNotFit(@TempDir Path dir) throws Exception {
        try (DjlBlocks djl = DjlBlocks.saved(dir)) {
            DjlBlockModel model = DjlBlockModel.of(DjlBlocks.FACTORY, djl.block, SparkTests.IN);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(model);
            }
            assertTrue(bytes.size() < model.parameters().length + 4096, "task size: " + bytes.size());
            DjlBlockModel back;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                back = (DjlBlockModel) in.readObject();
            }
            float[] x = features(7);
            long before = Tangent.liveBytes();
            try (Scope s = Scope.open()) {
                Function<Tensor, Tensor> f = back.build();
                assertClose(djl.reference(x, tangent(7))[0], f.apply(Tensor.of(x, 1, x.length)).toFloatArray(),
                        "f after a Java round trip");
                ((AutoCloseable) f).close();
            }
            assertEquals(before, Tangent.liveBytes(), "the partition's scope frees the parameters");

            // another structure: a third layer (DJL takes the shapes from the bytes, so only the sequence of
            // layers and parameters can disagree)
            DjlBlockModel.BlockFactory other = () -> DjlBlocks.FACTORY.newBlock() instanceof SequentialBlock b
                    ? b.add(Activation.tanhBlock()).add(Linear.builder().setUnits(SparkTests.OUT).build()) : null;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DjlBlockModel.ofParameters(other, model.parameters(), SparkTests.IN));
            assertTrue(e.getMessage().startsWith("DjlBlockModel: the parameters (" + model.parameters().length
                    + " bytes) do not fit the factory's block SequentialBlock"), e.getMessage());
            byte[] cut = Arrays.copyOf(model.parameters(), model.parameters().length / 2);
            e = assertThrows(IllegalArgumentException.class,
                    () -> DjlBlockModel.ofParameters(DjlBlocks.FACTORY, cut, SparkTests.IN));
            assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> DjlBlockModel.ofParameters(DjlBlocks.FACTORY, model.parameters(), SparkTests.IN + 1));
            assertTrue(e.getMessage().startsWith("DjlBlockModel: the block fails on a [1, 25] input"), e.getMessage());
            assertEquals(before, Tangent.liveBytes(), "the failed checks freed what they loaded");
        }
    }
}
