package dev.tangent.reliability;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.JvpPlan;
import dev.tangent.functional.JvpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The child JVM of {@link CrossThreadCloseTest}: one thread closes a scope while other threads
 * compute with its tensors, round after round, in every arrangement the issue names. Each worker
 * call must either finish with the right value or throw {@link IllegalStateException}; anything
 * else (or a crash) fails. Prints one line per scenario and the live bytes before and after.
 * Arguments: rounds for large tensors, rounds for small ones.
 */
public final class CrossThreadChild {
    private static final AtomicReference<Throwable> UNEXPECTED = new AtomicReference<>();

    private CrossThreadChild() {}

    /** Counts of one scenario. */
    private static final class Counts {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
    }

    public static void main(String[] args) throws Exception {
        int bigRounds = Integer.parseInt(args[0]);
        int smallRounds = Integer.parseInt(args[1]);
        Tangent.setNumThreads(1);
        long live0 = Tangent.liveBytes();
        System.out.println("KERNELS " + Tangent.cpuKernels());
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            report("eager-large-" + dt.torchName(), closeWhileComputing(bigRounds, 1 << 22, dt, 1, 7));
            report("eager-small-" + dt.torchName(), closeWhileComputing(smallRounds, 4096, dt, 0, 1));
            report("many-threads-" + dt.torchName(), closeWhileComputing(smallRounds / 4, 1 << 16, dt, 0, 2, 6));
        }
        report("nested-inner", nestedInner(smallRounds));
        report("plan-weights", planWeightsClosed(Math.max(4, bigRounds)));
        report("plan-chunked-weights", planChunkedWeightsClosed(Math.max(4, bigRounds)));
        report("keep-vs-close", keepFromAnotherThread(smallRounds));
        System.gc();
        Thread.sleep(50);
        Throwable t = UNEXPECTED.get();
        if (t != null) {
            System.out.println("UNEXPECTED " + t);
            t.printStackTrace(System.out);
            System.exit(3);
        }
        System.out.println("LIVE " + live0 + " " + Tangent.liveBytes());
    }

    private static void report(String name, Counts c) {
        System.out.println("SCENARIO " + name + " ok=" + c.ok.get() + " refused=" + c.refused.get());
    }

    /** Runs {@code call} on a worker: a right value or an IllegalStateException, nothing else. */
    private static void guarded(Counts c, Supplier<Boolean> call) {
        try {
            if (!call.get()) {
                UNEXPECTED.compareAndSet(null, new AssertionError("a completed call gave a wrong value"));
            }
            c.ok.incrementAndGet();
        } catch (IllegalStateException e) {
            if (!e.getMessage().contains("closed") && !e.getMessage().contains("belongs to the thread")) {
                UNEXPECTED.compareAndSet(null, e);
            }
            c.refused.incrementAndGet();
        } catch (Throwable e) {
            UNEXPECTED.compareAndSet(null, e);
        }
    }

    /**
     * The scenario: the owner makes x in its scope and hands it to {@code workers} threads
     * that compute x.exp().sum() in a loop; the owner closes its scope after minMs..maxMs.
     */
    private static Counts closeWhileComputing(int rounds, int n, DType dt, int minMs, int maxMs, int workers)
            throws InterruptedException {
        Counts c = new Counts();
        SplittableRandom r = new SplittableRandom(n + rounds);
        for (int round = 0; round < rounds; round++) {
            double expected;
            try (Scope ref = Scope.open()) {
                expected = Tensor.random(round, false, dt, n).exp().sum().item();
            }
            Scope owner = Scope.open();
            Tensor x = Tensor.random(round, false, dt, n);
            CountDownLatch started = new CountDownLatch(workers);
            List<Thread> ts = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                Thread t = new Thread(() -> {
                    started.countDown();
                    for (int k = 0; k < 1000 && x.isAlive(); k++) {
                        guarded(c, () -> {
                            try (Scope s = Scope.open()) {
                                double got = x.exp().sum().item();
                                return Math.abs(got - expected) <= 1e-4 * Math.abs(expected);
                            }
                        });
                    }
                    guarded(c, () -> {
                        try (Scope s = Scope.open()) {
                            x.exp().sum().item(); // after the close: must be refused
                            return true;
                        }
                    });
                });
                t.start();
                ts.add(t);
            }
            started.await();
            Thread.sleep(minMs + r.nextInt(maxMs - minMs + 1));
            owner.close();
            for (Thread t : ts) {
                t.join();
            }
        }
        return c;
    }

    private static Counts closeWhileComputing(int rounds, int n, DType dt, int minMs, int maxMs)
            throws InterruptedException {
        return closeWhileComputing(rounds, n, dt, minMs, maxMs, 1);
    }

    /** The owner closes an outer scope (and the inner one) while a worker reads an inner tensor. */
    private static Counts nestedInner(int rounds) throws InterruptedException {
        Counts c = new Counts();
        for (int round = 0; round < rounds; round++) {
            Scope outer = Scope.open();
            Tensor a = Tensor.rand(round, 64, 64);
            Scope inner = Scope.open();
            Tensor b = a.matmul(a).tanh();
            double expected = b.sum().item();
            Thread w = new Thread(() -> {
                for (int k = 0; k < 200 && b.isAlive(); k++) {
                    guarded(c, () -> {
                        try (Scope s = Scope.open()) {
                            return Math.abs(b.sum().item() - expected) <= 1e-3 * Math.abs(expected);
                        }
                    });
                }
            });
            w.start();
            if (round % 2 == 0) {
                outer.close(); // out of order: the inner scope is still open
                inner.close();
            } else {
                inner.close();
                outer.close();
            }
            w.join();
        }
        return c;
    }

    /**
     * A plan whose function captured weights made in another thread's scope: that scope closes while
     * this thread replays. Each call gives the right jvp or is refused.
     */
    private static Counts planWeightsClosed(int rounds) throws InterruptedException {
        Counts c = new Counts();
        for (int round = 0; round < rounds; round++) {
            Scope weights = Scope.open();
            Tensor w = Tensor.randn(round, 256, 256).mul(0.06);
            Tensor x = Tensor.randn(round + 1, 8, 256);
            Tensor v = Tensor.ones(8, 256);
            double expected;
            try (Scope s = Scope.open()) {
                expected = dev.tangent.functional.Functional.jvp((Tensor t) -> t.matmul(w).tanh(), x, v)
                        .jvp().sum().item();
            }
            JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(t -> t.matmul(w).tanh(), x);
            CountDownLatch started = new CountDownLatch(1);
            Thread worker = new Thread(() -> {
                started.countDown();
                for (int k = 0; k < 2000 && w.isAlive(); k++) {
                    guarded(c, () -> {
                        JvpResult<Tensor> res = plan.apply(x, v);
                        try (Scope s = Scope.open()) {
                            return Math.abs(res.jvp().sum().item() - expected) <= 1e-3 * Math.abs(expected);
                        }
                    });
                }
            });
            worker.start();
            started.await();
            Thread.sleep(round % 3);
            weights.close();
            worker.join();
            plan.close();
        }
        return c;
    }

    /**
     * The same with a plan whose element-wise chain runs in blocks split between two threads and
     * reads a captured weight of 2^20 elements: the weight's scope closes while the blocks run. x
     * and v live in another scope, so the call after the close is refused for w alone: one that
     * completes means the chain read w without holding it.
     */
    private static Counts planChunkedWeightsClosed(int rounds) throws InterruptedException {
        Counts c = new Counts();
        int n = 1 << 20;
        Tangent.setNumThreads(2);
        try {
            for (int round = 0; round < rounds; round++) {
                Scope data = Scope.open();
                Tensor x = Tensor.randn(round + 1, n).mul(0.5);
                Tensor v = Tensor.ones(n);
                Scope weights = Scope.open();
                Tensor w = Tensor.randn(round, n);
                java.util.function.Function<Tensor, Tensor> f = t -> t.sin().mul(w).add(t.exp()).sum();
                double expected;
                try (Scope s = Scope.open()) {
                    expected = dev.tangent.functional.Functional.jvp(f, x, v).jvp().item();
                }
                JvpPlan<Tensor, Tensor> plan = JvpPlan.compile(f, x);
                if (plan.kernelCount() != 1) {
                    UNEXPECTED.compareAndSet(null, new AssertionError("the chain is not chunked: " + plan.kernelCount()
                            + " kernels"));
                }
                CountDownLatch started = new CountDownLatch(1);
                Supplier<Boolean> call = () -> {
                    JvpResult<Tensor> res = plan.apply(x, v);
                    return Math.abs(res.jvp().item() - expected) <= 1e-4 * Math.abs(expected) + 1e-2;
                };
                Thread worker = new Thread(() -> {
                    guarded(c, call); // records this thread's instance: the close below lands in replays
                    started.countDown();
                    for (int k = 0; k < 2000 && w.isAlive(); k++) {
                        guarded(c, call); // the close lands in one of these: it completes, holding w
                    }
                    try {
                        plan.apply(x, v);
                        UNEXPECTED.compareAndSet(null, new AssertionError("plan-chunked-weights: a replay after the"
                                + " weights' scope closed completed: the chunked chain read w without holding it"));
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("closed")) {
                            UNEXPECTED.compareAndSet(null, e);
                        }
                        c.refused.incrementAndGet();
                    }
                });
                worker.start();
                started.await();
                Thread.sleep(2 + round % 7);
                weights.close();
                worker.join();
                plan.close();
                data.close();
            }
        } finally {
            Tangent.setNumThreads(1);
        }
        return c;
    }

    /** Another thread calls keep on a scope while its owner closes it: refused, nothing freed twice. */
    private static Counts keepFromAnotherThread(int rounds) throws InterruptedException {
        Counts c = new Counts();
        for (int round = 0; round < rounds; round++) {
            Scope parent = Scope.open();
            Scope s = Scope.open();
            Tensor t = Tensor.rand(round, 32);
            Thread other = new Thread(() -> guarded(c, () -> {
                s.keep(t);
                return true;
            }));
            other.start();
            s.close();
            parent.close();
            other.join();
        }
        return c;
    }
}
