package dev.tangent.backend.cpu;

import static dev.tangent.backend.cpu.Elements.F32;
import static dev.tangent.backend.cpu.Elements.F64;
import static dev.tangent.backend.cpu.Elements.I64;
import static dev.tangent.backend.cpu.Elements.U8;
import static dev.tangent.backend.cpu.Elements.get;
import static dev.tangent.backend.cpu.Elements.set;

import dev.tangent.DType;
import dev.tangent.backend.Operand;
import dev.tangent.ops.Prim;
import dev.tangent.ops.Shapes;
import java.lang.foreign.MemorySegment;

/** Batched matmul as Java loops (float64, and float32 below the accelerator's cut-over). */
final class JavaMatmul {
    private JavaMatmul() {}

    static void matmul(Operand a, Operand b, Operand out) {
        long[] os = out.shape();
        int r = os.length;
        long m = os[r - 2];
        long n = os[r - 1];
        long k = a.shape()[r - 1];
        long[] batch = java.util.Arrays.copyOf(os, r - 2);
        long[] ast = a.strides();
        long[] bst = b.strides();
        long[] ost = out.strides();
        long sam = ast[r - 2];
        long sak = ast[r - 1];
        long sbk = bst[r - 2];
        long sbn = bst[r - 1];
        long som = ost[r - 2];
        long son = ost[r - 1];
        MemorySegment as = a.storage().segment();
        MemorySegment bs = b.storage().segment();
        MemorySegment o = out.storage().segment();
        DType dt = out.dtype();
        long[] batchA = java.util.Arrays.copyOf(ast, r - 2);
        long[] batchB = java.util.Arrays.copyOf(bst, r - 2);
        long[] batchO = java.util.Arrays.copyOf(ost, r - 2);
        StridedLoop.forEach(batch.length == 0 ? new long[] {1} : batch,
                batch.length == 0 ? new long[][] {{0}, {0}, {0}} : new long[][] {batchA, batchB, batchO},
                new long[] {a.offset(), b.offset(), 0},
                (offs, len, inner) -> {
                    for (long q = 0; q < len; q++) {
                        long ao = offs[0] + q * inner[0];
                        long bo = offs[1] + q * inner[1];
                        long oo = offs[2] + q * inner[2];
                        if (dt == DType.FLOAT64) {
                            for (long i = 0; i < m; i++) {
                                for (long j = 0; j < n; j++) {
                                    o.setAtIndex(F64, oo + i * som + j * son, 0.0);
                                }
                                for (long p = 0; p < k; p++) {
                                    double av = as.getAtIndex(F64, ao + i * sam + p * sak);
                                    long brow = bo + p * sbk;
                                    long orow = oo + i * som;
                                    for (long j = 0; j < n; j++) {
                                        long oi = orow + j * son;
                                        o.setAtIndex(F64, oi, o.getAtIndex(F64, oi) + av * bs.getAtIndex(F64, brow + j * sbn));
                                    }
                                }
                            }
                        } else {
                            for (long i = 0; i < m; i++) {
                                for (long j = 0; j < n; j++) {
                                    o.setAtIndex(F32, oo + i * som + j * son, 0f);
                                }
                                for (long p = 0; p < k; p++) {
                                    float av = as.getAtIndex(F32, ao + i * sam + p * sak);
                                    long brow = bo + p * sbk;
                                    long orow = oo + i * som;
                                    for (long j = 0; j < n; j++) {
                                        long oi = orow + j * son;
                                        o.setAtIndex(F32, oi, o.getAtIndex(F32, oi) + av * bs.getAtIndex(F32, brow + j * sbn));
                                    }
                                }
                            }
                        }
                    }
                });
    }
}
