package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.autograd.Autograd;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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
    private static final Map<TgNDArray, Boolean> LEAVES = Collections.synchronizedMap(new IdentityWeakMap());

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
        LEAVES.put(a, Boolean.TRUE);
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
        synchronized (LEAVES) {
            for (TgNDArray a : LEAVES.keySet()) {
                Tensor t = a.tensorOrNull();
                if (t != null && t.requiresGrad() && !a.isReleased()) {
                    leaves.add(a);
                    leafTensors.add(t);
                }
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
    public void zeroGradients() {
        checkThread("zeroGradients");
        List<TgNDArray> all;
        synchronized (LEAVES) {
            all = new ArrayList<>(LEAVES.keySet());
        }
        for (TgNDArray a : all) {
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

    /** A weak-keyed map by identity (DJL arrays define equals as content equality). */
    private static final class IdentityWeakMap extends java.util.AbstractMap<TgNDArray, Boolean> {
        private final Map<Object, WeakReference<TgNDArray>> refs = new java.util.HashMap<>();
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
                if (this == o) {
                    return true;
                }
                Object me = get();
                if (o instanceof Key) {
                    return me != null && me == ((Key) o).get();
                }
                return me != null && me == o;
            }
        }

        private void expunge() {
            java.lang.ref.Reference<? extends TgNDArray> r;
            while ((r = queue.poll()) != null) {
                refs.remove(r);
            }
        }

        private Object probe(Object a) {
            return new Object() {
                @Override
                public int hashCode() {
                    return System.identityHashCode(a);
                }

                @Override
                public boolean equals(Object o) {
                    return o instanceof Key && ((Key) o).get() == a;
                }
            };
        }

        @Override
        public Boolean put(TgNDArray a, Boolean v) {
            expunge();
            Key k = new Key(a, queue);
            return refs.putIfAbsent(k, k) == null ? null : Boolean.TRUE;
        }

        @Override
        public Boolean remove(Object a) {
            expunge();
            return refs.remove(probe(a)) == null ? null : Boolean.TRUE;
        }

        @Override
        public java.util.Set<Entry<TgNDArray, Boolean>> entrySet() {
            expunge();
            java.util.Set<Entry<TgNDArray, Boolean>> s = new java.util.LinkedHashSet<>();
            for (WeakReference<TgNDArray> r : refs.values()) {
                TgNDArray a = r.get();
                if (a != null) {
                    s.add(new java.util.AbstractMap.SimpleEntry<>(a, Boolean.TRUE));
                }
            }
            return s;
        }

        @Override
        public java.util.Set<TgNDArray> keySet() {
            java.util.Set<TgNDArray> s = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Entry<TgNDArray, Boolean> e : entrySet()) {
                s.add(e.getKey());
            }
            return s;
        }
    }
}
