package dev.tangent.backend.cuda;

import static dev.tangent.backend.cuda.CudaTests.GPU;
import static dev.tangent.backend.cuda.CudaTests.assertClose;
import static dev.tangent.backend.cuda.CudaTests.requireCuda;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.backend.Backends;
import dev.tangent.engine.Dispatch;
import dev.tangent.engine.TensorAccess;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every CUDA kernel path against the CPU backend on awkward sizes (1, 4, 13, 1000, 4098, 2^16+3),
 * strided, transposed and broadcast layouts, both float dtypes. Skipped without a GPU.
 */
class CudaOpsTest {
    static final long[] SIZES = {1, 4, 13, 1000, 4098, 65539};
    static final DType[] FLOATS = {DType.FLOAT32, DType.FLOAT64};

    static double tol(DType t) {
        return t == DType.FLOAT32 ? 2e-5 : 1e-12;
    }

    /** f on the CPU and on the GPU (inputs copied there) must agree. */
    static void same(String what, double tol, Function<Tensor[], Tensor> f, Tensor... cpuInputs) {
        try (Scope s = Scope.open()) {
            Tensor expected = f.apply(cpuInputs);
            Tensor[] g = new Tensor[cpuInputs.length];
            for (int i = 0; i < g.length; i++) {
                g[i] = cpuInputs[i].to(GPU);
            }
            assertClose(what, expected, f.apply(g), tol);
        }
    }

    static Tensor data(long seed, DType t, long... shape) {
        return Tensor.rand(seed, shape).mul(1.6).sub(0.8).to(t);
    }

    @Test
    void unaryOpsEveryCodeContiguousAndStrided() {
        requireCuda();
        for (DType t : FLOATS) {
            for (long n : SIZES) {
                Tensor x = data(n, t, n);
                for (Prim p : Prim.values()) {
                    if (p.kind() != Prim.Kind.UNARY) {
                        continue;
                    }
                    Attrs a = switch (p) {
                        case LEAKY_RELU -> new Attrs.Scalars(0.01, 0);
                        case ELU -> new Attrs.Scalars(1.0, 0);
                        case SOFTPLUS -> new Attrs.Scalars(1.0, 20.0);
                        case CLAMP -> new Attrs.Scalars(-0.5, 0.25);
                        case POW_SCALAR -> new Attrs.Scalars(2.5, 0);
                        default -> Attrs.Scalars.NONE;
                    };
                    double tl = t == DType.FLOAT32 ? 5e-5 : 1e-11;
                    same(p + " " + t + " n=" + n, tl, in -> Dispatch.apply(p, a, in[0]), x);
                }
            }
            // strided (transposed) input
            Tensor m = data(3, t, 37, 29);
            same("exp of a transpose " + t, tol(t), in -> in[0].mT().exp(), m);
            same("tanh of a slice " + t, tol(t), in -> in[0].slice(1, 3, 27, 2).tanh(), m);
        }
    }

    @Test
    void binaryCompareAndWhereWithBroadcasting() {
        requireCuda();
        for (DType t : FLOATS) {
            for (long n : SIZES) {
                Tensor a = data(n, t, n);
                Tensor b = data(n + 1, t, n).add(0.1);
                for (Prim p : new Prim[] {Prim.ADD, Prim.SUB, Prim.MUL, Prim.DIV, Prim.MAXIMUM, Prim.MINIMUM}) {
                    same(p + " " + t + " n=" + n, tol(t), in -> Dispatch.apply(p, Attrs.NONE, in[0], in[1]), a, b);
                }
                same("pow " + t, 1e-4, in -> in[0].abs().pow(in[1]), a, b);
                same("gt " + t, 0, in -> in[0].gt(in[1]), a, b);
                same("le scalar " + t, 0, in -> in[0].le(0.1), a);
                same("where " + t, 0, in -> Tensor.where(in[0].gt(in[1]), in[0], in[1]), a, b);
            }
            Tensor col = data(1, t, 13, 1);
            Tensor row = data(2, t, 1, 17);
            same("outer add " + t, tol(t), in -> in[0].add(in[1]), col, row);
            same("outer div " + t, tol(t), in -> in[0].div(in[1].add(2)), col, row);
            same("scalar mul " + t, tol(t), in -> in[0].mul(3.0), row);
            same("where broadcast " + t, 0, in -> Tensor.where(in[0].gt(0), in[0], in[1]), col, row);
            Tensor m = data(5, t, 33, 65);
            same("transpose + row " + t, tol(t), in -> in[0].mT().mul(in[1]), m, data(6, t, 1, 33));
        }
    }

