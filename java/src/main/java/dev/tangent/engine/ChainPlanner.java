package dev.tangent.engine;

import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.backend.Backends;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Finds the element-wise chains of a recorded kernel sequence and replaces each by one
 * {@link ChunkedChain} (CPU only; other devices keep their kernels). A chain is a maximal run of
 * consecutive kernels with an {@link Elementwise} description over the same number of elements
 * (at least two blocks), every operand contiguous over those elements, a broadcast scalar, or a
 * fused binary jvp's 0-dim operand, such that running them block by block computes the same:
 * every storage a chain writes is accessed in the chain only at one offset, contiguously, and a
 * SUM's output is not otherwise touched in the chain. Storages the chain writes that are internal
 * (the caller's predicate: the recording owns them and nothing outside sees them), that no kernel
 * outside the chain touches and that the chain writes before it reads become block-sized scratch;
 * the caller frees them ({@link Plan#unused()}).
 *
 * <p>Block size: {@code -Dtangent.chunk.elements} (default {@value #DEFAULT_BLOCK}, rounded to
 * a multiple of 64, at least 256); {@code -Dtangent.chunks=false} turns chunking off (read at each
 * recording).
 */
public final class ChainPlanner {
    /** Default block, in elements. */
    public static final int DEFAULT_BLOCK = 8192;

    private ChainPlanner() {}

    /** One recorded kernel: what it runs, the storages it reads and writes, what it computes (or null). */
    public record Kernel(Runnable run, Storage[] reads, Storage[] writes, Elementwise what) {}

    /**
     * The kernels with the chains replaced (a chain reads and writes the union of its kernels'
     * storages but the scratch ones, and has no description), and the storages no kernel uses now.
     */
    public record Plan(List<Kernel> kernels, Set<Storage> unused) {}

    /** Whether recordings chunk element-wise chains ({@code tangent.chunks}, default true). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty("tangent.chunks"));
    }

    /** The block size in elements ({@code tangent.chunk.elements}). */
    public static long block() {
        long b = Long.getLong("tangent.chunk.elements", DEFAULT_BLOCK);
        return Math.max(256, (b + 63) / 64 * 64);
    }

    /** A chain's description, for {@code Recording.describe()}, or null when {@code r} is not a chain. */
    public static String describe(Runnable r) {
        return r instanceof ChunkedChain c ? c + " [ran " + c.runs() + " times]" : null;
    }

    /**
     * Replaces the chains of {@code kernels}; {@code internal} says which storages nobody outside
     * the recording sees. Scratch memory is allocated now, owned by the innermost open scope.
     */
    public static Plan plan(List<Kernel> kernels, Predicate<Storage> internal) {
        Set<Storage> unused = Collections.newSetFromMap(new IdentityHashMap<>());
        if (!enabled()) {
            return new Plan(kernels, unused);
        }
        long block = block();
        List<Kernel> out = new ArrayList<>();
        int k = 0;
        while (k < kernels.size()) {
            Elementwise w = kernels.get(k).what();
            long n = w == null ? 0 : w.numel();
            int end = k;
            if (n >= 2 * block && first(w).device().isCpu()) {
                while (end < kernels.size() && fits(kernels.subList(k, end + 1), n)) {
                    end++;
                }
            }
            if (end - k < 2) {
                out.add(kernels.get(k++));
                continue;
            }
            out.add(build(kernels, k, end, n, block, internal, unused));
            k = end;
        }
        return new Plan(out, unused);
    }

    private static Operand first(Elementwise w) {
        return w.ins()[0];
    }

    /** How operand o of w is seen by a block, or null when it cannot be split into blocks. */
    private static ChunkedChain.Mode mode(Elementwise w, Operand o, int i, boolean input, long n) {
        if (o == null) {
            return input ? ChunkedChain.Mode.ABSENT : null;
        }
        if (!input && w.kind() == Elementwise.Kind.SUM) {
            return ChunkedChain.Mode.PARTIAL;
        }
        if (!o.device().isCpu()) {
            return null;
        }
        if (o.numel() == n && o.isContiguous()) {
            return ChunkedChain.Mode.DENSE;
        }
        if (input && w.fixedInput(i)) {
            return ChunkedChain.Mode.FIXED;
        }
        if (input && w.kind() != Elementwise.Kind.SUM && w.kind() != Elementwise.Kind.BINARY_JVP && allZero(o.strides())) {
            return ChunkedChain.Mode.BROADCAST;
        }
        return null;
    }

    private static boolean allZero(long[] strides) {
        for (long s : strides) {
            if (s != 0) {
                return false;
            }
        }
        return true;
    }

    /** One access of a storage by a kernel of a chain. */
    private record Access(int step, boolean write, ChunkedChain.Mode mode, long byteOffset, int elementSize) {}

    /** The accesses of the chain's kernels to each storage, in order; null when some operand cannot be split. */
    private static Map<Storage, List<Access>> accesses(List<Kernel> chain, long n) {
        Map<Storage, List<Access>> m = new IdentityHashMap<>();
        for (int s = 0; s < chain.size(); s++) {
            Elementwise w = chain.get(s).what();
            if (w == null || w.numel() != n) {
                return null;
            }
            Operand[] ins = w.ins();
            Operand[] outs = w.outs();
            for (int pass = 0; pass < 2; pass++) {
                Operand[] ops = pass == 0 ? ins : outs;
                for (int i = 0; i < ops.length; i++) {
                    ChunkedChain.Mode md = mode(w, ops[i], i, pass == 0, n);
                    if (md == null) {
                        return null;
                    }
                    if (ops[i] != null) {
                        m.computeIfAbsent(ops[i].storage(), x -> new ArrayList<>()).add(new Access(s, pass == 1, md,
                                ops[i].byteOffset(), ops[i].dtype().byteSize()));
                    }
                }
            }
        }
        return m;
    }

    /** Whether the kernels, run block by block, compute what they compute one after the other. */
    private static boolean fits(List<Kernel> chain, long n) {
        Map<Storage, List<Access>> m = accesses(chain, n);
        if (m == null) {
            return false;
        }
        for (List<Access> as : m.values()) {
            boolean written = false;
            boolean partial = false;
            for (Access a : as) {
                written |= a.write();
                partial |= a.mode() == ChunkedChain.Mode.PARTIAL;
            }
            if (partial && as.size() > 1) {
                return false; // a sum is written after the last block: nothing else in the chain may touch it
            }
            if (written && !partial) {
                Access a0 = as.get(0);
                for (Access a : as) {
                    if (a.mode() != ChunkedChain.Mode.DENSE || a.byteOffset() != a0.byteOffset()
                            || a.elementSize() != a0.elementSize()) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static Kernel build(List<Kernel> kernels, int from, int to, long n, long block, Predicate<Storage> internal,
            Set<Storage> unused) {
        List<Kernel> chain = kernels.subList(from, to);
        Map<Storage, List<Access>> m = accesses(chain, n);
        Set<Storage> outside = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int k = 0; k < kernels.size(); k++) {
            if (k < from || k >= to) {
                Collections.addAll(outside, kernels.get(k).reads());
                Collections.addAll(outside, kernels.get(k).writes());
            }
        }
        // Scratch: internal, written first, only ever accessed by this chain; slots reused once dead.
        Map<Storage, int[]> life = new IdentityHashMap<>();
        for (Map.Entry<Storage, List<Access>> e : m.entrySet()) {
            List<Access> as = e.getValue();
            Access a0 = as.get(0);
            if (a0.write() && a0.mode() == ChunkedChain.Mode.DENSE && internal.test(e.getKey())
                    && !outside.contains(e.getKey())) {
                life.put(e.getKey(), new int[] {a0.step(), as.get(as.size() - 1).step(), -1});
            }
        }
        int slots = 0;
        int maxElement = 1;
        List<Integer> free = new ArrayList<>();
        for (int s = 0; s < chain.size(); s++) {
            for (int[] l : life.values()) {
                if (l[0] == s) {
                    l[2] = free.isEmpty() ? slots++ : free.remove(free.size() - 1);
                }
            }
            for (int[] l : life.values()) {
                if (l[1] == s) {
                    free.add(l[2]); // outputs of step s took their slots before its inputs' were freed
                }
            }
        }
        int sums = 0;
        ChunkedChain.Step[] steps = new ChunkedChain.Step[chain.size()];
        for (int s = 0; s < chain.size(); s++) {
            Elementwise w = chain.get(s).what();
            Operand[] ins = w.ins();
            Operand[] outs = w.outs();
            ChunkedChain.Mode[][] modes = {new ChunkedChain.Mode[ins.length], new ChunkedChain.Mode[outs.length]};
            int[][] slot = {new int[ins.length], new int[outs.length]};
            for (int pass = 0; pass < 2; pass++) {
                Operand[] ops = pass == 0 ? ins : outs;
                for (int i = 0; i < ops.length; i++) {
                    ChunkedChain.Mode md = mode(w, ops[i], i, pass == 0, n);
                    int[] l = ops[i] == null ? null : life.get(ops[i].storage());
                    if (l != null) {
                        md = ChunkedChain.Mode.SCRATCH;
                        slot[pass][i] = l[2];
                        maxElement = Math.max(maxElement, ops[i].dtype().byteSize());
                    }
                    modes[pass][i] = md;
                }
            }
            if (w.kind() == Elementwise.Kind.SUM) {
                sums++;
            }
            steps[s] = new ChunkedChain.Step(w, ins, modes[0], slot[0], outs, modes[1], slot[1]);
        }
        var backend = first(chain.get(0).what()).backend();
        int blocks = (int) (n / block);
        int team = Math.max(1, Math.min(Backends.numThreads(), blocks));
        long slotBytes = (2 * block * maxElement + 63) / 64 * 64;
        Storage[] scratch = new Storage[team];
        for (int t = 0; t < team && slots > 0; t++) {
            scratch[t] = allocate(backend, slots * slotBytes);
        }
        Storage partials = sums == 0 ? null : allocate(backend, (long) sums * blocks * 8);
        ChunkedChain runner = new ChunkedChain(steps, n, block, scratch, slotBytes, slots, partials);
        Set<Storage> reads = new LinkedHashSet<>();
        Set<Storage> writes = new LinkedHashSet<>();
        for (Kernel k : chain) {
            Collections.addAll(reads, k.reads());
            Collections.addAll(writes, k.writes());
        }
        reads.removeAll(life.keySet());
        writes.removeAll(life.keySet());
        for (Storage st : scratch) {
            if (st != null) {
                writes.add(st);
            }
        }
        if (partials != null) {
            writes.add(partials);
        }
        unused.addAll(life.keySet());
        return new Kernel(runner, reads.toArray(new Storage[0]), writes.toArray(new Storage[0]), null);
    }

    private static Storage allocate(dev.tangent.backend.Backend backend, long bytes) {
        Storage st = Storage.allocate(backend, bytes);
        TensorAccess.get().register(st);
        return st;
    }
}
