package dev.tangent.backend;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The process's pool of Tangent worker threads: one per processor, made on demand, daemon, kept for
 * the life of the process (each keeps its thread-local state, e.g. a oneDNN stream). The helpers of
 * a split native kernel and the members of a compiled plan's chunked chain run on it. A task on it
 * never waits for another task of the pool to start (a caller waits only for work a task has
 * already taken, or for its own submitted tasks from outside the pool), so a full pool cannot
 * deadlock.
 */
public final class WorkerPool {
    private WorkerPool() {}

    /** The shared pool, created on first use (the JVM initialises the holder class once, thread-safely). */
    public static ExecutorService get() {
        return Holder.POOL;
    }

    private static final class Holder {
        static final ExecutorService POOL = create();

        private static ExecutorService create() {
            int cores = Runtime.getRuntime().availableProcessors();
            return new ThreadPoolExecutor(cores, cores, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "tangent-worker");
                t.setDaemon(true);
                return t;
            });
        }
    }
}
