package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.autograd.Autograd;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * DJL's {@link GradientCollector} on Tangent's reverse mode, per thread: while it is open, engine
 * operations on the thread that opened it record on Tangent's tape (other threads are unaffected,
 * each may have its own collector — DJL's PyTorch collector is one per process). {@link #backward}
 * accumulates d(target)/d(leaf) into every array that {@code setRequiresGradient(true)} made a leaf
 * and that the target depends on; {@code getGradient()} reads it.
 *
 * <p>Memory: the tape's intermediates live until the collector closes (they are what backward
 * reads); gradients live with their arrays. Open, use and close a collector on one thread.
 */
public final class TgGradientCollector implements GradientCollector {
    /** Arrays that are leaves requiring grad, by identity (weakly: a dropped array leaves the registry). */
    private static final Leaves LEAVES = new Leaves();

    private final Home home;
    private final Thread thread = Thread.currentThread();
    private final List<Scope> held = new ArrayList<>();
    private boolean closed;

    TgGradientCollector() {
        home = Home.current();
        if (home.collector() != null) {
            throw new IllegalStateException("A gradient collector is already collecting on this thread ("
                    + thread.getName() + "); close it first (the Tangent engine allows one per thread)");
        }
        home.collector(this);
    }

    static void remember(TgNDArray a) {
        LEAVES.add(a);
    }

    static void forget(TgNDArray a) {
        LEAVES.remove(a);
    }

    /** Keeps a finished operation's scope (its intermediates are on the tape) until close. */
    void hold(Scope s) {
        held.add(s);
    }

    private void checkThread(String op) {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("GradientCollector." + op + ": a Tangent gradient collector belongs to the"
                    + " thread that opened it (" + thread.getName() + ")");
        }
        if (closed) {
            throw new IllegalStateException("GradientCollector." + op + ": the collector is closed");
        }
    }

    @Override
    @SuppressWarnings("try") // the scope frees the gradient computation's temporaries
    public void backward(NDArray target) {
        checkThread("backward");
        if (!(target instanceof TgNDArray)) {
            throw new IllegalArgumentException("backward: the target is an array of the " + target.getManager().getEngine()
                    .getEngineName() + " engine, not of the Tangent engine");
        }
        home.drain();
        Tensor y = ((TgNDArray) target).t();
        if (!y.requiresGrad()) {
            throw new IllegalStateException("backward: the target does not require grad: nothing it depends on was"
                    + " recorded (no array it was computed from requires gradient, or it was computed outside this"
                    + " collector)");
        }
        List<TgNDArray> leaves = new ArrayList<>();
        List<Tensor> leafTensors = new ArrayList<>();
        for (TgNDArray a : LEAVES.snapshot()) {
            Tensor t = a.tensorOrNull();
            if (t != null && t.requiresGrad() && !a.isReleased()) {
                leaves.add(a);
                leafTensors.add(t);
            }
        }
        boolean[] reached = Autograd.reaches(List.of(y), leafTensors);
        List<TgNDArray> used = new ArrayList<>();
        List<Tensor> usedTensors = new ArrayList<>();
        for (int i = 0; i < reached.length; i++) {
            if (reached[i]) {
                used.add(leaves.get(i));
                usedTensors.add(leafTensors.get(i));
            }
        }
        if (used.isEmpty()) {
            return;
        }
        try (Scope s = Scope.open()) {
            Tensor seed = Tensor.onesLike(y);
            Tensor[] g = Autograd.grad(List.of(y), usedTensors, List.of(seed), false, true);
            for (int i = 0; i < g.length; i++) {
                if (g[i] == null) {
                    continue;
                }
                TgNDArray leaf = used.get(i);
                synchronized (leaf) {
                    Tensor prev = leaf.gradOrNull();
                    Tensor sum = prev == null ? g[i].detach().clone() : prev.add(g[i].detach());
                    leaf.setGradient(sum, Lane.adopt(sum));
                }
            }
        }
    }

    @Override
    @SuppressWarnings("try")
    public void zeroGradients() {
        checkThread("zeroGradients");
        for (TgNDArray a : LEAVES.snapshot()) {
            synchronized (a) {
                Tensor g = a.gradOrNull();
                if (g != null) {
                    try (Scope s = Scope.open()) {
                        Tensor z = Tensor.zerosLike(g);
                        a.setGradient(z, Lane.adopt(z));
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkThread("close");
        closed = true;
        home.collector(null);
        RuntimeException failure = null;
        for (Scope s : held) {
            try {
                s.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        held.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** Leaf arrays by identity, held weakly (DJL arrays define equals as content equality). */
    private static final class Leaves {
        private final java.util.Map<Object, WeakReference<TgNDArray>> refs = new java.util.HashMap<>();
        private final java.lang.ref.ReferenceQueue<TgNDArray> queue = new java.lang.ref.ReferenceQueue<>();

        private static final class Key extends WeakReference<TgNDArray> {
            final int hash;

            Key(TgNDArray a, java.lang.ref.ReferenceQueue<TgNDArray> q) {
                super(a, q);
                hash = System.identityHashCode(a);
            }

            @Override
            public int hashCode() {
                return hash;
            }

            @Override
            public boolean equals(Object o) {
                return this == o || (o instanceof Key && get() != null && get() == ((Key) o).get());
            }
        }

        private void expunge() {
            java.lang.ref.Reference<? extends TgNDArray> r;
            while ((r = queue.poll()) != null) {
                refs.remove(r);
            }
        }

        synchronized void add(TgNDArray a) {
            expunge();
            Key k = new Key(a, queue);
            refs.putIfAbsent(k, k);
        }

        synchronized void remove(TgNDArray a) {
            expunge();
            Key probe = new Key(a, null);
            refs.remove(probe);
            probe.clear();
        }

        synchronized List<TgNDArray> snapshot() {
            expunge();
            List<TgNDArray> r = new ArrayList<>();
            for (WeakReference<TgNDArray> w : refs.values()) {
                TgNDArray a = w.get();
                if (a != null) {
                    r.add(a);
                }
            }
            return r;
        }
    }
}
