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
    private static volatile ExecutorService pool;

    private WorkerPool() {}

    /** The shared pool, created on first use. */
    public static ExecutorService get() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (WorkerPool.class) {
                p = pool;
                if (p == null) {
                    int cores = Runtime.getRuntime().availableProcessors();
                    p = new ThreadPoolExecutor(cores, cores, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "tangent-worker");
                        t.setDaemon(true);
                        return t;
                    });
                    pool = p;
                }
            }
        }
        return p;
    }
}
