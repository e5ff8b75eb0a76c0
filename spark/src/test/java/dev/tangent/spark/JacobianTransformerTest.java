package dev.tangent.spark;

import static dev.tangent.spark.SparkTests.features;
import static dev.tangent.spark.SparkTests.assertClose;
import static dev.tangent.spark.SparkTests.assertLiveBytesBackTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tangent;
import dev.tangent.functional.Functional;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class JacobianTransformerTest {

    /** Functional.jacobian at one row: [m, n] row-major. */
    private static float[] reference(TangentModel model, float[] x) {
        try (Scope s = Scope.open()) {
            Tensor j = (Tensor) Functional.jacobian(model.build(), Tensor.of(x, 1, x.length));
            return j.toFloatArray(); // [1, m, 1, n]
        }
    }

    private static float[] flatten(Row r, String col) {
        List<Object> rows = r.getList(r.fieldIndex(col));
        float[] all = null;
        int k = 0;
        for (Object o : rows) {
            float[] row = SparkTests.decode(o);
            if (all == null) {
                all = new float[rows.size() * row.length];
            }
            System.arraycopy(row, 0, all, k, row.length);
            k += row.length;
        }
        return all;
    }

    @Test
    void forwardAndReverseModesEqualFunctionalJacobianAtEveryRow() throws Exception {
        Dataset<Row> in = SparkTests.data(SparkTests.Encoding.VECTOR).limit(600);
        TangentModel wide = SparkTests.MODEL;                                   // 24 -> 5: reverse is cheaper
        TangentModel tall = Mlp.random(3, Mlp.Activation.SIGMOID, SparkTests.IN, 16, 40); // 24 -> 40: forward
        assertFalse(new JacobianTransformer().setModel(wide).usesForwardMode());
        assertTrue(new JacobianTransformer().setModel(tall).usesForwardMode());
        long baseline = SparkTests.settledLiveBytes();
        for (TangentModel model : new TangentModel[] {wide, tall}) {
            int m = model.outputSize();
            List<Row> auto = new JacobianTransformer().setModel(model).setOutputCol("y").setBatchSize(7)
                    .transform(in).collectAsList();
            String other = new JacobianTransformer().setModel(model).usesForwardMode() ? "reverse" : "forward";
            List<Row> flipped = new JacobianTransformer().setModel(model).setMode(other).setBatchSize(16)
                    .transform(in).collectAsList();
            assertEquals(600, auto.size());
            for (int i = 0; i < auto.size(); i++) {
                Row r = auto.get(i);
                long id = r.getLong(0);
                float[] expected = reference(model, features(id));
                assertEquals(m, r.getList(r.fieldIndex("jacobian")).size());
                assertClose(expected, flatten(r, "jacobian"), "J of row " + id + " (" + model + ")");
                assertClose(expected, flatten(flipped.get(i), "jacobian"), "J of row " + id + " (" + other + ")");
                assertClose(SparkTests.reference(model, features(id), SparkTests.tangent(id))[0],
                        SparkTests.decode(r.getAs("y")), "f of row " + id);
            }
        }
        assertLiveBytesBackTo(baseline, "the Jacobian jobs");
    }
}