    @Test
    void reductionsOverEveryDimChoice() {
        requireCuda();
        for (DType t : FLOATS) {
            double tl = t == DType.FLOAT32 ? 1e-4 : 1e-10;
            for (long n : SIZES) {
                Tensor x = data(n, t, n);
                same("sum n=" + n + " " + t, tl, in -> in[0].sum(), x);
                same("amax n=" + n + " " + t, 0, in -> in[0].amax(), x);
                same("amin n=" + n + " " + t, 0, in -> in[0].amin(), x);
                same("prod n=" + Math.min(n, 13) + " " + t, tl, in -> in[0].slice(0, 0, Math.min(n, 13)).add(1).prod(), x);
            }
            Tensor x = data(9, t, 7, 300, 5);
            same("sum dim0 " + t, tl, in -> in[0].sum(0), x);
            same("sum dim1 " + t, tl, in -> in[0].sum(1), x);
            same("sum dim2 keepdim " + t, tl, in -> in[0].sum(2, true), x);
            same("amax dims 0,2 " + t, 0, in -> in[0].amax(new int[] {0, 2}, false), x);
            same("mean dim1 " + t, tl, in -> in[0].mean(1), x);
            same("sum of transpose " + t, tl, in -> in[0].mT().sum(1), data(3, t, 37, 41));
            // few long rows: the split reduction
            same("split sum " + t, t == DType.FLOAT32 ? 1e-3 : 1e-9, in -> in[0].sum(1), data(4, t, 3, 100003));
            same("split amax " + t, 0, in -> in[0].amax(1), data(5, t, 2, 70000));
        }
    }

    @Test
    void softmaxAlongEveryDim() {
        requireCuda();
        for (DType t : FLOATS) {
            Tensor x = data(1, t, 6, 257, 3);
            for (int d = 0; d < 3; d++) {
                int dim = d;
                same("softmax dim " + d + " " + t, tol(t) * 5, in -> in[0].softmax(dim), x);
                same("log_softmax dim " + d + " " + t, tol(t) * 5, in -> in[0].logSoftmax(dim), x);
            }
            same("softmax of a transpose " + t, tol(t) * 5, in -> in[0].mT().softmax(1), data(2, t, 40, 9));
        }
    }

    @Test
    void matmulShapesLayoutsAndBatches() {
        requireCuda();
        for (DType t : FLOATS) {
            double tl = t == DType.FLOAT32 ? 1e-4 : 1e-11;
            long[][] mkn = {{1, 1, 1}, {4, 4, 4}, {13, 7, 5}, {1, 784, 1024}, {33, 1, 17}, {129, 65, 3}};
            for (long[] s : mkn) {
                Tensor a = data(1, t, s[0], s[1]);
                Tensor b = data(2, t, s[1], s[2]);
                String d = s[0] + "x" + s[1] + "x" + s[2] + " " + t;
                same("mm " + d, tl, in -> in[0].matmul(in[1]), a, b);
                same("mm A^T " + d, tl, in -> in[0].mT().contiguous().mT().matmul(in[1]), a, b);
                same("mm B^T " + d, tl, in -> in[0].matmul(in[1].mT().contiguous().mT()), a, b);
            }
            same("batched " + t, tl, in -> in[0].matmul(in[1]), data(3, t, 5, 7, 9), data(4, t, 5, 9, 6));
            same("batch-broadcast weight " + t, tl, in -> in[0].matmul(in[1]), data(3, t, 2, 3, 7, 9), data(4, t, 9, 6));
            same("broadcast both " + t, tl, in -> in[0].matmul(in[1]), data(3, t, 2, 1, 7, 9), data(4, t, 1, 3, 9, 6));
            same("transposed batch " + t, tl, in -> in[0].mT().matmul(in[1]), data(5, t, 4, 9, 7), data(6, t, 4, 9, 5));
            same("sliced operand " + t, tl, in -> in[0].slice(1, 1, 9, 2).matmul(in[1]), data(7, t, 6, 10), data(8, t, 4, 3));
            same("k = 0 " + t, 0, in -> in[0].slice(1, 0, 0).matmul(in[1].slice(0, 0, 0)), data(9, t, 3, 4), data(10, t, 4, 2));
        }
    }

