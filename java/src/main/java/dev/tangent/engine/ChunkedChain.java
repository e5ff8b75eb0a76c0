package dev.tangent.engine;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.backend.ThreadBudget;
import dev.tangent.backend.WorkerPool;
import dev.tangent.ops.Prim;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chain of element-wise kernels of a recording run block by block ({@link ChainPlanner} finds
 * the chains): for each block of {@link ChainPlanner#block()} consecutive elements every kernel of
 * the chain runs over that block — the same {@link dev.tangent.backend.Backend} call on views at
 * the block's offset — before the next block, so what one kernel writes is still in cache when the
 * next reads it. Intermediates nothing outside the chain sees live in block-sized scratch slots
 * (allocated once, at record time) instead of full buffers. A full {@code SUM} in the chain writes
 * one partial sum per block, added up in block order after the last block (so its float result may
 * differ in the last bits from the sum of the whole buffer at once, and does not depend on the
 * number of threads).
 *
 * <p>Blocks are never smaller than the block size (the last one takes the remainder, up to twice
 * the size), so a backend's size-based kernel choices whose thresholds are at most the block size
 * (oneDNN's cut-overs by default) are those it makes for the whole kernel, and element-wise
 * results are bit-identical to the unchunked kernels'. Each block runs on one thread
 * ({@link ThreadBudget#serial}); where {@link ThreadBudget} grants the whole chain more than one
 * thread, the blocks are split into that many contiguous runs, one per thread, each with its own
 * scratch.
 */
final class ChunkedChain implements Runnable {
    /** How an operand is given to a block's call. */
    enum Mode {
        /** Contiguous over the chain's elements: a view of the block at the same offset. */
        DENSE,
        /** An intermediate: a view of the block in a scratch slot. */
        SCRATCH,
        /** Stride 0 everywhere (a broadcast scalar): the same element for the block's length. */
        BROADCAST,
        /** Passed unchanged (a 0-dim operand of a fused binary jvp). */
        FIXED,
        /** An absent tangent. */
        ABSENT,
        /** A SUM's output: the block's partial sum. */
        PARTIAL
    }

    private static final long[] UNIT = {1};
    private static final long[] ZERO = {0};

    /** One kernel of the chain: its description and, per operand, how a block sees it. */
    record Step(Elementwise what, Operand[] ins, Mode[] inModes, int[] inSlots, Operand[] outs, Mode[] outModes,
            int[] outSlots) {}

    private final Step[] steps;
    private final long n;
    private final long block;
    private final int blocks;
    /** Per team member: its scratch (null without slots), kept reachable while the chain is. */
    private final Storage[] scratch;
    /** Per team member and slot: the slot's memory as a storage of its own (views at offset 0). */
    private final Storage[][] slotStorages;
    private final int team;
    /** One partial sum per block and SUM step, 8 bytes each (null without sums). */
    private final Storage partials;
    private final int slots;
    private final AtomicLong runs = new AtomicLong();

    /**
     * {@code scratch} holds, per team member, {@code slots} slots of {@code slotBytes} (null entries
     * when there are no slots); its storages are owned by the caller, as is {@code partials}.
     */
    ChunkedChain(Step[] steps, long n, long block, Storage[] scratch, long slotBytes, int slots, Storage partials) {
        this.steps = steps;
        this.n = n;
        this.block = block;
        this.blocks = (int) (n / block);
        this.team = scratch.length;
        this.scratch = scratch.clone();
        this.slots = slots;
        this.partials = partials;
        // The Java kernels write outputs from offset 0 (outputs are fresh buffers): every output
        // view of a block is a storage of its own over that block's memory.
        this.slotStorages = new Storage[team][slots];
        for (int t = 0; t < team; t++) {
            for (int i = 0; i < slots; i++) {
                slotStorages[t][i] = Storage.wrap(scratch[t].backend(), scratch[t].segment().asSlice(i * slotBytes, slotBytes));
            }
        }
    }

    /** Times this chain has run (recording and replays). */
    long runs() {
        return runs.get();
    }

    @Override
    public void run() {
        runs.incrementAndGet();
        // Work = elements x ops: a chain does several ops per element, so it pays for a second thread
        // at sizes where one op does not (sin*exp's jvp chain at 1 M elements: 3.2 ms on 2 threads
        // against 4.0 ms on 1, in the same night's benchmark run).
        int team = ThreadBudget.enter((long) n * steps.length, ThreadBudget.ELTWISE_GRAIN, ThreadBudget.ELTWISE_GATE);
        try {
            team = Math.min(Math.min(team, blocks), this.team);
            if (team <= 1) {
                runBlocks(0, blocks, 0);
            } else {
                runTeam(team);
            }
        } finally {
            ThreadBudget.exit();
        }
        boolean prev = ThreadBudget.serial(true);
        try {
            int k = 0;
            for (Step s : steps) {
                if (s.what().kind() == Elementwise.Kind.SUM) {
                    Operand out = s.outs()[0];
                    DType dt = out.dtype();
                    Operand all = new Operand(partials, dt, new long[] {blocks}, UNIT, partialBase(k, dt));
                    Operand dst = slice(out.storage(), dt, UNIT, out.offset(), 1);
                    dst.backend().reduce(Prim.SUM, all, dst);
                    k++;
                }
            }
        } finally {
            ThreadBudget.serial(prev);
        }
    }

    private void runTeam(int team) {
        List<Future<?>> helpers = new ArrayList<>();
        ExecutorService p = WorkerPool.get();
        for (int t = 1; t < team; t++) {
            int member = t;
            int from = (int) ((long) blocks * t / team);
            int to = (int) ((long) blocks * (t + 1) / team);
            helpers.add(p.submit(() -> runBlocks(from, to, member)));
        }
        Throwable failure = null;
        try {
            runBlocks(0, (int) ((long) blocks / team), 0);
        } catch (Throwable e) {
            failure = e;
        }
        boolean interrupted = false;
        for (Future<?> f : helpers) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the helpers hold nothing but must end before the caller's holds do
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** Blocks [from, to) on this thread, team member {@code member}'s scratch. */
    private void runBlocks(int from, int to, int member) {
        boolean prev = ThreadBudget.serial(true);
        try {
            Storage[] mine = slotStorages[member];
            long[] full = {block};
            long[] last = {n - (long) (blocks - 1) * block};
            for (int j = from; j < to; j++) {
                long start = j * block;
                long[] shape = j == blocks - 1 ? last : full;
                int k = 0;
                for (Step s : steps) {
                    Operand[] in = views(s.ins(), s.inModes(), s.inSlots(), shape, start, mine, j, k, false);
                    Operand[] out = views(s.outs(), s.outModes(), s.outSlots(), shape, start, mine, j, k, true);
                    s.what().run(in, out);
                    if (s.what().kind() == Elementwise.Kind.SUM) {
                        k++;
                    }
                }
            }
        } finally {
            ThreadBudget.serial(prev);
        }
    }

    private Operand[] views(Operand[] ops, Mode[] modes, int[] slotOf, long[] shape, long start, Storage[] mine, int j,
            int sum, boolean outputs) {
        Operand[] v = new Operand[ops.length];
        for (int i = 0; i < ops.length; i++) {
            Operand o = ops[i];
            v[i] = switch (modes[i]) {
                case DENSE -> outputs ? slice(o.storage(), o.dtype(), shape, o.offset() + start, shape[0])
                        : new Operand(o.storage(), o.dtype(), shape, UNIT, o.offset() + start);
                case SCRATCH -> new Operand(mine[slotOf[i]], o.dtype(), shape, UNIT, 0);
                case BROADCAST -> new Operand(o.storage(), o.dtype(), shape, ZERO, o.offset());
                case FIXED -> o;
                case ABSENT -> null;
                case PARTIAL -> slice(partials, o.dtype(), UNIT, partialBase(sum, o.dtype()) + j, 1);
            };
        }
        return v;
    }

    /** {@code count} elements of st from element {@code offset}, as a storage of their own (offset 0). */
    private static Operand slice(Storage st, DType dt, long[] shape, long offset, long count) {
        long size = dt.byteSize();
        if (offset == 0 && count * size == st.byteSize()) {
            return new Operand(st, dt, shape, UNIT, 0);
        }
        return new Operand(Storage.wrap(st.backend(), st.segment().asSlice(offset * size, count * size)), dt, shape, UNIT, 0);
    }

    /** Where SUM step k's partial sums start, in elements of dt: 8 bytes per block and SUM step. */
    private long partialBase(int k, DType dt) {
        return (long) k * blocks * 8 / dt.byteSize();
    }

    /** e.g. {@code chunked 8 kernels over 1048576 elements in blocks of 8192 (...): unary_jvp sin, ...}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("chunked ").append(steps.length).append(" kernels over ").append(n)
                .append(" elements in ").append(blocks).append(" blocks of ").append(block).append(" (")
                .append(slots).append(" scratch slots, up to ").append(team).append(" threads): ");
        for (int i = 0; i < steps.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(steps[i].what());
        }
        return sb.toString();
    }
}
