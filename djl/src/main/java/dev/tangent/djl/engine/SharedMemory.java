package dev.tangent.djl.engine;

import dev.tangent.Tensor;

/**
 * Memory shared by several Tangent-engine arrays: a Tangent scope opened now on this thread, which
 * every tensor made afterwards on this thread (until another scope opens) belongs to, freed when
 * this handle and every array made with {@link #share} are closed. {@code DjlFunctional} uses it for
 * {@code createGraph=true}, where the results' graph needs everything the call made.
 */
public final class SharedMemory implements AutoCloseable {
    private final Lane lane;
    private boolean closed;

    private SharedMemory(Lane lane) {
        this.lane = lane;
    }

    /** Opens the scope on this thread. */
    public static SharedMemory open() {
        return new SharedMemory(Lane.openCurrent());
    }

    /** An array of {@code manager} over {@code tensor} that keeps this memory alive until it is closed. */
    public TgNDArray share(TgNDManager manager, Tensor tensor) {
        return new TgNDArray(manager, tensor, lane.retain(), null);
    }

    /** Drops this handle's reference (the memory goes when the shared arrays are closed too). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            lane.release();
        }
    }
}
