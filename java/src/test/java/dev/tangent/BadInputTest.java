package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each bad input fails with an exception of a fixed type (IllegalArgumentException where PyTorch
 * raises RuntimeError/ValueError, IndexOutOfBoundsException where it raises IndexError,
 * IllegalStateException for freed memory) whose message names the op and the shapes or values at fault.
 */
class BadInputTest {
    private Scope scope;
    private Tensor m23;   // float32 [2, 3]
    private Tensor m34;   // float32 [3, 4]

    @BeforeEach
    void open() {
        scope = Scope.open();
        m23 = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        m34 = Tensor.ones(3, 4);
    }

    @AfterEach
    void close() {
        scope.close();
    }

    /** Asserts the exception type and that its message contains every fragment. */
    static <T extends Throwable> T bad(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String m = e.getMessage();
        for (String f : fragments) {
            assertTrue(m != null && m.contains(f), "message should contain '" + f + "': " + m);
        }
        return e;
    }

    static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    static final Class<IndexOutOfBoundsException> IOOBE = IndexOutOfBoundsException.class;

    @Test
    void broadcastMismatch() {
        bad(IAE, () -> m23.add(Tensor.ones(4)), "add", "[2, 3]", "[4]");
        bad(IAE, () -> Tensor.ones(4).mul(m23), "mul", "[4]", "[2, 3]");
        bad(IAE, () -> m23.lt(Tensor.ones(3, 3)), "lt", "[2, 3]", "[3, 3]");
        bad(IAE, () -> Tensor.where(m23.gt(0), m23, Tensor.ones(2)), "where", "[2]");
    }

    @Test
    void matmulShapeMismatch() {
        bad(IAE, () -> m23.matmul(m23), "matmul", "2x3", "2x3");
        bad(IAE, () -> m23.matmul(Tensor.ones(4)), "matmul", "[4]");
        bad(IAE, () -> Tensor.ones(3).matmul(Tensor.ones(4)), "matmul", "3", "4");
        bad(IAE, () -> Tensor.ones(4).matmul(m34), "matmul", "4");
        // batch dims that do not broadcast: the message shows both full shapes
        bad(IAE, () -> Tensor.ones(2, 3, 4).matmul(Tensor.ones(3, 4, 5)), "matmul", "[2, 3, 4]", "[3, 4, 5]");
        bad(IAE, () -> Tensor.scalar(1f).matmul(m34), "matmul", "0D");
    }

    @Test
    void matmulMixedDtypesIsRefusedAsInPyTorch() {
        bad(IAE, () -> m23.matmul(m34.toDouble()), "matmul", "float32", "float64");
        bad(IAE, () -> Tensor.vector(1f, 2f).matmul(Tensor.vector(1.0, 2.0)), "matmul", "float32", "float64");
        bad(IAE, () -> Tensor.of(new long[] {1, 2}, 1, 2).matmul(Tensor.of(new long[] {1, 2}, 2, 1)), "matmul", "int64");
    }

    @Test
    void dimOutOfRange() {
        bad(IAE, () -> m23.sum(2), "sum", "[-2, 1]", "2");
        bad(IAE, () -> m23.sum(-3), "sum", "-3");
        bad(IAE, () -> m23.softmax(5), "softmax", "5");
        bad(IAE, () -> m23.transpose(0, 2), "transpose", "2");
        bad(IAE, () -> m23.unsqueeze(4), "unsqueeze", "4");
        bad(IAE, () -> m23.select(2, 0), "select", "2");
        bad(IAE, () -> m23.amax(7), "amax", "7");
        bad(IAE, () -> m23.size(2), "size", "2");
        bad(IAE, () -> Tensor.cat(2, m23, m23), "cat", "2");
    }

    @Test
    void repeatedDims() {
        bad(IAE, () -> m23.sum(new int[] {0, 0}, false), "sum", "dim 0", "multiple times");
        bad(IAE, () -> m23.sum(new int[] {1, -1}, false), "sum", "dim 1");
        bad(IAE, () -> m23.permute(1, 1), "permute", "repeated dim 1");
        bad(IAE, () -> m23.permute(0), "permute", "[2, 3]");
        bad(IAE, () -> m23.mean(new int[] {0, -2}, true), "mean", "dim 0");
    }

