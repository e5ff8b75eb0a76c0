package dev.tangent.spark;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.VjpResult;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.catalyst.util.GenericArrayData;

/**
 * {@link JacobianTransformer}'s work on one partition. A batch of B rows becomes one call with
 * B·d rows, d = the number of directions: forward mode repeats each row n times with the basis
 * tangents e_1..e_n (one compiled {@link JvpPlan}, J's columns); reverse mode repeats it m times
 * with the basis cotangents (one vjp, J's rows). Row-wise functions keep the rows independent.
 */
final class JacobianPartition extends BatchedPartition {
    private final boolean forward;
    private final int n;
    private final int m;
    private final int d;
    /** The batch's decoded inputs, [batch, n], on the heap. */
    private final float[] rows;
    private final MemorySegment rowsSeg;
    /** J for each row, [batch, m, n]. */
    private final float[] jac;
    private final float[] output;
    private final float[] results;
    private Function<Tensor, Tensor> f;
    private Tensor repeated;
    private MemorySegment repeatedSeg;
    private Tensor basis;
    private JvpPlan<Tensor, Tensor> plan;
    private float[] repeatedHeap;

    JacobianPartition(PartitionSpec spec, StructType inputSchema, boolean forward, Iterator<InternalRow> input) {
        super(spec, inputSchema, input);
        this.forward = forward;
        this.n = spec.model().inputSize();
        this.m = spec.model().outputSize();
        this.d = forward ? n : m;
        this.rows = new float[batch * n];
        this.rowsSeg = MemorySegment.ofArray(rows);
        this.jac = new float[batch * m * n];
        this.output = spec.emitOutput() ? new float[batch * m] : null;
        this.results = new float[batch * d * (forward ? m : n)];
    }

    @Override
    protected void open() {
        f = buildFunction();
        int width = forward ? n : m;
        float[] eye = new float[batch * d * width]; // row (b, k) holds e_k
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < d; k++) {
                eye[(b * d + k) * width + k] = 1;
            }
        }
        basis = Tensor.of(eye, (long) batch * d, width);
        if (forward) {
            repeatedSeg = NativeRows.staging(arena, (long) batch * d, n);
            repeated = NativeRows.tensor(repeatedSeg, (long) batch * d, n);
            plan = JvpPlan.compile(f, repeated);
            Shapes.checkOutput(spec, plan.apply(repeated, basis).jvp(), batch * d, m);
        } else {
            repeatedHeap = new float[batch * d * n];
        }
    }

    @Override
    protected void decode(InternalRow row, int slot) throws InputColumn.InvalidValue {
        spec.input().read(row, rowsSeg, 4L * slot * n, scratch);
    }

    @Override
    protected void pad(int valid) {
        for (int s = valid; s < batch; s++) {
            System.arraycopy(rows, (valid - 1) * n, rows, s * n, n);
        }
    }

    @Override
    protected void compute(int valid) {
        if (forward) {
            for (int b = 0; b < batch; b++) {
                for (int k = 0; k < d; k++) {
                    MemorySegment.copy(rows, b * n, repeatedSeg, ValueLayout.JAVA_FLOAT, 4L * (b * d + k) * n, n);
                }
            }
            JvpResult<Tensor> r = plan.apply(repeated, basis);
            NativeRows.read(r.jvp(), results, valid * d * m);
            // jvp row (b, j) is column j of J_b: J_b[i][j] = results[(b*n + j)*m + i]
            for (int b = 0; b < valid; b++) {
                for (int j = 0; j < n; j++) {
                    int src = (b * n + j) * m;
                    for (int i = 0; i < m; i++) {
                        jac[(b * m + i) * n + j] = results[src + i];
                    }
                }
            }
            if (output != null) {
                readOutputs(r.output(), valid);
            }
            return;
        }
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < d; k++) {
                System.arraycopy(rows, b * n, repeatedHeap, (b * d + k) * n, n);
            }
        }
        try (Scope s = Scope.open()) { // eager reverse mode allocates: free it all per batch
            Tensor x = Tensor.of(repeatedHeap, (long) batch * d, n);
            VjpResult<Tensor, Tensor> r = Functional.vjp(f, x, basis);
            Shapes.checkOutput(spec, r.output(), batch * d, m);
            // vjp row (b, i) is row i of J_b
            NativeRows.read(r.vjp(), jac, valid * m * n);
            if (output != null) {
                readOutputs(r.output(), valid);
            }
        }
    }

    /** f(x_b) is in every one of row b's d repeats; take the first. */
    private void readOutputs(Tensor out, int valid) {
        float[] all = new float[valid * d * m];
        NativeRows.read(out, all, all.length);
        for (int b = 0; b < valid; b++) {
            System.arraycopy(all, b * d * m, output, b * m, m);
        }
    }

    @Override
    protected int resultColumns() {
        return output != null ? 2 : 1;
    }

    @Override
    protected InternalRow placeholders() {
        GenericInternalRow r = new GenericInternalRow(resultColumns());
        Object[] jrows = new Object[m];
        for (int i = 0; i < m; i++) {
            jrows[i] = UnsafeArrayData.fromPrimitiveArray(new float[n]);
        }
        r.update(0, new GenericArrayData(jrows));
        if (output != null) {
            r.update(1, spec.outputEncoding().placeholder(m));
        }
        return r;
    }

    @Override
    protected void writeResults(UnsafeRow row, int first, int slot) {
        UnsafeArrayData jrows = row.getArray(first);
        for (int i = 0; i < m; i++) {
            OutputColumn.writeFloats(jrows.getArray(i), jac, (slot * m + i) * n, n);
        }
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
