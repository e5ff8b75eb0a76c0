package dev.tangent.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Appends {@code J_f(x)·v} (and, if asked, {@code f(x)}) to every row of a Dataset: the jvp of a
 * {@link TangentModel} at the row's input vector {@code x}, along the row's tangent {@code v}
 * (from a column) or along one fixed direction.
 *
 * <pre>{@code
 * Dataset<Row> out = new JvpTransformer()
 *         .setModel(Mlp.random(7, Mlp.Activation.TANH, 784, 256, 10))
 *         .setInputCol("features")       // array<float>, binary float32 LE, or an ML Vector
 *         .setTangentCol("direction")    // or .setTangent(float[]) for one direction
 *         .setJvpCol("jvp").setOutputCol("y")
 *         .transform(df);
 * }</pre>
 *
 * <p>Each partition builds the function once, compiles one {@link dev.tangent.functional.JvpPlan}
 * for {@code batchSize} rows and replays it batch after batch; the last batch is padded with copies
 * of its last row, whose results are dropped. Rows keep their order and every input column.
 */
public final class JvpTransformer extends TangentTransformer {
    private static final long serialVersionUID = 1L;

    private final Param<String> tangentCol;
    private final DoubleArrayParam tangent;
    private final Param<String> jvpCol;

    public JvpTransformer() {
        this(Identifiable.randomUID("tangentJvp"));
    }

    public JvpTransformer(String uid) {
        super(uid, 256);
        tangentCol = new Param<>(this, "tangentCol", "per-row tangent vectors v (same encodings as inputCol)");
        tangent = new DoubleArrayParam(this, "tangent", "one tangent direction v for every row (float32)");
        jvpCol = new Param<>(this, "jvpCol", "name of the appended J·v column");
        setDefault(jvpCol, "jvp");
    }

    public Param<String> tangentCol() {
        return tangentCol;
    }

    public DoubleArrayParam tangent() {
        return tangent;
    }

    public Param<String> jvpCol() {
        return jvpCol;
    }

    public String getTangentCol() {
        return isDefined(tangentCol) ? $(tangentCol) : null;
    }

    /** The fixed direction, or null when the tangent comes from a column. */
    public double[] getTangent() {
        return isDefined(tangent) ? $(tangent) : null;
    }

    public String getJvpCol() {
        return $(jvpCol);
    }

    public JvpTransformer setModel(TangentModel value) {
        set(model(), value);
        return this;
    }

    public JvpTransformer setInputCol(String value) {
        set(inputCol(), value);
        return this;
    }

    public JvpTransformer setTangentCol(String value) {
        set(tangentCol, value);
        clear(tangent);
        return this;
    }

    /** One direction for every row (the values are used as float32). */
    public JvpTransformer setTangent(double[] value) {
        set(tangent, value.clone());
        clear(tangentCol);
        return this;
    }

    /** One direction for every row. */
    public JvpTransformer setTangent(float[] value) {
        double[] d = new double[value.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = value[i];
        }
        return setTangent(d);
    }

    public JvpTransformer setJvpCol(String value) {
        set(jvpCol, value);
        return this;
    }

    public JvpTransformer setOutputCol(String value) {
        set(outputCol(), value);
        return this;
    }

    /** 'array' (array&lt;float&gt;, the default), 'binary' (float32 little-endian) or 'vector' (ML Vector). */
    public JvpTransformer setOutputEncoding(String value) {
        set(outputEncoding(), value);
        return this;
    }

    public JvpTransformer setBatchSize(int value) {
        set(batchSize(), value);
        return this;
    }

    public JvpTransformer setThreadsPerTask(int value) {
        set(threadsPerTask(), value);
        return this;
    }

    public JvpTransformer setHandleInvalid(String value) {
        set(handleInvalid(), value);
        return this;
    }

    public JvpTransformer setIdCol(String value) {
        set(idCol(), value);
        return this;
    }

    @Override
    protected void checkParams(StructType input) {
        String col = getTangentCol();
        double[] fixed = getTangent();
        if ((col == null) == (fixed == null)) {
            throw new IllegalArgumentException(who() + ": set either tangentCol (a tangent per row) or tangent (one"
                    + " direction for every row)");
        }
        if (col != null) {
            InputColumn.field(input, col, "tangentCol", who());
        } else if (fixed.length != getModel().inputSize()) {
            throw new IllegalArgumentException(who() + ": tangent has " + fixed.length + " values but the model takes "
                    + getModel().inputSize());
        }
    }

    @Override
    protected List<StructField> resultFields(StructType input, boolean nullable) {
        OutputColumn enc = OutputColumn.of(getOutputEncoding());
        List<StructField> r = new ArrayList<>();
        r.add(field(getJvpCol(), enc.dataType(), nullable));
        if (getOutputCol() != null) {
            if (getOutputCol().equals(getJvpCol())) {
                throw new IllegalArgumentException(who() + ": outputCol and jvpCol are both '" + getJvpCol() + "'");
            }
            r.add(field(getOutputCol(), enc.dataType(), nullable));
        }
        return r;
    }

    @Override
    protected FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> partitionFunction(PartitionSpec spec,
            StructType input) {
        String col = getTangentCol();
        InputColumn tangentColumn = col == null ? null
                : InputColumn.of(input, col, "tangentCol", spec.model().inputSize(), who());
        float[] fixed = null;
        if (col == null) {
            double[] d = getTangent();
            fixed = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                fixed[i] = (float) d[i];
            }
        }
        return partitions(spec, input, tangentColumn, fixed);
    }

    /** Static: the function captures the spec and the tangent, not the transformer. */
    private static FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> partitions(PartitionSpec spec,
            StructType input, InputColumn tangentColumn, float[] fixed) {
        return rows -> new JvpPartition(spec, input, tangentColumn, fixed, rows);
    }

    @Override
    public JvpTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