    @Test
    void reshapeErrors() {
        bad(IAE, () -> m23.reshape(5), "reshape", "[5]", "6");
        bad(IAE, () -> m23.reshape(4, -1), "reshape", "[4, -1]", "6");
        bad(IAE, () -> m23.reshape(-1, -1), "reshape", "only one dimension can be inferred", "[-1, -1]");
        bad(IAE, () -> m23.view(-1, 2, -1), "view", "only one dimension");
        bad(IAE, () -> m23.reshape(-2, 3), "reshape", "-2");
        bad(IAE, () -> m23.T().view(6), "view", "[6]", "[3, 2]", "stride");
        bad(IAE, () -> m34.slice(1, 0, 3).view(9), "view", "[3, 3]", "[4, 1]");
    }

    @Test
    void sliceAndSelectErrors() {
        bad(IAE, () -> m23.slice(1, 0, 3, 0), "slice", "step", "0");
        bad(IAE, () -> m23.slice(1, 3, 0, -1), "slice", "step", "-1");
        bad(IAE, () -> Tensor.scalar(1f).slice(0, 0, 1), "slice", "0-dim");
        bad(IOOBE, () -> m23.select(1, 3), "select", "index 3", "size 3");
        bad(IOOBE, () -> m23.select(0, -3), "select", "index -3", "size 2");
        bad(IOOBE, () -> m23.get(2), "select", "index 2");
        bad(IAE, () -> Tensor.scalar(1f).select(0, 0), "select", "0-dim");
    }

    @Test
    void indexErrors() {
        bad(IOOBE, () -> m23.indexSelect(1, Tensor.of(new long[] {0, 3}, 2)), "index_select", "index 3", "size 3");
        bad(IOOBE, () -> m23.indexSelect(0, Tensor.of(new long[] {-3}, 1)), "index_select", "-3", "size 2");
        bad(IAE, () -> m23.indexSelect(0, Tensor.of(new long[] {0, 1}, 1, 2)), "index_select", "[1, 2]");
        bad(IAE, () -> m23.indexSelect(0, Tensor.vector(0f)), "index_select", "float32");
        bad(IOOBE, () -> m23.gather(1, Tensor.of(new long[] {0, 5}, 1, 2)), "gather", "index 5", "size 3");
        bad(IOOBE, () -> m23.gather(0, Tensor.of(new long[] {-3}, 1, 1)), "gather", "-3");
        bad(IAE, () -> m23.gather(1, Tensor.of(new long[] {0}, 1)), "gather", "[1]", "[2, 3]");
        bad(IAE, () -> m23.gather(1, Tensor.of(new long[] {0, 0, 0, 0, 0, 0}, 3, 2)), "gather", "[3, 2]", "[2, 3]");
        bad(IOOBE, () -> m23.index(Tensor.arange(2), Tensor.of(new long[] {0, 3}, 2)), "index", "index 3", "size 3");
        bad(IOOBE, () -> m23.index(Tensor.of(new long[] {-3}, 1)), "index", "-3", "size 2");
        bad(IOOBE, () -> m23.index(Tensor.arange(1), Tensor.arange(1), Tensor.arange(1)), "index", "too many", "3");
        bad(IAE, () -> m23.index(Tensor.vector(0f)), "index", "float32");
        bad(IAE, () -> m23.index(Tensor.arange(2), Tensor.arange(3)), "index", "[2]", "[3]");
    }

    @Test
    void whereNeedsABoolMask() {
        bad(IAE, () -> Tensor.where(m23, m23, m23), "where", "bool", "float32");
        bad(IAE, () -> Tensor.where(Tensor.arange(3), Tensor.ones(3), Tensor.ones(3)), "where", "int64");
    }

    @Test
    void catErrors() {
        bad(IAE, () -> Tensor.cat(0, m23, m34), "cat", "dimension 0", "[2, 3]", "[3, 4]");
        bad(IAE, () -> Tensor.cat(1, m23, Tensor.ones(3, 1)), "cat", "[2, 3]", "[3, 1]");
        bad(IAE, () -> Tensor.cat(0, m23, Tensor.ones(2, 3, 1)), "cat", "[2, 3]", "[2, 3, 1]");
        bad(IAE, () -> Tensor.cat(0, Tensor.scalar(1f), Tensor.scalar(2f)), "cat", "zero-dimensional", "position 0");
        bad(IAE, () -> Tensor.cat(0, Tensor.ones(2), Tensor.scalar(2f)), "cat", "zero-dimensional", "position 1");
        bad(IAE, () -> Tensor.cat(List.of(), 0), "cat", "non-empty");
    }

