package dev.tangent.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link JvpTransformer} and {@link JacobianTransformer} share: the model, the input column,
 * batching, threads, invalid-row handling, and the run over internal rows. Every input column
 * passes through unchanged; result columns are appended in a fixed order.
 */
public abstract class TangentTransformer extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<TangentModel> model;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> outputEncoding;
    private final IntParam batchSize;
    private final IntParam threadsPerTask;
    private final Param<String> handleInvalid;
    private final Param<String> idCol;

    protected TangentTransformer(String uid, int defaultBatchSize) {
        this.uid = uid;
        model = new Param<>(this, "model", "the function's description (TangentModel), built on each partition");
        inputCol = new Param<>(this, "inputCol", "input vectors: " + InputColumn.SUPPORTED);
        outputCol = new Param<>(this, "outputCol", "if set, also append f(x) under this name");
        outputEncoding = new Param<>(this, "outputEncoding", "result columns as " + OutputColumn.NAMES,
                ParamValidators.inArray(new String[] {"array", "binary", "vector"}));
        batchSize = new IntParam(this, "batchSize", "rows per native call (the last batch of a partition is padded)",
                ParamValidators.gtEq(1));
        threadsPerTask = new IntParam(this, "threadsPerTask",
                "threads per native kernel in each task (Tangent.setNumThreads, process-wide on the executor)",
                ParamValidators.gtEq(1));
        handleInvalid = new Param<>(this, "handleInvalid",
                "rows whose vector is null or of the wrong length: 'error' (fail, naming the row), 'skip' (drop them)"
                        + " or 'keep' (null results)",
                ParamValidators.inArray(new String[] {"error", "skip", "keep"}));
        idCol = new Param<>(this, "idCol", "a column whose value error messages quote to identify a row");
        setDefault(inputCol, "features");
        setDefault(outputEncoding, "array");
        setDefault(batchSize, defaultBatchSize);
        setDefault(threadsPerTask, 1);
        setDefault(handleInvalid, "error");
    }

    @Override
    public String uid() {
        return uid;
    }

    // -------------------------------------------------------------- parameters (Spark ML finds them by these methods)

    public Param<TangentModel> model() {
        return model;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> outputEncoding() {
        return outputEncoding;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam threadsPerTask() {
        return threadsPerTask;
    }

    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public TangentModel getModel() {
        return $(model);
    }

    public String getInputCol() {
        return $(inputCol);
    }

    /** The name of the f(x) column, or null when it is not appended. */
    public String getOutputCol() {
        return isDefined(outputCol) ? $(outputCol) : null;
    }

    public String getOutputEncoding() {
        return $(outputEncoding);
    }

    public int getBatchSize() {
        return (Integer) $(batchSize);
    }

    public int getThreadsPerTask() {
        return (Integer) $(threadsPerTask);
    }

    public String getHandleInvalid() {
        return $(handleInvalid);
    }

    public String getIdCol() {
        return isDefined(idCol) ? $(idCol) : null;
    }

    // -------------------------------------------------------------- what subclasses provide

    /** The name used in messages: the class's simple name. */
    protected final String who() {
        return getClass().getSimpleName();
    }

    /** The appended columns (name and type), in order. */
    protected abstract List<StructField> resultFields(StructType input, boolean nullable);

    /** Checks the subclass's parameters against the input schema. */
    protected abstract void checkParams(StructType input);

    /** The per-partition function: serializable, capturing only {@code spec} and plain values. */
    protected abstract FlatMapFunction<java.util.Iterator<InternalRow>, InternalRow> partitionFunction(
            PartitionSpec spec, StructType input);

    // -------------------------------------------------------------- the run

    @Override
    public StructType transformSchema(StructType schema) {
        if (!isDefined(model)) {
            throw new IllegalArgumentException(who() + ": set the model (a TangentModel) first");
        }
        InputColumn.field(schema, getInputCol(), "inputCol", who());
        if (getIdCol() != null && !Arrays.asList(schema.fieldNames()).contains(getIdCol())) {
            throw new IllegalArgumentException(who() + ": idCol '" + getIdCol() + "' is not a column of "
                    + schema.simpleString());
        }
        checkParams(schema);
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        for (StructField f : resultFields(schema, PartitionSpec.Invalid.of(getHandleInvalid()) == PartitionSpec.Invalid.KEEP)) {
            for (StructField g : fields) {
                if (g.name().equals(f.name())) {
                    throw new IllegalArgumentException(who() + ": output column '" + f.name()
                            + "' already exists in " + schema.simpleString() + "; choose another name");
                }
            }
            fields.add(f);
        }
        return new StructType(fields.toArray(new StructField[0]));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        PartitionSpec spec = spec(in, out);
        RDD<InternalRow> rows = SparkRows.of(dataset, who());
        RDD<InternalRow> result = rows.toJavaRDD().mapPartitions(partitionFunction(spec, in)).rdd();
        return SparkRows.frame(dataset, result, out, who());
    }

    private PartitionSpec spec(StructType in, StructType out) {
        TangentModel m = getModel();
        String id = getIdCol();
        int idOrdinal = id != null ? in.fieldIndex(id) : -1;
        DataType idType = id != null ? in.apply(id).dataType() : null;
        return new PartitionSpec(who(), m, InputColumn.of(in, getInputCol(), "inputCol", m.inputSize(), who()),
                getBatchSize(), getThreadsPerTask(), PartitionSpec.Invalid.of(getHandleInvalid()), idOrdinal, id,
                idType, OutputColumn.of(getOutputEncoding()), getOutputCol() != null, out);
    }

    /** A result field. */
    protected static StructField field(String name, DataType type, boolean nullable) {
        return new StructField(name, type, nullable, Metadata.empty());
    }
}
