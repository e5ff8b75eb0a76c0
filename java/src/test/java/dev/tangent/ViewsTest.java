package dev.tangent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Views share storage with PyTorch's strides and offsets; ops see through any layout; empty and broadcast corners. */
class ViewsTest {
    private Scope scope;

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    /** 0, 1, ..., n-1 as float64 of this shape. */
    static Tensor iota(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] d = new double[(int) n];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        return Tensor.of(d, shape);
    }

    static void assertView(Tensor base, Tensor view, long[] shape, long[] stride, long offset) {
        assertTrue(base.sharesStorage(view), "a view shares its base's storage");
        assertArrayEquals(shape, view.shape(), "shape");
        assertArrayEquals(stride, view.stride(), "stride");
        assertEquals(offset, view.storageOffset(), "storage offset");
    }

    // ------------------------------------------------------------------ storage sharing

    @Test
    void viewsShareStorageWithPyTorchStridesAndOffsets() {
        Tensor x = iota(2, 3, 4);
        assertArrayEquals(new long[] {12, 4, 1}, x.stride());
        assertView(x, x.reshape(6, 4), new long[] {6, 4}, new long[] {4, 1}, 0);
        assertView(x, x.reshape(-1), new long[] {24}, new long[] {1}, 0);
        assertView(x, x.view(2, 12), new long[] {2, 12}, new long[] {12, 1}, 0);
        assertView(x, x.permute(2, 0, 1), new long[] {4, 2, 3}, new long[] {1, 12, 4}, 0);
        assertView(x, x.transpose(0, 1), new long[] {3, 2, 4}, new long[] {4, 12, 1}, 0);
        assertView(x, x.T(), new long[] {4, 3, 2}, new long[] {1, 4, 12}, 0);
        assertView(x, x.mT(), new long[] {2, 4, 3}, new long[] {12, 1, 4}, 0);
        // x[:, 1:3, ::2]
        assertView(x, x.slice(1, 1, 3).slice(2, 0, 4, 2), new long[] {2, 2, 2}, new long[] {12, 4, 2}, 4);
        // x[1], x[:, -1], x[..., 2]
        assertView(x, x.select(0, 1), new long[] {3, 4}, new long[] {4, 1}, 12);
        assertView(x, x.select(1, -1), new long[] {2, 4}, new long[] {12, 1}, 8);
        assertView(x, x.select(2, 2), new long[] {2, 3}, new long[] {12, 4}, 2);
        assertView(x, x.unsqueeze(1), new long[] {2, 1, 3, 4}, new long[] {12, 12, 4, 1}, 0);
        assertView(x, x.unsqueeze(0).squeeze(0), new long[] {2, 3, 4}, new long[] {12, 4, 1}, 0);
        assertView(x, x.flatten(0, 1), new long[] {6, 4}, new long[] {4, 1}, 0);
        Tensor col = iota(3, 1);
        assertView(col, col.expand(3, 5), new long[] {3, 5}, new long[] {1, 0}, 0);
        assertView(col, col.expand(2, 3, 5), new long[] {2, 3, 5}, new long[] {0, 1, 0}, 0);
        assertView(col, col.squeeze(), new long[] {3}, new long[] {1}, 0);
        assertFalse(x.permute(2, 0, 1).isContiguous());
        assertTrue(x.select(0, 1).isContiguous());
    }

    @Test
    void viewsOfViews() {
        Tensor x = iota(4, 6);
        Tensor t = x.T();                              // [6,4] strides [1,6]
        Tensor s = t.slice(0, 1, 6, 2);                // rows 1,3,5 of x.T: [3,4] strides [2,6] offset 1
        assertTrue(x.sharesStorage(s));
        assertArrayEquals(new long[] {2, 6}, s.stride());
        assertEquals(1, s.storageOffset());
        Tensor e = s.select(1, -1);                     // x[3, 1::2]: [3] stride 2 offset 19
        assertTrue(x.sharesStorage(e));
        assertArrayEquals(new long[] {2}, e.stride());
        assertEquals(19, e.storageOffset());
        assertArrayEquals(new double[] {19, 21, 23}, e.toDoubleArray());
        Tensor u = e.unsqueeze(0).expand(2, 3);         // stride [0, 2]
        assertTrue(x.sharesStorage(u));
        assertArrayEquals(new long[] {0, 2}, u.stride());
        assertArrayEquals(new double[] {19, 21, 23, 19, 21, 23}, u.toDoubleArray());
        // reshape of a non-contiguous view that PyTorch can still view: split a strided dim
        Tensor v = iota(8, 2).select(1, 0);              // [8] stride 2
        Tensor vr = v.reshape(2, 4);
        assertTrue(v.sharesStorage(vr));
        assertArrayEquals(new long[] {8, 2}, vr.stride());
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10, 12, 14}, vr.toDoubleArray());
        // ... and one it cannot: reshape copies, view refuses
        Tensor flat = x.T().reshape(24);
        assertFalse(x.sharesStorage(flat));
        assertEquals(6.0, flat.toDoubleArray()[1]);
        assertThrows(IllegalArgumentException.class, () -> x.T().view(24));
        // slice of slice offsets compose
        Tensor ss = iota(10).slice(0, 2, 10, 2).slice(0, 1, 4, 2);   // elements 4, 8
        assertEquals(4, ss.storageOffset());
        assertArrayEquals(new long[] {4}, ss.stride());
        assertArrayEquals(new double[] {4, 8}, ss.toDoubleArray());
    }

    // ------------------------------------------------------------------ non-contiguous inputs

    /** Inputs that are views with awkward layouts, each with the values laid out contiguously. */
    static Tensor[] awkward() {
        return new Tensor[] {
            iota(3, 4).mul(0.25).sub(1).T(),                          // transposed [4,3]
            iota(4, 6).mul(0.25).sub(2).slice(1, 1, 6, 2),            // [4,3] step 2, offset 1
            iota(4, 1).mul(0.5).sub(0.75).expand(4, 3),               // expanded, stride 0
            iota(2, 4, 3).mul(0.1).select(0, 1).slice(0, 0, 4, 1),    // offset 12
        };
    }

    static void same(Function<Tensor, Tensor> op) {
        for (Tensor v : awkward()) {
            Tensor c = v.contiguous();
            assertTrue(c.isContiguous());
            Tensor a = op.apply(v);
            Tensor b = op.apply(c);
            assertArrayEquals(b.shape(), a.shape());
            double[] av = a.toDoubleArray();
            double[] bv = b.toDoubleArray();
            for (int i = 0; i < av.length; i++) {
                assertEquals(bv[i], av[i], 1e-12 * Math.max(1, Math.abs(bv[i])),
                        "element " + i + " for input with strides " + java.util.Arrays.toString(v.stride()));
            }
        }
    }

    @Test
    void contiguousCopiesOfAwkwardViewsHoldTheRightValues() {
        Tensor[] w = awkward();
        assertArrayEquals(new double[] {-1, 0, 1, -0.75, 0.25, 1.25, -0.5, 0.5, 1.5, -0.25, 0.75, 1.75},
                w[0].contiguous().toDoubleArray());
        assertArrayEquals(new double[] {-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75},
                w[1].contiguous().toDoubleArray());
        assertArrayEquals(new double[] {-0.75, -0.75, -0.75, -0.25, -0.25, -0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75},
                w[2].contiguous().toDoubleArray());
        assertEquals(1.2, w[3].contiguous().toDoubleArray()[0], 1e-15);
        assertEquals(12, w[3].storageOffset());
    }

    /**
     * Strided copies within one dtype move element bits: permuted float32 with a NaN payload, float64,
     * int64 above 2^53 and bool, each checked element by element against the index arithmetic.
     */
    @Test
    void stridedCopiesKeepEveryElementsBits() {
        int n = 2 * 3 * 4 * 5;
        float[] f = new float[n];
        double[] d = new double[n];
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            f[i] = i == 7 ? Float.intBitsToFloat(0x7fc00123) : i * 0.5f - 3;
            d[i] = i / 3.0;
            l[i] = (1L << 53) + 1 + i;
        }
        Tensor[] xs = {Tensor.of(f, 2, 3, 4, 5), Tensor.of(d, 2, 3, 4, 5), Tensor.of(l, 2, 3, 4, 5),
                Tensor.of(f, 2, 3, 4, 5).gt(0)};
        for (Tensor x : xs) {
            for (Tensor v : new Tensor[] {x.permute(0, 2, 1, 3), x.permute(3, 1, 0, 2), x.transpose(2, 3),
                    x.slice(3, 0, 5, 2)}) {
                Tensor c = v.contiguous();
                assertTrue(c.isContiguous() && !v.isContiguous(), x.dtype() + " " + java.util.Arrays.toString(v.stride()));
                long[] st = v.stride();
                long[] sh = v.shape();
                long[] got = bits(c);
                long[] src = bits(x);
                int[] idx = new int[sh.length];
                for (int e = 0; e < got.length; e++) {
                    long at = v.storageOffset();
                    for (int k = 0, r = e; k < sh.length; k++) {
                        long inner = 1;
                        for (int j = k + 1; j < sh.length; j++) {
                            inner *= sh[j];
                        }
                        idx[k] = (int) (r / inner);
                        r %= inner;
                        at += idx[k] * st[k];
                    }
                    assertEquals(src[(int) at], got[e], x.dtype() + " element " + e);
                }
            }
        }
    }

    /** A copy large enough to be split over two threads (by its outermost dim) equals the one-thread copy, bit for bit. */
    @Test
    void largeStridedCopiesOnTwoThreadsEqualOneThreads() {
        boolean fixed = Tangent.threadsFixed();
        int before = Tangent.numThreads();
        try {
            Tensor x = Tensor.randn(5, 9, 300, 256);
            Tensor[] views = {x.permute(0, 2, 1), x.slice(0, 1, 9, 2).transpose(1, 2), x.permute(2, 0, 1)};
            for (Tensor v : views) {
                Tangent.setNumThreads(1);
                float[] one = v.contiguous().toFloatArray();
                Tangent.setNumThreads(2);
                float[] two = v.contiguous().toFloatArray();
                assertArrayEquals(one, two, java.util.Arrays.toString(v.shape()) + " " + java.util.Arrays.toString(v.stride()));
                assertEquals(x.toFloatArray()[(int) (v.storageOffset() + 3 * v.stride()[0] + 5 * v.stride()[1]
                        + 7 * v.stride()[2])], one[(int) ((3 * v.size(1) + 5) * v.size(2) + 7)]);
            }
        } finally {
            if (fixed) {
                Tangent.setNumThreads(before);
            } else {
                Tangent.adaptiveThreads();
            }
        }
    }

    private static long[] bits(Tensor t) {
        return switch (t.dtype()) {
            case FLOAT32 -> {
                float[] a = t.toFloatArray();
                long[] r = new long[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = Float.floatToRawIntBits(a[i]);
                }
                yield r;
            }
            case FLOAT64 -> java.util.Arrays.stream(t.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray();
            case INT64 -> t.toLongArray();
            case BOOL -> java.util.Arrays.stream(t.toDoubleArray()).mapToLong(v -> (long) v).toArray();
        };
    }

    @Test
    void opsOnNonContiguousInputsMatchContiguousCopies() {
        same(Tensor::exp);
        same(Tensor::tanh);
        same(x -> x.mul(x).add(1));
        same(x -> x.add(iota(3)));
        same(x -> iota(4, 1).sub(x));
        same(x -> x.add(x.T().T()));
        same(x -> x.pow(2).sqrt());
        same(Tensor::sum);
        same(x -> x.sum(0));
        same(x -> x.sum(1, true));
        same(x -> x.prod(1));
        same(x -> x.amax(0));
        same(x -> x.amin(1));
        same(x -> x.var(0));
        same(x -> x.logsumexp(1));
        same(x -> x.softmax(0));
        same(x -> x.logSoftmax(1));
        same(x -> x.matmul(iota(3, 2)));
        same(x -> x.T().matmul(x));
        same(x -> x.matmul(iota(3)));
        same(x -> Tensor.where(x.gt(0), x, x.neg()));
        same(x -> Tensor.cat(0, x, x));
        same(x -> Tensor.cat(1, x, x));
        same(x -> Tensor.stack(0, x, x));
        same(x -> x.indexSelect(1, Tensor.of(new long[] {2, 0}, 2)));
        same(x -> x.indexSelect(0, Tensor.of(new long[] {3, 1}, 2)));
        same(x -> x.gather(1, Tensor.of(new long[] {2, 0, 1, 1, 0, 2, 2, 2}, 4, 2)));
        same(x -> x.index(Tensor.of(new long[] {0, 3}, 2), Tensor.of(new long[] {2, 1}, 2)));
        same(x -> x.reshape(-1));
        same(x -> x.reshape(3, 4));
        same(x -> x.toFloat().toDouble());
        same(x -> x.slice(0, 1, 4, 2));
        same(x -> x.clamp(-0.5, 0.5));
        same(x -> x.eq(x.contiguous()).sum());
    }

    @Test
    void transposedMatmulByHand() {
        // [[0,1,2],[3,4,5]].T @ [[1],[1]] = column sums
        Tensor a = iota(2, 3).T();
        assertArrayEquals(new double[] {3, 5, 7}, a.matmul(Tensor.ones(DType.FLOAT64, 2, 1)).toDoubleArray());
        Tensor e = Tensor.vector(1.0, 2.0).reshape(2, 1).expand(2, 3);
        assertArrayEquals(new double[] {3, 3, 3, 3, 3, 3, 3, 3, 3}, e.T().matmul(Tensor.ones(DType.FLOAT64, 2, 3)).toDoubleArray());
    }

    // ------------------------------------------------------------------ size 0

    @Test
    void emptyTensorsThroughOps() {
        Tensor e = Tensor.zeros(DType.FLOAT64, 0, 3);
        assertArrayEquals(new long[] {0, 3}, e.shape());
        assertEquals(0, e.numel());
        assertEquals(0.0, e.sum().item());
        assertEquals(1.0, e.prod().item());
        assertTrue(Double.isNaN(e.mean().item()), "mean of nothing is nan as in PyTorch");
        assertArrayEquals(new double[] {0, 0, 0}, e.sum(0).toDoubleArray());
        assertArrayEquals(new long[] {0}, e.sum(1).shape());
        assertArrayEquals(new long[] {1, 3}, e.sum(0, true).shape());
        assertArrayEquals(new long[] {0, 3}, e.exp().shape());
        assertArrayEquals(new long[] {0, 3}, e.add(Tensor.vector(1.0, 2.0, 3.0)).shape());
        assertArrayEquals(new long[] {0, 3}, e.softmax(1).shape());
        assertArrayEquals(new long[] {3, 0}, e.T().shape());
        assertArrayEquals(new long[] {0}, e.reshape(-1).shape());
        assertArrayEquals(new long[] {0, 3, 1}, e.unsqueeze(-1).shape());
        assertArrayEquals(new long[] {0, 2}, e.matmul(Tensor.ones(DType.FLOAT64, 3, 2)).shape());
        // [2,0] @ [0,3]: a sum over nothing is zeros
        Tensor z = Tensor.zeros(DType.FLOAT64, 2, 0).matmul(Tensor.zeros(DType.FLOAT64, 0, 3));
        assertArrayEquals(new long[] {2, 3}, z.shape());
        assertArrayEquals(new double[6], z.toDoubleArray());
        Tensor c = Tensor.cat(0, e, Tensor.ones(DType.FLOAT64, 2, 3));
        assertArrayEquals(new long[] {2, 3}, c.shape());
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, c.toDoubleArray());
        assertArrayEquals(new long[] {0, 2}, e.slice(1, 1, 3).shape());
        assertArrayEquals(new long[] {0}, Tensor.arange(5).slice(0, 3, 3).shape());
        assertArrayEquals(new long[0], Tensor.vector(new double[0]).toLongArray());
        assertArrayEquals(new long[] {0, 3}, e.indexSelect(0, Tensor.of(new long[0], 0)).shape());
        assertArrayEquals(new long[] {3, 0}, Tensor.ones(3, 2).indexSelect(1, Tensor.of(new long[0], 0)).shape());
        Tensor v = Tensor.zeros(4, 0).var(1, false, false);
        assertArrayEquals(new long[] {4}, v.shape());
        assertTrue(Double.isNaN(v.toDoubleArray()[0]), "variance over an empty dim is nan");
    }

    // ------------------------------------------------------------------ broadcasting corners

    @Test
    void broadcastingCorners() {
        // [1] + [3,1,4] -> [3,1,4]
        Tensor a = Tensor.vector(10.0).add(iota(3, 1, 4));
        assertArrayEquals(new long[] {3, 1, 4}, a.shape());
        assertEquals(10.0 + 11, a.toDoubleArray()[11]);
        // [] + [2,3] -> [2,3]
        Tensor b = Tensor.scalar(0.5).add(iota(2, 3));
        assertArrayEquals(new long[] {2, 3}, b.shape());
        assertArrayEquals(new double[] {0.5, 1.5, 2.5, 3.5, 4.5, 5.5}, b.toDoubleArray());
        // [3,0] + [1] -> [3,0]; [3,0] + [3,1] -> [3,0]; [0] + [1] -> [0]
        assertArrayEquals(new long[] {3, 0}, Tensor.zeros(DType.FLOAT64, 3, 0).add(Tensor.vector(1.0)).shape());
        assertArrayEquals(new long[] {3, 0}, Tensor.zeros(DType.FLOAT64, 3, 0).mul(iota(3, 1)).shape());
        assertArrayEquals(new long[] {0}, Tensor.zeros(DType.FLOAT64, 0).add(Tensor.vector(1.0)).shape());
        // [4,1] * [1,5] -> outer product
        Tensor o = iota(4, 1).mul(iota(1, 5));
        assertArrayEquals(new long[] {4, 5}, o.shape());
        assertEquals(3.0 * 4, o.toDoubleArray()[19]);
        // [2,1,3] vs [4,1] -> [2,4,3]
        Tensor p = iota(2, 1, 3).sub(iota(4, 1));
        assertArrayEquals(new long[] {2, 4, 3}, p.shape());
        // element [1, 2, 0]: x[1,0,0]=3 minus y[2,0]=2
        assertEquals(1.0, p.toDoubleArray()[1 * 12 + 2 * 3]);
        // [] + [] stays 0-dim
        assertArrayEquals(new long[0], Tensor.scalar(1.0).add(Tensor.scalar(2.0)).shape());
        // comparisons and where broadcast the same way
        assertArrayEquals(new long[] {3, 1, 4}, Tensor.vector(10.0).lt(iota(3, 1, 4)).shape());
        assertArrayEquals(new long[] {2, 3}, Tensor.where(Tensor.scalar(1.0).gt(0), iota(2, 3), 0.0).shape());
    }
}
