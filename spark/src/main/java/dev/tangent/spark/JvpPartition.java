package dev.tangent.spark;

import dev.tangent.Tensor;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;

/** {@link JvpTransformer}'s work on one partition: one staging pair, one {@link JvpPlan}. */
final class JvpPartition extends BatchedPartition {
    private final InputColumn tangentColumn;
    private final float[] fixedTangent;
    private final int n;
    private final int m;
    private final float[] jvp;
    private final float[] output;
    private Tensor x;
    private Tensor v;
    private MemorySegment xs;
    private MemorySegment vs;
    private JvpPlan<Tensor, Tensor> plan;

    JvpPartition(PartitionSpec spec, StructType inputSchema, InputColumn tangentColumn, float[] fixedTangent,
            Iterator<InternalRow> input) {
        super(spec, inputSchema, input);
        this.tangentColumn = tangentColumn;
        this.fixedTangent = fixedTangent;
        this.n = spec.model().inputSize();
        this.m = spec.model().outputSize();
        this.jvp = new float[batch * m];
        this.output = spec.emitOutput() ? new float[batch * m] : null;
    }

    @Override
    protected void open() {
        xs = NativeRows.staging(arena, batch, n);
        vs = NativeRows.staging(arena, batch, n);
        x = NativeRows.tensor(xs, batch, n);
        v = NativeRows.tensor(vs, batch, n);
        if (fixedTangent != null) { // one direction for every row: written once
            for (int s = 0; s < batch; s++) {
                MemorySegment.copy(fixedTangent, 0, vs, ValueLayout.JAVA_FLOAT, 4L * s * n, n);
            }
        }
        plan = JvpPlan.compile(buildFunction(), x);
        Shapes.checkOutput(spec, plan.apply(x, v).jvp(), batch, m);
    }

    @Override
    protected void decode(InternalRow row, int slot) throws InputColumn.InvalidValue {
        spec.input().read(row, xs, 4L * slot * n, scratch);
        if (tangentColumn != null) {
            try {
                tangentColumn.read(row, vs, 4L * slot * n, scratch);
            } catch (InputColumn.InvalidValue e) {
                throw new ColumnInvalid(tangentColumn, e.getMessage());
            }
        }
    }

    @Override
    protected void pad(int valid) {
        long row = 4L * n;
        for (int s = valid; s < batch; s++) {
            MemorySegment.copy(xs, row * (valid - 1), xs, row * s, row);
            if (tangentColumn != null) {
                MemorySegment.copy(vs, row * (valid - 1), vs, row * s, row);
            }
        }
    }

    @Override
    protected void compute(int valid) {
        JvpResult<Tensor> r = plan.apply(x, v);
        NativeRows.read(r.jvp(), jvp, valid * m);
        if (output != null) {
            NativeRows.read(r.output(), output, valid * m);
        }
    }

    @Override
    protected int resultColumns() {
        return output != null ? 2 : 1;
    }

    @Override
    protected InternalRow placeholders() {
        GenericInternalRow r = new GenericInternalRow(resultColumns());
        for (int c = 0; c < resultColumns(); c++) {
            r.update(c, spec.outputEncoding().placeholder(m));
        }
        return r;
    }

    @Override
    protected void writeResults(UnsafeRow row, int first, int slot) {
        spec.outputEncoding().write(row, first, jvp, slot * m, m);
        if (output != null) {
            spec.outputEncoding().write(row, first + 1, output, slot * m, m);
        }
    }

    @Override
    protected void release() {
        if (plan != null) {
            plan.close();
            plan = null;
        }
    }
}
