package dev.tangent.backend.cuda;

import dev.tangent.backend.HostRoundTrip;
import dev.tangent.backend.Operand;
import dev.tangent.backend.Backends;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;

/**
 * The ops Tangent's CUDA kernels do not cover (int64 and bool arithmetic, int64 casts, layouts of
 * more than 8 non-mergeable dims, and for now convolution, pooling and normalisation), run by the CPU backend on host copies of the operands' storages.
 * Correct but synchronizing: fine for index bookkeeping, not for hot float paths (which never come
 * here). Stateless; thread-safe.
 */
final class CpuFallback {
    private CpuFallback() {}

    static void unary(Prim op, Attrs.Scalars attrs, Operand x, Operand out) {
        HostRoundTrip.run(new Operand[] {x, out}, new boolean[] {false, true}, h -> Backends.cpu().unary(op, attrs, h[0], h[1]));
    }

    static void binary(Prim op, Operand a, Operand b, Operand out) {
        HostRoundTrip.run(new Operand[] {a, b, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().binary(op, h[0], h[1], h[2]));
    }

    static void where(Operand mask, Operand a, Operand b, Operand out) {
        HostRoundTrip.run(new Operand[] {mask, a, b, out}, new boolean[] {false, false, false, true},
                h -> Backends.cpu().where(h[0], h[1], h[2], h[3]));
    }

    static void reduce(Prim op, Operand x, Operand out) {
        HostRoundTrip.run(new Operand[] {x, out}, new boolean[] {false, true}, h -> Backends.cpu().reduce(op, h[0], h[1]));
    }

    static void copy(Operand src, Operand dst) {
        HostRoundTrip.run(new Operand[] {src, dst}, new boolean[] {false, true}, h -> Backends.cpu().copy(h[0], h[1]));
    }

    static void fill(Operand out, double value) {
        HostRoundTrip.run(new Operand[] {out}, new boolean[] {true}, h -> Backends.cpu().fill(h[0], value));
    }

    static void conv2d(Attrs.Conv a, Operand x, Operand w, Operand out) {
        HostRoundTrip.run(new Operand[] {x, w, out}, new boolean[] {false, false, true},
                h -> Backends.cpu().conv2d(a, h[0], h[1], h[2]));
    }

    static void conv2dInputGrad(Attrs.Conv a, Operand g, Operand w, Operand gx) {
        HostRoundTrip.run(new Operand[] {g, w, gx}, new boolean[] {false, false, true},
                h -> Backends.cpu().conv2dInputGrad(a, h[0], h[1], h[2]));
    }

    static void conv2dWeightGrad(Attrs.Conv a, Operand x, Operand g, Operand gw) {
        HostRoundTrip.run(new Operand[] {x, g, gw}, new boolean[] {false, false, true},
                h -> Backends.cpu().conv2dWeightGrad(a, h[0], h[1], h[2]));
    }

    static void maxPool2d(Attrs.Pool a, Operand x, Operand out, Operand indices) {
        if (out == null || indices == null) {
            Operand only = out != null ? out : indices;
            HostRoundTrip.run(new Operand[] {x, only}, new boolean[] {false, true},
                    h -> Backends.cpu().maxPool2d(a, h[0], out != null ? h[1] : null, out != null ? null : h[1]));
            return;
        }
        HostRoundTrip.run(new Operand[] {x, out, indices}, new boolean[] {false, true, true},
                h -> Backends.cpu().maxPool2d(a, h[0], h[1], h[2]));
    }

    static void avgPool2d(Attrs.Pool a, Operand x, Operand out) {
        HostRoundTrip.run(new Operand[] {x, out}, new boolean[] {false, true},
                h -> Backends.cpu().avgPool2d(a, h[0], h[1]));
    }

    static void avgPool2dGrad(Attrs.Pool a, Operand g, Operand gx) {
        HostRoundTrip.run(new Operand[] {g, gx}, new boolean[] {false, true},
                h -> Backends.cpu().avgPool2dGrad(a, h[0], h[1]));
    }

    static void norm(Prim op, Attrs a, Operand[] in, Operand out) {
        Operand[] all = java.util.Arrays.copyOf(in, in.length + 1);
        all[in.length] = out;
        boolean[] written = new boolean[all.length];
        written[in.length] = true;
        HostRoundTrip.run(all, written, h -> Backends.cpu().norm(op, a, java.util.Arrays.copyOf(h, in.length), h[in.length]));
    }
}
