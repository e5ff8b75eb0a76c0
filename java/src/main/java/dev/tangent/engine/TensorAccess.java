package dev.tangent.engine;

import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import java.util.List;

/**
 * The engine's view of a tensor's state — its memory, its forward-mode dual parts and its tape
 * node — which {@link Tensor} keeps package-private. Implemented once, in {@code dev.tangent}, and
 * installed when {@code Tensor} initialises ({@link #get()}); used only inside this package (a
 * layering test checks it). This package is not exported, so users cannot reach it.
 */
public interface TensorAccess {
    /** A new plain tensor over {@code value} (no tangents, no tape). */
    Tensor plain(Operand value);

    /** The memory and layout {@code t} views (a dual's is its primal's). */
    Operand value(Tensor t);

    /** The forward-mode level of t: 0 for a plain tensor. */
    int level(Tensor t);

    /** t's primal at its own level (null for a plain tensor). */
    Tensor primal(Tensor t);

    /** t's tangent at its own level (null: plain, or a symbolic zero). */
    Tensor tangent(Tensor t);

    /** {@code primal + ε_level · tangent}; tangent already fitted to the primal. */
    Tensor dual(int level, Tensor primal, Tensor tangent);

    /** The tape node that produced t, or null. */
    Node gradFn(Tensor t);

    /** Records t as the output of {@code node} (t then requires grad). */
    void setGradFn(Tensor t, Node node);

    /**
     * True when an open scope of the calling thread owns {@code storage}: then no other thread can
     * close it while this thread runs a kernel on it (only the owner thread keeps, adopts or closes).
     */
    boolean heldByThisThread(Storage storage);

    /** Makes the innermost open scope of this thread own new storage (the GC when none is open). */
    void register(Storage storage);

    /**
     * Takes every storage {@code scope} owns out of it, for {@code newOwner}, which frees them
     * itself; neither the scope nor the garbage collector frees them afterwards.
     */
    List<Storage> release(Scope scope, Object newOwner);

    /** Adds the storages of {@code ts} and of their dual parts (primals and tangents, every level) to {@code into}. */
    static void addStorages(java.util.Collection<Tensor> ts, java.util.Set<Storage> into) {
        TensorAccess acc = get();
        for (Tensor t : ts) {
            for (Tensor p = t; p != null; p = acc.level(p) > 0 ? acc.primal(p) : null) {
                into.add(acc.value(p).storage());
                Tensor tan = acc.level(p) > 0 ? acc.tangent(p) : null;
                if (tan != null) {
                    addStorages(List.of(tan), into);
                }
            }
        }
    }

    /** The installed implementation (initialising {@code Tensor} installs it). */
    static TensorAccess get() {
        TensorAccess a = Slot.value;
        if (a == null) {
            try {
                Class.forName("dev.tangent.Tensor", true, TensorAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = Slot.value;
            if (a == null) {
                throw new IllegalStateException("dev.tangent.Tensor did not install its TensorAccess");
            }
        }
        return a;
    }

    /** Installs the implementation; only {@code dev.tangent.Tensor}'s initialiser calls this, once. */
    static void install(TensorAccess access) {
        synchronized (Slot.class) {
            if (Slot.value != null) {
                throw new IllegalStateException("TensorAccess already installed");
            }
            Slot.value = access;
        }
    }

    /** Where the implementation is kept (no initialiser logic, so installing never recurses). */
    final class Slot {
        private static volatile TensorAccess value;

        private Slot() {}
    }
}
