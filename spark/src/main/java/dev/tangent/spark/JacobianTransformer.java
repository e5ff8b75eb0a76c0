package dev.tangent.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Appends each row's full Jacobian {@code J_f(x)} as {@code array<array<float>>}: m rows (one per
 * output) of n values (one per input), {@code jacobian[i][j] = ∂f_i/∂x_j}. It takes n jvps
 * (forward mode) or m vjps (reverse mode) per row, batched; {@code mode = 'auto'} (the default)
 * picks the cheaper one: forward when n ≤ m.
 */
public final class JacobianTransformer extends TangentTransformer {
    private static final long serialVersionUID = 1L;

    private final Param<String> jacobianCol;
    private final Param<String> mode;

    public JacobianTransformer() {
        this(Identifiable.randomUID("tangentJacobian"));
    }

    public JacobianTransformer(String uid) {
        // a batch of B rows runs as B·min(n, m) rows: a smaller default than the jvp's 256
        super(uid, 32);
        jacobianCol = new Param<>(this, "jacobianCol", "name of the appended Jacobian column");
        mode = new Param<>(this, "mode", "'forward' (n jvps a row), 'reverse' (m vjps a row) or 'auto' (the fewer)",
                ParamValidators.inArray(new String[] {"auto", "forward", "reverse"}));
        setDefault(jacobianCol, "jacobian");
        setDefault(mode, "auto");
    }

    public Param<String> jacobianCol() {
        return jacobianCol;
    }

    public Param<String> mode() {
        return mode;
    }

    public String getJacobianCol() {
        return $(jacobianCol);
    }

    public String getMode() {
        return $(mode);
    }

    /** True when rows are computed by jvps (forward mode), given the mode and the model's sizes. */
    public boolean usesForwardMode() {
        return switch (getMode().toLowerCase(Locale.ROOT)) {
            case "forward" -> true;
            case "reverse" -> false;
            default -> getModel().inputSize() <= getModel().outputSize();
        };
    }

    public JacobianTransformer setModel(TangentModel value) {
        set(model(), value);
        return this;
    }

    public JacobianTransformer setInputCol(String value) {
        set(inputCol(), value);
        return this;
    }

    public JacobianTransformer setJacobianCol(String value) {
        set(jacobianCol, value);
        return this;
    }

    public JacobianTransformer setMode(String value) {
        set(mode, value);
        return this;
    }

    public JacobianTransformer setOutputCol(String value) {
        set(outputCol(), value);
        return this;
    }

    /** Encoding of the f(x) column; the Jacobian is always array&lt;array&lt;float&gt;&gt;. */
    public JacobianTransformer setOutputEncoding(String value) {
        set(outputEncoding(), value);
        return this;
    }

    public JacobianTransformer setBatchSize(int value) {
        set(batchSize(), value);
        return this;
    }

    public JacobianTransformer setThreadsPerTask(int value) {
        set(threadsPerTask(), value);
        return this;
    }

    public JacobianTransformer setHandleInvalid(String value) {
        set(handleInvalid(), value);
        return this;
    }

    public JacobianTransformer setIdCol(String value) {
        set(idCol(), value);
        return this;
    }

    @Override
    protected void checkParams(StructType input) {
        long rows = (long) getBatchSize() * Math.min(getModel().inputSize(), getModel().outputSize());
        long values = rows * Math.max(getModel().inputSize(), getModel().outputSize());
        if (values > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException(who() + ": a batch of " + getBatchSize() + " rows needs " + values
                    + " staging values; lower batchSize");
        }
    }

    @Override
    protected List<StructField> resultFields(StructType input, boolean nullable) {
        List<StructField> r = new ArrayList<>();
        r.add(field(getJacobianCol(), DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false),
                false), nullable));
        if (getOutputCol() != null) {
            if (getOutputCol().equals(getJacobianCol())) {
                throw new IllegalArgumentException(who() + ": outputCol and jacobianCol are both '" + getJacobianCol()
                        + "'");
            }
            r.add(field(getOutputCol(), OutputColumn.of(getOutputEncoding()).dataType(), nullable));
        }
        return r;
    }

    @Override
    protected FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> partitionFunction(PartitionSpec spec,
            StructType input) {
        return partitions(spec, input, usesForwardMode());
    }

    private static FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> partitions(PartitionSpec spec,
            StructType input, boolean forward) {
        return rows -> new JacobianPartition(spec, input, forward, rows);
    }

    @Override
    public JacobianTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
