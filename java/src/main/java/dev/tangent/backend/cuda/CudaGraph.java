package dev.tangent.backend.cuda;

import static dev.tangent.bindings.cuda.cuda_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A kernel sequence captured once from a thread's stream and replayed with one
 * {@code cuGraphLaunch}. Temporaries the sequence allocated and freed during capture stay owned by
 * the graph (its private pool) until {@link #close()}, since every replay writes them again.
 *
 * <p>Replay on the capturing thread (its stream; the owner — a plan instance — is per thread).
 * {@link #close()} may be called from any thread once no replay is in flight; it is idempotent.
 */
final class CudaGraph implements Runnable, AutoCloseable {
    final Thread thread = Thread.currentThread();
    private final CudaBackend backend;
    private final MemorySegment stream;
    private final List<Long> owned = new ArrayList<>();
    private MemorySegment graph = MemorySegment.NULL;
    private MemorySegment exec = MemorySegment.NULL;
    private boolean closed;

    CudaGraph(CudaBackend backend, MemorySegment stream) {
        this.backend = backend;
        this.stream = stream;
    }

    /** A temporary freed during capture: kept until the graph is closed. */
    void own(long ptr) {
        owned.add(ptr);
    }

    /** Ends the capture; when {@code ok}, instantiates the graph (throws on any failure). */
    void endCapture(boolean ok) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            int rc = cuStreamEndCapture(stream, p);
            graph = p.get(ValueLayout.ADDRESS, 0);
            if (!ok) {
                return;
            }
            Cuda.check(rc, "cuStreamEndCapture");
            Cuda.check(cuGraphInstantiateWithFlags(p, graph, 0), "cuGraphInstantiateWithFlags");
            exec = p.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Releases whatever a failed capture left behind. */
    void abandon(RuntimeException cause) {
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
        if (Boolean.getBoolean("tangent.cuda.graphs.verbose")) {
            System.err.println("tangent: CUDA graph capture failed, replaying eagerly: " + cause);
        }
    }

    @Override
    public void run() {
        if (closed) {
            throw new IllegalStateException("CUDA graph: replay after close");
        }
        CudaBackend.ThreadState ts = backend.ts();
        Cuda.check(cuGraphLaunch(exec, ts.stream), "cuGraphLaunch");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        backend.makeCurrent();
        try {
            if (!exec.equals(MemorySegment.NULL)) {
                Cuda.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
                Cuda.check(cuGraphExecDestroy(exec), "cuGraphExecDestroy");
            }
            if (!graph.equals(MemorySegment.NULL)) {
                Cuda.check(cuGraphDestroy(graph), "cuGraphDestroy");
            }
        } finally {
            backend.freeBlocks(owned);
            owned.clear();
        }
    }
}
