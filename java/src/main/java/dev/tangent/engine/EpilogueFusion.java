package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.backend.Backend;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.ops.Prim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The recording's peephole: merges a linear layer's kernels — the fused {@code x W} with its
 * tangent, the bias {@code add}, the activation's fused primal+tangent kernel — into one kernel
 * ({@code Backend.linearJvp} with bias and activation: on the CPU one matmul of {@code [x; dx]}
 * and one native pass, or two matmuls with their epilogues; see {@code CpuLinear}), when every intermediate is read only inside the sequence and is not a result. So
 * {@code x.matmul(w).add(b).tanh()} in a compiled plan replays as one kernel per layer however it
 * was written; eager calls get the same kernel through {@code F.linear}.
 *
 * <p>Each merge is tried once at record time; where the backend declines it, the kernels stay as
 * they were. A merged kernel that the backend declines at replay runs the original kernels instead.
 * {@code -Dtangent.fuse.epilogue=false} turns the peephole off (for measurements).
 */
public final class EpilogueFusion {
    /** Whether recordings merge linear layers' kernels. */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("tangent.fuse.epilogue", "true"));

    private EpilogueFusion() {}

    /** One recorded kernel: its index in the recording, what it reads and writes, and what it computes (null: opaque). */
    private record Launched(int index, Runnable kernel, Storage[] reads, Storage[] writes, KernelInfo info) {}

    /**
     * Merges every mergeable linear-layer sequence among the live kernels of a recording, in
     * place: a merged kernel replaces the last kernel of its sequence (same index; its entries in
     * {@code kernels}, {@code reads}, {@code writes} and {@code infos} are replaced) and the others
     * are marked not live. Nothing happens when {@code -Dtangent.fuse.epilogue=false}.
     *
     * @param kernels   the recorded kernels in launch order, with what each reads and writes and
     *                  what it computes (null: opaque), as parallel lists
     * @param live      which of them a replay runs
     * @param variables the recording's variables, and {@code outputs} the tensors a caller reads
     *                  after a replay: their storages (dual parts included) are never left unwritten
     */
    public static void fuse(List<Runnable> kernels, List<Storage[]> reads, List<Storage[]> writes,
            List<KernelInfo> infos, boolean[] live, Collection<Tensor> variables, Collection<Tensor> outputs) {
        if (!ENABLED) {
            return;
        }
        List<Launched> list = new ArrayList<>();
        boolean any = false;
        for (int k = 0; k < kernels.size(); k++) {
            if (live[k]) {
                list.add(new Launched(k, kernels.get(k), reads.get(k), writes.get(k), infos.get(k)));
                any |= infos.get(k) instanceof KernelInfo.Linear;
            }
        }
        if (!any) {
            return;
        }
        Set<Storage> pinned = Collections.newSetFromMap(new IdentityHashMap<>());
        TensorAccess.addStorages(variables, pinned);
        TensorAccess.addStorages(outputs, pinned);
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i).info() instanceof KernelInfo.Linear lin && lin.dx() != null && lin.act() == null
                        && tryMerge(list, i, lin, pinned)) {
                    changed = true;
                    i--;
                }
            }
        }
        for (int k = 0; k < live.length; k++) {
            live[k] = false;
        }
        for (Launched l : list) {
            live[l.index()] = true;
            kernels.set(l.index(), l.kernel());
            reads.set(l.index(), l.reads());
            writes.set(l.index(), l.writes());
            infos.set(l.index(), l.info());
        }
    }

    /** Whether {@code info} describes a kernel that writes {@code writes} (the launch it follows). */
    public static boolean describes(KernelInfo info, Storage[] writes) {
        Operand[] outs = info.outputs();
        if (outs.length != writes.length) {
            return false;
        }
        for (int k = 0; k < outs.length; k++) {
            if (outs[k].storage() != writes[k]) {
                return false;
            }
        }
        return true;
    }

    /** Merges kernel i with the sole reader of its primal output, when that is a bias add or the activation. */
    private static boolean tryMerge(List<Launched> list, int i, KernelInfo.Linear lin, Set<Storage> pinned) {
        Storage ys = lin.y().storage();
        Storage dys = lin.dy().storage();
        if (pinned.contains(ys) || writers(list, ys) != 1 || writers(list, dys) != 1) {
            return false;
        }
        int j = soleReader(list, ys, i);
        if (j < 0) {
            return false;
        }
        Launched c = list.get(j);
        KernelInfo.Linear fused = null;
        if (c.info() instanceof KernelInfo.Binary b && b.op() == Prim.ADD && lin.bias() == null
                && b.out().dtype() == lin.y().dtype() && Arrays.equals(b.out().shape(), lin.y().shape())
                && !readBetween(list, dys, i, j + 1)) {
            Operand bias = same(b.a(), lin.y()) ? b.b() : same(b.b(), lin.y()) ? b.a() : null;
            if (bias != null && bias.storage() != ys && isRow(bias)) {
                fused = new KernelInfo.Linear(lin.x(), lin.dx(), lin.w(), bias, null, b.out(), lin.dy());
            }
        } else if (c.info() instanceof KernelInfo.UnaryJvp u && Linear.isActivation(u.op()) && u.op() != null
                && same(u.x(), lin.y()) && same(u.t(), lin.dy()) && !pinned.contains(dys) && soleReader(list, dys, i) == j) {
            fused = new KernelInfo.Linear(lin.x(), lin.dx(), lin.w(), lin.bias(), u.op(), u.y(), u.ty());
        }
        if (fused == null) {
            return false;
        }
        Operand[] in = fused.bias() == null ? new Operand[] {fused.x(), fused.dx(), fused.w()}
                : new Operand[] {fused.x(), fused.dx(), fused.w(), fused.bias()};
        for (Operand o : in) {
            if (writtenBetween(list, o.storage(), i, j)) {
                return false; // an input changes between the two kernels: it cannot be read later
            }
        }
        Runnable[] originals = {list.get(i).kernel(), c.kernel()};
        KernelInfo.Linear f = fused;
        Backend be = f.w().backend();
        // Tried once now (its inputs held, as a launched kernel's: a weight whose scope another thread
        // closes fails the recording cleanly); where the backend declines, the original kernels restore its outputs.
        boolean[] done = new boolean[1];
        Launch.hold("linear", () -> done[0] = be.linearJvp(f.x(), f.dx(), f.w(), f.bias(), f.act(), f.y(), f.dy()), in);
        if (!done[0]) {
            for (Runnable r : originals) {
                r.run();
            }
            return false;
        }
        Runnable kernel = () -> {
            if (!be.linearJvp(f.x(), f.dx(), f.w(), f.bias(), f.act(), f.y(), f.dy())) {
                for (Runnable r : originals) {
                    r.run();
                }
            }
        };
        Storage[] reads = new Storage[in.length];
        for (int k = 0; k < in.length; k++) {
            reads[k] = in[k].storage();
        }
        list.set(j, new Launched(c.index(), kernel, reads, new Storage[] {f.y().storage(), f.dy().storage()}, fused));
        list.remove(i);
        return true;
    }

    /** A bias row as the backend takes it: last dim with stride 1 (or size 1), the other dims broadcast. */
    private static boolean isRow(Operand b) {
        int r = b.dim();
        if (r == 0 || (b.shape()[r - 1] > 1 && b.strides()[r - 1] != 1)) {
            return false;
        }
        for (int d = 0; d < r - 1; d++) {
            if (b.shape()[d] != 1 && b.strides()[d] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(Operand a, Operand b) {
        return a.storage() == b.storage() && a.offset() == b.offset() && a.dtype() == b.dtype()
                && Arrays.equals(a.shape(), b.shape()) && Arrays.equals(a.strides(), b.strides());
    }

    /** The one kernel other than {@code writer} that reads {@code s}, when it comes after it; else -1. */
    private static int soleReader(List<Launched> list, Storage s, int writer) {
        int found = -1;
        for (int k = 0; k < list.size(); k++) {
            if (k != writer && contains(list.get(k).reads(), s)) {
                if (found >= 0) {
                    return -1;
                }
                found = k;
            }
        }
        return found > writer ? found : -1;
    }

    private static int writers(List<Launched> list, Storage s) {
        int n = 0;
        for (Launched l : list) {
            if (contains(l.writes(), s)) {
                n++;
            }
        }
        return n;
    }

    /** Whether a kernel strictly between {@code from} and {@code to} reads {@code s}. */
    private static boolean readBetween(List<Launched> list, Storage s, int from, int to) {
        for (int k = from + 1; k < to; k++) {
            if (contains(list.get(k).reads(), s)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a kernel after {@code from}, up to and including {@code to}, writes {@code s}. */
    private static boolean writtenBetween(List<Launched> list, Storage s, int from, int to) {
        for (int k = from + 1; k <= to; k++) {
            if (contains(list.get(k).writes(), s)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(Storage[] a, Storage s) {
        for (Storage x : a) {
            if (x == s) {
                return true;
            }
        }
        return false;
    }

}
