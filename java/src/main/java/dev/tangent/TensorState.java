package dev.tangent;

import dev.tangent.backend.Operand;
import dev.tangent.backend.Storage;
import dev.tangent.engine.Node;
import dev.tangent.engine.TensorAccess;
import java.util.List;

/** The engine's access to tensor state ({@link TensorAccess}), installed by {@link Tensor}'s initialiser. */
final class TensorState implements TensorAccess {
    @Override
    public Tensor plain(Operand value) {
        return new Tensor(value);
    }

    @Override
    public Operand value(Tensor t) {
        return t.value;
    }

    @Override
    public int level(Tensor t) {
        return t.level;
    }

    @Override
    public Tensor primal(Tensor t) {
        return t.primal;
    }

    @Override
    public Tensor tangent(Tensor t) {
        return t.tangent;
    }

    @Override
    public Tensor dual(int level, Tensor primal, Tensor tangent) {
        return new Tensor(level, primal, tangent);
    }

    @Override
    public Node gradFn(Tensor t) {
        return t.gradFn;
    }

    @Override
    public void setGradFn(Tensor t, Node node) {
        t.gradFn = node;
        t.requiresGrad = true;
    }

    @Override
    public boolean heldByThisThread(Storage storage) {
        return storage.owner() instanceof Scope s && s.ownedByCurrentThread();
    }

    @Override
    public void register(Storage storage) {
        Scope.register(storage);
    }

    @Override
    public List<Storage> release(Scope scope, Object newOwner) {
        return scope.release(newOwner);
    }
}
