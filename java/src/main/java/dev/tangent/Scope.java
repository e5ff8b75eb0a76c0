package dev.tangent;

import dev.tangent.backend.Storage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A memory scope: every tensor created on this thread while the scope is the innermost open one
 * is freed when it closes, at once (not at garbage collection).
 *
 * <pre>{@code
 * try (Scope s = Scope.open()) {
 *     Tensor y = x.exp().sum(1);
 *     result = s.keep(y);          // survives the scope: moves to the enclosing one
 * }
 * }</pre>
 *
 * <p>Scopes nest and may be closed in any order; a tensor created with no scope open is freed by
 * the garbage collector (or by the scope it is later {@linkplain #adopt(Tensor) adopted} into).
 * A scope belongs to the thread that opened it: only that thread may keep, adopt or close (else
 * {@link IllegalStateException}). Its tensors may be read from any thread; closing the scope while
 * another thread computes with them is safe — the other thread's next use throws
 * {@link IllegalStateException}, and memory a running kernel reads is freed only when it ends.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Storage> storages = new ArrayList<>();
    private final Scope parent;
    private final Thread thread;
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope nested in the current thread's innermost open scope. */
    public static Scope open() {
        ArrayDeque<Scope> stack = STACK.get();
        Scope s = new Scope(stack.peek());
        stack.push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static Scope current() {
        return STACK.get().peek();
    }

    /** Registers new storage with the current scope; with none open, the GC frees it. */
    static void register(Storage storage) {
        Scope s = STACK.get().peek();
        if (s != null) {
            storage.owner(s);
            s.storages.add(storage);
        } else {
            storage.owner(null);
        }
    }

    /**
     * Keeps {@code t} (its storage, its tangents' storages and gradient) alive past this scope: it
     * moves to the enclosing scope, or to the garbage collector when there is none.
     */
    public <T extends Value> T keep(T value) {
        checkOpen("keep");
        if (value instanceof Tuple tu) {
            for (Value v : tu) {
                keep(v);
            }
            return value;
        }
        Tensor t = (Tensor) value;
        for (Storage st : t.storagesForScope()) {
            if (st.owner() == this) {
                Scope target = parent;
                while (target != null && target.closed) {
                    target = target.parent;
                }
                if (target != null) {
                    st.owner(target);
                    target.storages.add(st);
                } else {
                    st.owner(null);
                }
            }
        }
        return value;
    }

    /**
     * Moves {@code t}'s storage into this scope so that closing it frees the tensor. Only a tensor
     * no scope owns (made with none open) or owned by a scope of this thread can be adopted; one
     * owned by another thread's scope or by a plan throws {@link IllegalStateException}.
     */
    public Tensor adopt(Tensor t) {
        checkOpen("adopt");
        List<Storage> sts = t.storagesForScope();
        for (Storage st : sts) {
            Object o = st.owner();
            if (o != null && o != this && !(o instanceof Scope s && s.thread == thread && !s.closed)) {
                throw new IllegalStateException("Scope.adopt: the tensor's memory belongs to "
                        + (o instanceof Scope s ? "a scope of thread " + s.thread.getName() : "a plan or recording")
                        + "; only tensors made with no scope open, or in this thread's scopes, can be adopted");
            }
        }
        for (Storage st : sts) {
            if (st.owner() != this) {
                st.owner(this);
                storages.add(st);
            }
        }
        return t;
    }

    /** True on the thread that opened this scope while it is open. */
    boolean ownedByCurrentThread() {
        return thread == Thread.currentThread() && !closed;
    }

    /**
     * Takes every storage this scope owns out of it, for an owner that frees them itself (a compiled
     * plan); they are owned by {@code newOwner} afterwards and neither the scope nor the GC frees them.
     */
    List<Storage> release(Object newOwner) {
        checkOpen("release");
        List<Storage> r = new ArrayList<>();
        for (Storage st : storages) {
            if (st.owner() == this) {
                st.owner(newOwner);
                r.add(st);
            }
        }
        storages.clear();
        return r;
    }

    /** True once closed. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees every storage this scope still owns. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("Scope.close: a scope belongs to the thread that opened it ("
                    + thread.getName() + "); close it there");
        }
        closed = true;
        STACK.get().remove(this);
        RuntimeException failure = null;
        for (Storage st : storages) {
            if (st.owner() == this) {
                try {
                    st.free();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
        }
        storages.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private void checkOpen(String op) {
        checkOwner(op);
        if (closed) {
            throw new IllegalStateException("Scope." + op + ": scope is closed");
        }
    }

    private void checkOwner(String op) {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("Scope." + op + ": a scope belongs to the thread that opened it ("
                    + thread.getName() + "); call " + op + " there");
        }
    }
}