    @Test
    void tf32MatmulIsCloseButOptIn() {
        requireCuda();
        Tensor a = data(1, DType.FLOAT32, 256, 512);
        Tensor b = data(2, DType.FLOAT32, 512, 128);
        try {
            CudaBackend.allowTf32(true);
            same("tf32 mm", 2e-2, in -> in[0].matmul(in[1]), a, b);
        } finally {
            CudaBackend.allowTf32(false);
        }
        same("fp32 mm after tf32", 1e-4, in -> in[0].matmul(in[1]), a, b);
    }

    @Test
    void copiesCastsFillsAndIntegers() {
        requireCuda();
        for (long n : SIZES) {
            Tensor x = data(n, DType.FLOAT32, n);
            same("f32->f64 n=" + n, 0, in -> in[0].to(DType.FLOAT64), x);
            same("f64->f32 n=" + n, 0, in -> in[0].to(DType.FLOAT32), x.to(DType.FLOAT64));
            same("f32->bool->f32 n=" + n, 0, in -> in[0].gt(0).to(DType.FLOAT32), x);
            same("contiguous of transpose", 0, in -> in[0].reshape(1, n).mT().contiguous(), x);
        }
        same("int64 round trip", 0, in -> in[0].add(in[0]).mul(in[0]), Tensor.arange(1000));
        same("int64 -> f32", 0, in -> in[0].to(DType.FLOAT32), Tensor.arange(1000));
        same("int64 sum", 0, in -> in[0].sum(), Tensor.arange(4099));
        same("cat", 0, in -> Tensor.cat(0, in[0], in[1]), data(1, DType.FLOAT64, 3, 5), data(2, DType.FLOAT64, 4, 5));
        try (Scope s = Scope.open()) {
            for (DType t : DType.values()) {
                Tensor f = Tensor.full(3, t, GPU, 1001);
                double each = t == DType.BOOL ? 1 : 3;
                assertEquals(each * 1001, f.to(Device.cpu()).to(DType.FLOAT64).sum().item(), t.toString());
            }
            Tensor big = Tensor.full(-7.0e15, DType.INT64, GPU, 5);
            assertArrayEquals(new long[] {-7000000000000000L, -7000000000000000L, -7000000000000000L,
                    -7000000000000000L, -7000000000000000L}, big.toLongArray());
        }
    }

    @Test
    void indexOpsMatchTheCpu() {
        requireCuda();
        for (DType t : FLOATS) {
            Tensor x = data(1, t, 6, 9);
            Tensor idx = Tensor.of(new long[] {5, 0, 2, 2, -1}, 5);
            same("index_select dim0 " + t, 0, in -> in[0].indexSelect(0, in[1]), x, idx);
            same("index_select dim1 " + t, 0, in -> in[0].indexSelect(1, in[1]), x, idx);
            Tensor gi = Tensor.of(new long[] {0, 8, 3, 3, 1, 7}, 2, 3);
            same("gather " + t, 0, in -> in[0].gather(1, in[1]), x, gi);
            try (Scope s = Scope.open()) {
                Tensor[] outs = new Tensor[2];
                for (Device dev : new Device[] {Device.cpu(), GPU}) {
                    Tensor out = Tensor.full(0, t, dev, 6, 9);
                    Tensor src = data(2, t, 4, 9).to(dev);
                    Tensor i = Tensor.of(new long[] {1, 1, 4, 0}, 4).to(dev);
                    Backends.of(dev).indexAdd(o(out), 0, o(i), o(src));
                    Tensor out2 = Tensor.full(0, t, dev, 6, 9);
                    Tensor gidx = Tensor.of(new long[] {0, 5, 5, 2, 1, 1, 0, 3, 4}, 1, 9).expand(4, 9).contiguous().to(dev);
                    Backends.of(dev).scatterAdd(o(out2), 0, o(gidx), o(src));
                    outs[dev.isCpu() ? 0 : 1] = out.add(out2);
                }
                assertClose("index_add + scatter_add " + t, outs[0], outs[1], tol(t));
            }
        }
    }

    private static dev.tangent.backend.Operand o(Tensor t) {
        return TensorAccess.get().value(t);
    }
}