    @Test
    void stackErrors() {
        bad(IAE, () -> Tensor.stack(0, m23, m34), "stack", "[2, 3]", "[3, 4]", "entry 1");
        bad(IAE, () -> Tensor.stack(0, Tensor.ones(3), Tensor.ones(3), Tensor.ones(2)), "stack", "[2]", "entry 2");
        bad(IAE, () -> Tensor.stack(List.of(), 0), "stack", "non-empty");
        bad(IAE, () -> Tensor.stack(3, m23, m23), "stack", "3");
    }

    @Test
    void creationErrors() {
        bad(IAE, () -> Tensor.of(new double[5], 2, 3), "Tensor.of", "5", "[2, 3]", "6");
        bad(IAE, () -> Tensor.of(new float[7], 2, 3), "Tensor.of", "7", "[2, 3]");
        bad(IAE, () -> Tensor.of(new long[2]), "Tensor.of", "2 values", "[]");
        bad(IAE, () -> Tensor.of(new double[6], 2, -3), "negative", "[2, -3]");
        bad(IAE, () -> Tensor.zeros(-1, 2), "negative", "[-1, 2]");
        bad(IAE, () -> Tensor.rand(1, 3, -1), "rand", "negative", "[3, -1]");
        bad(IAE, () -> Tensor.randn(1, -4), "randn", "[-4]");
        bad(IAE, () -> Tensor.arange(0, 5, 0, DType.FLOAT32), "arange", "step", "0");
        bad(IAE, () -> Tensor.arange(0, 5, -1, DType.FLOAT32), "arange", "step=-1");
    }

    @Test
    void expandErrors() {
        bad(IAE, () -> m23.expand(4, 3), "expand", "4", "2", "[2, 3]");
        bad(IAE, () -> m23.expand(3), "expand", "1", "2");
        bad(IAE, () -> Tensor.ones(3, 1).expand(3, -2), "expand", "-2");
        bad(IAE, () -> Tensor.ones(3).expand(-1, 3), "expand", "-1");
    }

    @Test
    void itemOnManyElements() {
        bad(IAE, () -> m23.item(), "item", "6 elements", "[2, 3]");
        bad(IAE, () -> Tensor.zeros(0).item(), "item", "0 elements");
    }

    @Test
    void freedTensor() {
        Tensor x;
        try (Scope s = Scope.open()) {
            x = Tensor.ones(5);
        }
        bad(IllegalStateException.class, () -> x.exp(), "exp", "freed");
        bad(IllegalStateException.class, () -> m23.add(x.reshape(5, 1).slice(1, 0, 1)), "freed");
        bad(IllegalStateException.class, x::toDoubleArray, "toDoubleArray", "20-byte", "freed");
    }

    @Test
    void requiresGradOnlyForFloatingLeaves() {
        bad(IAE, () -> Tensor.arange(3).setRequiresGrad(true), "setRequiresGrad", "int64");
        bad(IAE, () -> m23.gt(0).setRequiresGrad(true), "setRequiresGrad", "bool");
        Tensor y = Tensor.ones(2).setRequiresGrad(true).exp();
        bad(IAE, () -> y.setRequiresGrad(false), "setRequiresGrad", "leaf", "ExpBackward0");
    }

    @Test
    void dtypeRestrictions() {
        bad(IAE, () -> Tensor.arange(3).mean(), "mean", "int64");
        bad(IAE, () -> Tensor.arange(3).softmax(0), "softmax", "int64");
        bad(IAE, () -> Tensor.arange(3).logSoftmax(0), "log_softmax", "int64");
        bad(IAE, () -> Tensor.arange(3).var(), "var", "int64");
        bad(IAE, () -> m23.gt(0).neg(), "neg", "bool");
    }

    @Test
    void otherShapeErrors() {
        bad(IAE, () -> Tensor.ones(3).mT(), "mT", "1-D");
        bad(IAE, () -> Tensor.zeros(2, 3, 4).flatten(2, 0), "flatten", "2 > 0");
        bad(IAE, () -> Tensor.zeros(2, 0).amax(1), "amax", "dim 1", "[2, 0]");
        bad(IAE, () -> m23.clamp(Double.NaN, Double.NaN), "clamp");
    }
}
