package dev.tangent.nonfinite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tangent.DType;
import dev.tangent.Device;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.CpuBackend;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.functional.Func;
import dev.tangent.functional.Functional;
import dev.tangent.golden.Json;
import dev.tangent.nn.F;
import dev.tangent.ops.Prim;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * PyTorch's results at NaN, ±inf, ±0 and subnormal inputs, for values, jvps and vjps of every
 * primitive, on every CPU kernel set: the table {@code nonfinite/nonfinite_table.json} (written by
 * {@code gen_table.py} beside it with PyTorch) run through Tensor ops and {@link F} on the Java
 * kernels, oneDNN with cut-overs 0, Tangent's native kernels, and native + oneDNN. NaN-ness,
 * infinities and the sign of zero must match exactly; finite values to the golden suite's tolerance
 * ({@code |a - b| <= tol * max(1, |b|)}, 1e-5 float32, 1e-10 float64); integers and bools exactly.
 * Each row is also run tiled 33 times (vector bodies and tails of the native and oneDNN kernels).
 *
 * <p>Per row and backend: the value; the jvp with respect to each differentiable input by
 * {@link Func#jvp} (fused kernels where they exist) and by {@link Functional#jvp} with
 * create_graph (the rule as Tensor operations); the vjp by {@link Functional#vjp} without and with
 * create_graph.
 */
class NonFiniteTest {
    private static final String RESOURCE = "/nonfinite/nonfinite_table.json";
    private static List<Map<String, Object>> rows;
    private static DnnlAccelerator onednn;
    private static final Set<String> FAILURES = new TreeSet<>();

    /**
     * Convolutions whose non-finite weights meet the zero padding: PyTorch's CPU convolution gives
     * NaN there only on its im2col path (small shapes, as in the table); on its mkldnn (oneDNN)
     * path, which it takes for most real shapes, the padded zeros are never multiplied and the
     * values stay finite. Checked with torch 2.13: {@code conv2d} of a [16, 2, 32, 32] input, a
     * 3x3 weight holding one inf, padding 1: 0 NaN with {@code torch.backends.mkldnn} enabled,
     * 16,384 with it disabled. On Tangent's oneDNN kernel sets these rows accept either.
     */
    static final Set<String> MKLDNN_CONV_ROWS = Set.of("conv2d inf weight pad 1/float32");
    private static boolean mkldnnConv;

    /** The kernel sets a row runs on. */
    enum Kernels { JAVA, ONEDNN, NATIVE, NATIVE_ONEDNN }

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        try (InputStream in = NonFiniteTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + RESOURCE);
            }
            Map<String, Object> table = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            rows = new ArrayList<>();
            for (Object r : (List<Object>) table.get("rows")) {
                rows.add((Map<String, Object>) r);
            }
        }
        if (DnnlLibrary.isAvailable()) {
            onednn = new DnnlAccelerator(512);
            onednn.cutovers(0, 0);
        }
    }

    @AfterAll
    static void summary() {
        if (!FAILURES.isEmpty()) {
            System.err.println("NonFiniteTest: " + FAILURES.size() + " deviations");
            FAILURES.forEach(f -> System.err.println("  " + f));
        }
    }

    /** Every primitive has at least one row. */
    @Test
    @SuppressWarnings("unchecked")
    void everyPrimitiveHasRows() throws IOException {
        if (rows == null) {
            load();
        }
        Set<Prim> covered = EnumSet.noneOf(Prim.class);
        for (Map<String, Object> r : rows) {
            for (Object p : (List<Object>) r.get("prims")) {
                covered.add(Prim.valueOf((String) p));
            }
        }
        Set<Prim> missing = EnumSet.complementOf(EnumSet.copyOf(covered));
        assertTrue(missing.isEmpty(), "primitives without rows in " + RESOURCE + ": " + missing);
    }

    @TestFactory
    Stream<DynamicTest> java() {
        return tests(Kernels.JAVA);
    }

    @TestFactory
    Stream<DynamicTest> onednn() {
        return tests(Kernels.ONEDNN);
    }

    @TestFactory
    Stream<DynamicTest> nativeKernels() {
        return tests(Kernels.NATIVE);
    }

    @TestFactory
    Stream<DynamicTest> nativeAndOnednn() {
        return tests(Kernels.NATIVE_ONEDNN);
    }

    private Stream<DynamicTest> tests(Kernels k) {
        return rows.stream().map(r -> DynamicTest.dynamicTest((String) r.get("name"), () -> runRow(k, r)));
    }

    // ------------------------------------------------------------------ running a row

    private static synchronized void runRow(Kernels k, Map<String, Object> row) {
        boolean dnnl = k == Kernels.ONEDNN || k == Kernels.NATIVE_ONEDNN;
        boolean nat = k == Kernels.NATIVE || k == Kernels.NATIVE_ONEDNN;
        Assumptions.assumeTrue(!dnnl || onednn != null, "oneDNN is not available");
        CpuBackend cpu = Backends.cpu();
        var prevAcc = cpu.accelerator();
        boolean prevNative = cpu.nativeKernels();
        cpu.accelerator(dnnl ? onednn : null);
        cpu.nativeKernels(nat);
        try {
            Assumptions.assumeTrue(!nat || cpu.nativeKernels(), "libtangent_cpu.so is not loaded");
            List<String> errors = new ArrayList<>();
            mkldnnConv = dnnl && MKLDNN_CONV_ROWS.contains((String) row.get("name"));
            check(row, 1, errors);
            if (isElementwise(row)) {
                check(row, 33, errors);
            }
            if (!errors.isEmpty()) {
                for (String e : errors) {
                    FAILURES.add(k + " " + row.get("name") + ": " + e);
                }
                throw new AssertionError(k + " " + row.get("name") + ": " + errors.size() + " deviations from PyTorch:\n  "
                        + String.join("\n  ", errors.subList(0, Math.min(errors.size(), 40))));
            }
        } finally {
            cpu.accelerator(prevAcc);
            cpu.nativeKernels(prevNative);
        }
    }

    /** Element-wise rows (1-D inputs of one length) are also run tiled. */
    @SuppressWarnings("unchecked")
    private static boolean isElementwise(Map<String, Object> row) {
        for (Object p : (List<Object>) row.get("prims")) {
            Prim prim = Prim.valueOf((String) p);
            Prim.Kind kind = prim.kind();
            if (kind == Prim.Kind.UNARY || kind == Prim.Kind.BINARY || kind == Prim.Kind.COMPARE
                    || kind == Prim.Kind.WHERE || prim == Prim.CAST) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static void check(Map<String, Object> row, int tiles, List<String> errors) {
        String op = (String) row.get("op");
        double[] args = ((List<Object>) row.get("args")).stream().mapToDouble(a -> parse((String) a)).toArray();
        List<Map<String, Object>> inSpecs = (List<Map<String, Object>>) row.get("inputs");
        List<Integer> diff = ((List<Object>) row.get("diff")).stream().map(o -> ((Double) o).intValue()).toList();
        String tag = tiles == 1 ? "" : " (tiled x" + tiles + ")";
        try (Scope s = Scope.open()) {
            List<Tensor> in = new ArrayList<>();
            for (Map<String, Object> spec : inSpecs) {
                in.add(tensor(spec, tiles));
            }
            Function<List<Tensor>, Tensor> f = l -> apply(op, args, l);
            compare("value" + tag, row, (Map<String, Object>) row.get("out"), null, f.apply(in), tiles, errors);

            List<Map<String, Object>> tangents = (List<Map<String, Object>>) row.get("tangents");
            for (Map<String, Object> jvp : (List<Map<String, Object>>) row.get("jvp")) {
                int i = ((Double) jvp.get("input")).intValue();
                Tensor x = in.get(i);
                Tensor t = tangents != null && tangents.get(i) != null ? tensor(tangents.get(i), tiles) : Tensor.onesLike(x);
                Function<Tensor, Tensor> fi = xi -> {
                    List<Tensor> l = new ArrayList<>(in);
                    l.set(i, xi);
                    return f.apply(l);
                };
                compare("jvp[" + i + "]" + tag, row, jvp, null, Func.jvp(fi, x, t).jvp(), tiles, errors);
                compare("jvp[" + i + "] rule" + tag, row, jvp, null, Functional.jvp(fi, x, t, true, false).jvp(),
                        tiles, errors);
            }
            List<Map<String, Object>> vjps = (List<Map<String, Object>>) row.get("vjp");
            if (!diff.isEmpty()) {
                Function<Value, Tensor> fd = v -> {
                    List<Tensor> l = new ArrayList<>(in);
                    for (int k = 0; k < diff.size(); k++) {
                        l.set(diff.get(k), v instanceof Tuple tu ? tu.get(k) : (Tensor) v);
                    }
                    return f.apply(l);
                };
                Value inputs = diff.size() == 1 ? in.get(diff.get(0))
                        : Tuple.of(diff.stream().map(in::get).toArray(Tensor[]::new));
                Tensor out = f.apply(in);
                Map<String, Object> cotSpec = (Map<String, Object>) row.get("cotangent");
                Tensor cot = cotSpec != null ? tensor(cotSpec, tiles) : Tensor.onesLike(out);
                for (boolean graph : new boolean[] {false, true}) {
                    Value g = Functional.vjp(fd, inputs, cot, graph, false).vjp();
                    for (int k = 0; k < diff.size(); k++) {
                        Tensor gk = g instanceof Tuple tu ? tu.get(k) : (Tensor) g;
                        compare("vjp[" + diff.get(k) + "]" + (graph ? " rule" : "") + tag, row, vjps.get(k), null, gk,
                                tiles, errors);
                    }
                }
            }
        } catch (RuntimeException e) {
            errors.add("threw " + e);
        }
    }

    // ------------------------------------------------------------------ ops (names shared with gen_table.py)

    private static final DType[] CAST_TARGET = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.BOOL};

    static Tensor apply(String op, double[] a, List<Tensor> in) {
        Tensor x = in.get(0);
        return switch (op) {
            case "neg" -> x.neg();
            case "abs" -> x.abs();
            case "sign" -> x.sign();
            case "exp" -> x.exp();
            case "expm1" -> x.expm1();
            case "log" -> x.log();
            case "log1p" -> x.log1p();
            case "sqrt" -> x.sqrt();
            case "rsqrt" -> x.rsqrt();
            case "reciprocal" -> x.reciprocal();
            case "square" -> x.square();
            case "sin" -> x.sin();
            case "cos" -> x.cos();
            case "tan" -> x.tan();
            case "asin" -> x.asin();
            case "acos" -> x.acos();
            case "atan" -> x.atan();
            case "sinh" -> x.sinh();
            case "cosh" -> x.cosh();
            case "tanh" -> F.tanh(x);
            case "asinh" -> x.asinh();
            case "acosh" -> x.acosh();
            case "atanh" -> x.atanh();
            case "erf" -> x.erf();
            case "sigmoid" -> F.sigmoid(x);
            case "relu" -> F.relu(x);
            case "silu" -> F.silu(x);
            case "gelu" -> F.gelu(x);
            case "gelu_tanh" -> F.gelu(x, true);
            case "leaky_relu" -> F.leakyRelu(x, a[0]);
            case "elu" -> F.elu(x, a[0]);
            case "softplus" -> x.softplus(a[0], a[1]);
            case "clamp" -> x.clamp(a[0], a[1]);
            case "pow_scalar" -> x.pow(a[0]);
            case "add" -> x.add(in.get(1));
            case "sub" -> x.sub(in.get(1));
            case "mul" -> x.mul(in.get(1));
            case "div" -> x.div(in.get(1));
            case "pow" -> x.pow(in.get(1));
            case "maximum" -> x.maximum(in.get(1));
            case "minimum" -> x.minimum(in.get(1));
            case "gt" -> x.gt(in.get(1));
            case "ge" -> x.ge(in.get(1));
            case "lt" -> x.lt(in.get(1));
            case "le" -> x.le(in.get(1));
            case "eq" -> x.eq(in.get(1));
            case "ne" -> x.ne(in.get(1));
            case "where" -> Tensor.where(x, in.get(1), in.get(2));
            case "sum" -> a.length == 0 ? x.sum() : x.sum((int) a[0]);
            case "prod" -> a.length == 0 ? x.prod() : x.prod((int) a[0]);
            case "amax" -> a.length == 0 ? x.amax() : x.amax((int) a[0]);
            case "amin" -> a.length == 0 ? x.amin() : x.amin((int) a[0]);
            case "mean" -> x.mean((int) a[0]);
            case "logsumexp" -> x.logsumexp((int) a[0]);
            case "norm" -> x.norm(new int[] {(int) a[0]}, false);
            case "var" -> x.var((int) a[0]);
            case "var_all" -> x.var();
            case "std" -> x.std((int) a[0]);
            case "hardswish" -> F.hardswish(x);
            case "softmax" -> F.softmax(x, (int) a[0]);
            case "log_softmax" -> F.logSoftmax(x, (int) a[0]);
            case "matmul" -> x.matmul(in.get(1));
            case "reshape" -> x.reshape(longs(a));
            case "permute" -> x.permute(ints(a));
            case "expand" -> x.expand(longs(a));
            case "slice" -> x.slice((int) a[0], (long) a[1], (long) a[2], (long) a[3]);
            case "contiguous" -> x.mT().contiguous();
            case "to_device" -> x.to(Device.cpu());
            case "cast" -> x.to(CAST_TARGET[(int) a[0]]);
            case "index_select" -> x.indexSelect((int) a[0], in.get(1));
            case "gather" -> x.gather((int) a[0], in.get(1));
            case "cat" -> Tensor.cat((int) a[0], x, in.get(1));
            case "conv2d" -> F.conv2d(x, in.get(1), null, (long) a[0], (long) a[1], (long) a[2], (long) a[3]);
            case "conv_transpose2d" -> F.convTranspose2d(x, in.get(1), null, (long) a[0], (long) a[1]);
            case "max_pool2d" -> F.maxPool2d(x, (long) a[0], (long) a[1], (long) a[2]);
            case "avg_pool2d" -> F.avgPool2d(x, (long) a[0], (long) a[1], (long) a[2], false, a[3] != 0);
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
    }

    private static long[] longs(double[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (long) a[i];
        }
        return r;
    }

    private static int[] ints(double[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (int) a[i];
        }
        return r;
    }

    // ------------------------------------------------------------------ values

    static double parse(String s) {
        return switch (s) {
            case "nan" -> Double.NaN;
            case "-nan" -> Double.longBitsToDouble(0xfff8000000000000L);
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    static DType dtype(String name) {
        return switch (name) {
            case "float32" -> DType.FLOAT32;
            case "float64" -> DType.FLOAT64;
            case "int64" -> DType.INT64;
            case "bool" -> DType.BOOL;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @SuppressWarnings("unchecked")
    private static long[] shape(Map<String, Object> spec, int tiles) {
        List<Object> s = (List<Object>) spec.get("shape");
        long[] r = new long[s.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Double) s.get(i)).longValue();
        }
        if (tiles > 1) {
            r[0] *= tiles; // element-wise rows are 1-D
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static List<String> data(Map<String, Object> spec, String key, int tiles) {
        List<String> d = (List<String>) (List<?>) spec.get(key);
        if (d == null || tiles == 1) {
            return d;
        }
        List<String> r = new ArrayList<>(d.size() * tiles);
        for (int k = 0; k < tiles; k++) {
            r.addAll(d);
        }
        return r;
    }

    static Tensor tensor(Map<String, Object> spec, int tiles) {
        DType dt = dtype((String) spec.get("dtype"));
        List<String> d = data(spec, "data", tiles);
        long[] shape = shape(spec, tiles);
        int n = d.size();
        switch (dt) {
            case FLOAT32 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) parse(d.get(i));
                }
                return Tensor.of(v, shape);
            }
            case INT64 -> {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = Long.parseLong(d.get(i));
                }
                return Tensor.of(v, shape);
            }
            default -> {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = parse(d.get(i));
                }
                return Tensor.of(v, dt, shape);
            }
        }
    }

    // ------------------------------------------------------------------ comparing

    /**
     * Rows of sums of products (matmul, conv2d and its adjoints) compare zeros without their sign:
     * PyTorch's own BLAS and convolution paths differ there ([4, 1] @ [1, 4] gives -0 * 1 = -0 but
     * [1, 1] @ [1, 2] gives +0), so no one sign is PyTorch's.
     */
    @SuppressWarnings("unchecked")
    private static boolean zeroSignCompared(Map<String, Object> row) {
        for (Object p : (List<Object>) row.get("prims")) {
            Prim.Kind kind = Prim.valueOf((String) p).kind();
            if (kind == Prim.Kind.MATMUL || kind == Prim.Kind.CONV) {
                return false;
            }
        }
        return true;
    }

    /** nan-ness, infinities and zero signs exactly; finite values within the golden tolerance. */
    static boolean close(double actual, double expected, DType dt, boolean zeroSign) {
        if (!zeroSign && actual == 0 && expected == 0) {
            return true;
        }
        return close(actual, expected, dt);
    }

    /** nan-ness, infinities and zero signs exactly; finite values within the golden tolerance. */
    static boolean close(double actual, double expected, DType dt) {
        if (Double.isNaN(actual) || Double.isNaN(expected)) {
            return Double.isNaN(actual) && Double.isNaN(expected);
        }
        if (Double.isInfinite(actual) || Double.isInfinite(expected)) {
            return actual == expected;
        }
        if (actual == 0 && expected == 0) {
            return Double.doubleToRawLongBits(actual) == Double.doubleToRawLongBits(expected);
        }
        if (!dt.isFloatingPoint()) {
            return actual == expected;
        }
        double tol = dt == DType.FLOAT32 ? 1e-5 : 1e-10;
        return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
    }

    @SuppressWarnings("unchecked")
    private static void compare(String what, Map<String, Object> row, Map<String, Object> expected, Object unused,
            Tensor actual, int tiles, List<String> errors) {
        DType dt = dtype((String) expected.get("dtype"));
        if (actual == null) {
            errors.add(what + ": no result");
            return;
        }
        if (actual.dtype() != dt) {
            errors.add(what + ": dtype " + actual.dtype() + ", PyTorch " + dt);
            return;
        }
        List<String> e = data(expected, "data", tiles);
        List<String> alt = data(expected, "alt", tiles);
        long[] es = shape(expected, tiles);
        if (tiles > 1 && es.length == 0) {
            return;
        }
        if (!java.util.Arrays.equals(actual.shape(), es)) {
            errors.add(what + ": shape " + java.util.Arrays.toString(actual.shape()) + ", PyTorch "
                    + java.util.Arrays.toString(es));
            return;
        }
        List<Map<String, Object>> inputs = (List<Map<String, Object>>) row.get("inputs");
        if (dt == DType.INT64) {
            long[] a = actual.toLongArray();
            for (int i = 0; i < a.length; i++) {
                long ev = Long.parseLong(e.get(i));
                if (a[i] != ev) {
                    errors.add(what + " at " + at(inputs, i, tiles) + ": " + a[i] + ", PyTorch " + ev);
                }
            }
            return;
        }
        double[] a = actual.toDoubleArray();
        boolean zs = zeroSignCompared(row);
        for (int i = 0; i < a.length; i++) {
            double ev = parse(e.get(i));
            if (close(a[i], ev, dt, zs) || alt != null && close(a[i], parse(alt.get(i)), dt, zs)) {
                continue;
            }
            if (mkldnnConv && Double.isNaN(ev) && Double.isFinite(a[i])) {
                continue;   // PyTorch's mkldnn path (see MKLDNN_CONV_ROWS)
            }
            errors.add(what + " at " + at(inputs, i, tiles) + ": " + a[i] + ", PyTorch " + e.get(i)
                    + (alt != null ? " or " + alt.get(i) : ""));
        }
    }

    /** The inputs at element i of an element-wise row, or the element index. */
    @SuppressWarnings("unchecked")
    private static String at(List<Map<String, Object>> inputs, int i, int tiles) {
        StringBuilder b = new StringBuilder("[" + i + "]");
        List<String> first = (List<String>) (List<?>) inputs.get(0).get("data");
        int n = first.size();
        boolean elementwise = true;
        for (Map<String, Object> in : inputs) {
            elementwise &= ((List<?>) in.get("data")).size() == n;
        }
        if (elementwise && tiles >= 1 && ((List<?>) inputs.get(0).get("shape")).size() == 1) {
            b.append(" x=");
            for (Map<String, Object> in : inputs) {
                b.append(((List<String>) (List<?>) in.get("data")).get(i % n)).append(' ');
            }
        }
        return b.toString().trim();
    }

    @Test
    void parsesSpecialStrings() {
        assertTrue(Double.isNaN(parse("-nan")));
        assertEquals(Long.MIN_VALUE, Double.doubleToRawLongBits(parse("-0.0")));
    }
}
