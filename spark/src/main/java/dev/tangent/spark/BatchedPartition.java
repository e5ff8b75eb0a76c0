package dev.tangent.spark;

import dev.tangent.Scope;
import dev.tangent.Tangent;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's rows, computed a batch at a time: rows are decoded into staging memory, the
 * batch (its last one padded with copies of its last row) runs through the function, and each
 * input row comes back with the result columns appended, in input order.
 *
 * <p>Each buffered row is written once, as its output row: the input's columns and zero-filled
 * result columns of the right size ({@link OutputRows}, into buffers reused batch after batch);
 * the results are then written over the zeros in place.
 *
 * <p>Native resources (one {@link Scope} holding staging tensors and weights, one plan) are
 * opened on the first row and closed when the input is exhausted, and in any case by a task
 * completion listener: a partition that fails or is cut short (a {@code limit}) frees them too.
 */
abstract class BatchedPartition implements Iterator<InternalRow>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchedPartition.class);
    /** Rows (valid and invalid) held before a batch is flushed, whatever the number of valid ones. */
    private static final int PENDING_FACTOR = 4;

    protected final PartitionSpec spec;
    protected final int batch;
    /** Reused between rows by the column readers. */
    protected final double[] scratch;
    private final Iterator<InternalRow> input;
    private final int partition;
    /** Output rows of the batch in input order, each over its own reused buffer. */
    private final UnsafeRow[] pending;
    private final StructType inputSchema;
    private OutputRows rows;
    private int firstResult;
    private final int[] slots;
    private int pendingCount;
    private int emitted;
    private long rowsRead;
    private boolean opened;
    private boolean closed;
    private Scope scope;
    private Thread owner;
    /** The model's function, closed with the partition when it is {@link AutoCloseable}. */
    private java.util.function.Function<dev.tangent.Tensor, dev.tangent.Tensor> function;
    /** Staging memory this partition owns (wrapped as tensors, see NativeRows); closed with the scope. */
    protected java.lang.foreign.Arena arena;

    BatchedPartition(PartitionSpec spec, StructType inputSchema, Iterator<InternalRow> input) {
        this.spec = spec;
        this.batch = spec.batchSize();
        this.input = input;
        TaskContext ctx = TaskContext.get();
        this.partition = ctx != null ? ctx.partitionId() : -1;
        this.inputSchema = inputSchema;
        this.pending = new UnsafeRow[batch * PENDING_FACTOR];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = new UnsafeRow(spec.outputSchema().size());
        }
        this.slots = new int[pending.length];
        this.scratch = new double[spec.model().inputSize()];
    }

    /** Allocates staging tensors and compiles; called inside the partition's scope. */
    protected abstract void open();

    /**
     * The model's function, built once per partition (in {@link #open()}, inside the partition's
     * scope); closed after {@link #release()} when it is {@link AutoCloseable}.
     */
    protected final java.util.function.Function<dev.tangent.Tensor, dev.tangent.Tensor> buildFunction() {
        function = spec.model().build();
        return function;
    }

    /** Decodes {@code row}'s input (and tangent) into batch slot {@code slot}. */
    protected abstract void decode(InternalRow row, int slot) throws InputColumn.InvalidValue;

    /** Fills slots {@code valid..batch-1} with copies of slot {@code valid-1}. */
    protected abstract void pad(int valid);

    /** Runs the batch; its results land in Java buffers. */
    protected abstract void compute(int valid);

    /** How many columns are appended. */
    protected abstract int resultColumns();

    /** The appended columns holding zeros of the results' sizes (see {@link OutputColumn#placeholder}). */
    protected abstract InternalRow placeholders();

    /** Writes the results of batch slot {@code slot} over the placeholders at {@code row[first..]}. */
    protected abstract void writeResults(UnsafeRow row, int first, int slot);

    /** Frees what {@link #open()} made outside the scope (plans); the scope is closed afterwards. */
    protected abstract void release();

    @Override
    public boolean hasNext() {
        if (emitted < pendingCount) {
            return true;
        }
        if (closed) {
            return false;
        }
        fill();
        if (emitted < pendingCount) {
            return true;
        }
        close();
        return false;
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        // The row is overwritten by the next batch: Spark's consumers copy what they keep.
        return pending[emitted++];
    }

    private void fill() {
        pendingCount = 0;
        emitted = 0;
        int valid = 0;
        while (valid < batch && pendingCount < pending.length && input.hasNext()) {
            InternalRow row = input.next();
            long index = rowsRead++;
            if (!opened) {
                openResources();
            }
            int slot = valid;
            try {
                decode(row, slot);
                valid++;
            } catch (InputColumn.InvalidValue e) {
                InputColumn col = invalidColumn(e);
                switch (spec.invalid()) {
                    case ERROR -> throw new IllegalArgumentException(where(col, row, index) + ": " + e.getMessage()
                            + " (set handleInvalid to 'skip' or 'keep' to drop such rows or give them null results)");
                    case SKIP -> {
                        continue;
                    }
                    case KEEP -> slot = -1;
                }
            }
            rows.write(row, pending[pendingCount]);
            slots[pendingCount++] = slot;
        }
        if (valid > 0) {
            if (valid < batch) {
                pad(valid);
            }
            compute(valid);
        }
        for (int i = 0; i < pendingCount; i++) {
            if (slots[i] >= 0) {
                writeResults(pending[i], firstResult, slots[i]);
            } else {
                for (int c = firstResult; c < firstResult + resultColumns(); c++) {
                    pending[i].setNullAt(c);
                }
            }
        }
        if (!input.hasNext()) {
            close(); // the results are in the output rows now: free native memory before they go out
        }
    }

    /** The column a failure is about: decoders throw {@link ColumnInvalid} when it is not the input. */
    private InputColumn invalidColumn(InputColumn.InvalidValue e) {
        return e instanceof ColumnInvalid c ? c.column : spec.input();
    }

    private String where(InputColumn col, InternalRow row, long index) {
        StringBuilder s = new StringBuilder(spec.who()).append(": column '").append(col.name).append("' (")
                .append(col.encoding.label).append(") in row ").append(index).append(" of partition ")
                .append(partition);
        if (spec.idOrdinal() >= 0) {
            s.append(" (").append(spec.idName()).append(" = ")
                    .append(InputColumn.describe(row, spec.idOrdinal(), spec.idType())).append(')');
        }
        return s.toString();
    }

    private void openResources() {
        opened = true;
        TaskContext ctx = TaskContext.get();
        if (ctx != null) {
            ctx.addTaskCompletionListener((TaskCompletionListener) c -> close());
        }
        ExecutorInfo.logOnce(spec.threads());
        Tangent.setNumThreads(spec.threads());
        // (not in the constructor: the subclass's fields are set by now)
        rows = new OutputRows(inputSchema, spec.outputSchema(), placeholders());
        firstResult = spec.outputSchema().size() - resultColumns();
        owner = Thread.currentThread();
        scope = Scope.open();
        arena = java.lang.foreign.Arena.ofShared();
        try {
            open();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Frees the plan and the scope; idempotent, safe from the completion listener. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!opened) {
            return;
        }
        try {
            try {
                release();
            } finally {
                closeFunction();
            }
        } finally {
            if (Thread.currentThread() == owner) {
                scope.close();
                arena.close();
            } else {
                // A Scope is closed by the thread that opened it; Spark runs listeners on the task thread,
                // so this only happens when something consumed the rows on another thread.
                LOG.warn("{}: partition {} ended on thread {} but its scope belongs to thread {}: its staging"
                        + " buffers and weights stay allocated", spec.who(), partition,
                        Thread.currentThread().getName(), owner.getName());
            }
        }
    }

    private void closeFunction() {
        if (function instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(spec.who()
                        + ": closing the model's function: " + e, e);
            }
        }
    }

    /** An invalid value in a column other than the input (the tangent column). */
    static final class ColumnInvalid extends InputColumn.InvalidValue {
        private static final long serialVersionUID = 1L;
        final transient InputColumn column;

        ColumnInvalid(InputColumn column, String reason) {
            super(reason);
            this.column = column;
        }
    }
}
