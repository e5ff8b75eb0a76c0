package dev.tangent.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.autograd.Autograd;
import dev.tangent.backend.Backends;
import dev.tangent.backend.cpu.dnnl.DnnlAccelerator;
import dev.tangent.backend.cpu.dnnl.DnnlLibrary;
import dev.tangent.functional.Functional;
import dev.tangent.functional.HvpResult;
import dev.tangent.functional.JacobianStrategy;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import dev.tangent.functional.VjpResult;
import dev.tangent.nn.F;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Conformance of {@link F} (torch.nn.functional) with PyTorch: every case of
 * {@code golden/jvp_nn_public.json} (39 cases computed by {@code torch.autograd.functional} in
 * float64 over convolution, pooling, normalisation, embedding, attention, activations and small
 * models) run through Tangent's functional API with the case's Java port from
 * {@link GoldenNnPorts}.
 *
 * <p>One dynamic test per case and strategy, named {@code <case> [STRATEGY]}: jvp cases under
 * both {@link JvpStrategy}s, the jacobian case under the strategy it names (reverse mode when it
 * names none), vjp, hessian and hvp under reverse mode. Every result must have the expected shape
 * and dtype and, unless the case asks for {@code create_graph}, carry no graph (no grad_fn, not
 * requiring grad); the create_graph case must be differentiable and its
 * {@code grad_of_jvp_sum} must match.
 *
 * <p>Tolerance: an element a (Tangent) matches b (PyTorch) when {@code |a - b| <= tol * max(1, |b|)},
 * tol = {@value #TOL_FLOAT64} in float64. Every case runs once more in float32 (inputs, v and
 * constants rounded to float32) with oneDNN taking every op it implements (cut-overs 0), against
 * the same float64 results, at {@value #TOL_FLOAT32} for every case: no case needs a looser bound.
 * Measured (each run prints both per case): the largest float32 error is 3.5e-6
 * (nn_hvp_layer_norm), and float64 arithmetic on the float32-rounded inputs alone — the cases'
 * conditioning — costs at most 4.9e-7 (nn_conv2d_basic);
 * {@link #float32RoundedInputsAloneStayWithinTheBound} keeps the latter under
 * {@value #INPUT_ROUNDING_BOUND}, a twentieth of the float32 tolerance.
 */
class GoldenNnCasesTest {
    static final String RESOURCE = "/golden/jvp_nn_public.json";
    static final String SHARED_NAME = "jvp_nn_public.json";
    static final int CASES = 39;
    static final double TOL_FLOAT64 = 1e-10;
    static final double TOL_FLOAT32 = 2e-4;

    private static List<Map<String, Object>> cases;

    @SuppressWarnings("unchecked")
    static synchronized List<Map<String, Object>> cases() throws IOException {
        if (cases == null) {
            try (InputStream in = GoldenNnCasesTest.class.getResourceAsStream(RESOURCE)) {
                assertNotNull(in, "missing test resource " + RESOURCE);
                Map<String, Object> root = (Map<String, Object>) Json.parse(
                        new String(in.readAllBytes(), StandardCharsets.UTF_8));
                cases = (List<Map<String, Object>>) root.get("cases");
            }
        }
        return cases;
    }

    static Map<String, Object> byName(String name) throws IOException {
        for (Map<String, Object> c : cases()) {
            if (c.get("name").equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no golden case " + name);
    }

    // ------------------------------------------------------------------ the file and the ports

    @Test
    void everyCaseHasAJavaPortAndEveryPortACase() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Object> c : cases()) {
            assertTrue(names.add((String) c.get("name")), "duplicate case name " + c.get("name"));
        }
        Set<String> unported = new LinkedHashSet<>(names);
        unported.removeAll(GoldenNnPorts.PORTS.keySet());
        assertTrue(unported.isEmpty(), "golden nn cases without a Java port: " + unported);
        Set<String> stale = new LinkedHashSet<>(GoldenNnPorts.PORTS.keySet());
        stale.removeAll(names);
        assertTrue(stale.isEmpty(), "ports without a golden nn case: " + stale);
        assertEquals(CASES, names.size(), "the public nn golden set has " + CASES + " cases");
    }

    /**
     * The resource is a verbatim copy of {@code shared/golden/jvp_nn_public.json} beside the
     * repository root ({@link SharedGolden}): a missing shared file fails, it is never skipped.
     */
    @Test
    void resourceIsByteIdenticalToTheSharedGoldenFile() throws IOException {
        SharedGolden.assertResourceIsTheSharedFile(RESOURCE, SHARED_NAME);
    }

    // ------------------------------------------------------------------ float64, every case and strategy

    @TestFactory
    Stream<DynamicTest> goldenNnCases() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            String api = (String) c.get("api");
            assertNull(c.get("error"), name + ": the nn set has no error cases; this runner checks results only");
            if (api.equals("jvp")) {
                for (JvpStrategy s : JvpStrategy.values()) {
                    tests.add(DynamicTest.dynamicTest(name + " [" + s + "]", () -> run(new Case(c), s)));
                }
            } else {
                tests.add(DynamicTest.dynamicTest(name + " [" + reverseLabel(c) + "]", () -> run(new Case(c), null)));
            }
        }
        return tests.stream();
    }

    private static String reverseLabel(Map<String, Object> c) {
        return c.get("api").equals("jacobian") ? jacobianStrategy(c).toString() : "REVERSE_MODE";
    }

    private static JacobianStrategy jacobianStrategy(Map<String, Object> c) {
        return "forward-mode".equals(c.get("strategy")) ? JacobianStrategy.FORWARD_MODE : JacobianStrategy.REVERSE_MODE;
    }

    // ------------------------------------------------------------------ float32 on oneDNN, every case

    /**
     * Every case again in float32 with oneDNN taking every op it implements (cut-overs at 0), against
     * PyTorch's float64 results (the jvp cases in forward mode, the others as above).
     */
    @TestFactory
    Stream<DynamicTest> goldenNnCasesInFloat32OnOneDnn() throws IOException {
        Assumptions.assumeTrue(DnnlLibrary.isAvailable(), "oneDNN unavailable");
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            tests.add(DynamicTest.dynamicTest(name + " [float32 oneDNN]", () -> runOnOneDnn(c)));
        }
        return tests.stream();
    }

    private static void runOnOneDnn(Map<String, Object> c) {
        var cpu = Backends.cpu();
        var prev = cpu.accelerator();
        var acc = new DnnlAccelerator(64);
        acc.cutovers(0, 0);
        cpu.accelerator(acc);
        try {
            String name = (String) c.get("name");
            Case k = new Case(c, DType.FLOAT32, TOL_FLOAT32);
            run(k, JvpStrategy.FORWARD_MODE);
            System.out.printf(Locale.ROOT, "%s [float32 oneDNN]: largest relative error %.2e (tolerance %.0e)%n", name,
                    k.worst, TOL_FLOAT32);
            String src = (String) c.get("src");
            if (src.contains("@") || src.contains("F.linear")) {
                assertTrue(acc.cacheMisses() + acc.cacheHits() > 0, name + ": its matmuls ran on oneDNN");
            }
        } finally {
            cpu.accelerator(prev);
        }
    }

    /** The float32 runs' inputs are PyTorch's float64 inputs rounded; that rounding alone must stay well inside the tolerance. */
    static final double INPUT_ROUNDING_BOUND = 1e-5;

    /**
     * The conditioning behind {@value #TOL_FLOAT32}: each case computed in float64 on its
     * float32-rounded inputs, v and constants differs from PyTorch by less than
     * {@value #INPUT_ROUNDING_BOUND} (relative, as compared): what the float32 runs lose beyond
     * that is their own arithmetic.
     */
    @TestFactory
    Stream<DynamicTest> float32RoundedInputsAloneStayWithinTheBound() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.get("name") + " [float64 on float32-rounded inputs]", () -> {
                double e = inputRoundingError(c);
                System.out.printf(Locale.ROOT, "%s [float64 on float32-rounded inputs]: largest relative error %.2e%n",
                        c.get("name"), e);
                assertTrue(e < INPUT_ROUNDING_BOUND, c.get("name") + ": input rounding alone costs " + e);
            }));
        }
        return tests.stream();
    }

    /** The largest relative error (as compared) of the case run in float64 on float32-rounded data. */
    static double inputRoundingError(Map<String, Object> c) {
        try (Scope s = Scope.open()) {
            Case k = new Case(c, DType.FLOAT64, Double.POSITIVE_INFINITY);
            k.roundToFloat32 = true;
            k.constants.replaceAll((n, t) -> t.toFloat().toDouble());
            run(k, JvpStrategy.FORWARD_MODE);
            return k.worst;
        }
    }

    // ------------------------------------------------------------------ the transformer case through sdpa

    /**
     * {@code nn_transformer_encoder_layer} writes attention by hand; the same layer with
     * {@link F#scaledDotProductAttention} (default scale 1 / sqrt(8), no mask) gives PyTorch's
     * numbers too, in both strategies and in float32 on oneDNN, and sdpa equals the hand-written
     * attention on the case's own q, k, v.
     */
    @TestFactory
    Stream<DynamicTest> transformerEncoderLayerThroughScaledDotProductAttention() throws IOException {
        Map<String, Object> c = byName("nn_transformer_encoder_layer");
        GoldenPorts.Port sdpa = (a, k) -> GoldenNnPorts.encoderLayer(a[0], k, F::scaledDotProductAttention);
        List<DynamicTest> tests = new ArrayList<>();
        for (JvpStrategy s : JvpStrategy.values()) {
            tests.add(DynamicTest.dynamicTest("nn_transformer_encoder_layer with sdpa [" + s + "]", () -> {
                Case k = new Case(c);
                k.port = sdpa;
                run(k, s);
            }));
        }
        tests.add(DynamicTest.dynamicTest("nn_transformer_encoder_layer with sdpa [float32 oneDNN]", () -> {
            var cpu = Backends.cpu();
            var prev = cpu.accelerator();
            var acc = new DnnlAccelerator(64);
            acc.cutovers(0, 0);
            cpu.accelerator(acc);
            try {
                Case k = new Case(c, DType.FLOAT32, TOL_FLOAT32);
                k.port = sdpa;
                run(k, JvpStrategy.FORWARD_MODE);
            } finally {
                cpu.accelerator(prev);
            }
        }));
        tests.add(DynamicTest.dynamicTest("sdpa equals the case's hand-written attention", () -> {
            try (Scope s = Scope.open()) {
                Case k = new Case(c);
                Tensor x = k.inputList().get(0);
                Tensor q = F.linear(x, k.constants.get("wq"));
                Tensor kk = F.linear(x, k.constants.get("wk"));
                Tensor v = F.linear(x, k.constants.get("wv"));
                Tensor hand = GoldenNnPorts.handWrittenAttention(q, kk, v);
                Tensor fused = F.scaledDotProductAttention(q, kk, v);
                assertArrayEquals(new long[] {2, 5, 8}, fused.shape());
                double[] h = hand.toDoubleArray();
                double[] f = fused.toDoubleArray();
                for (int i = 0; i < h.length; i++) {
                    assertEquals(h[i], f[i], 1e-14 * Math.max(1, Math.abs(h[i])), "element " + i);
                }
                // and their jvps along the case's v
                Tensor t = k.vList().get(0);
                Function<Tensor, Tensor> viaHand = y -> GoldenNnPorts.handWrittenAttention(F.linear(y,
                        k.constants.get("wq")), F.linear(y, k.constants.get("wk")), F.linear(y, k.constants.get("wv")));
                Function<Tensor, Tensor> viaSdpa = y -> F.scaledDotProductAttention(F.linear(y,
                        k.constants.get("wq")), F.linear(y, k.constants.get("wk")), F.linear(y, k.constants.get("wv")));
                double[] jh = Functional.jvp(viaHand, x, t).jvp().toDoubleArray();
                double[] js = Functional.jvp(viaSdpa, x, t).jvp().toDoubleArray();
                for (int i = 0; i < jh.length; i++) {
                    assertEquals(jh[i], js[i], 1e-13 * Math.max(1, Math.abs(jh[i])), "jvp element " + i);
                }
            }
        }));
        return tests.stream();
    }

    // ------------------------------------------------------------------ running one case

    /** Runs case k: jvp with {@code strategy}, or the case's other api (strategy ignored). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void run(Case k, JvpStrategy strategy) {
        Map<String, Object> exp = expected(k.c);
        String api = (String) k.c.get("api");
        try (Scope s = Scope.open()) {
            Function f = k.func();
            switch (api) {
                case "jvp" -> {
                    JvpResult<Value> r = Functional.jvp(f, k.inputs(), k.v(), k.createGraph, k.strict, strategy);
                    k.compare(exp.get("output"), r.output(), "output");
                    k.compare(exp.get("jvp"), r.jvp(), "jvp");
                    // a create_graph case without it would check nothing of the graph it asks for
                    assertEquals(k.createGraph, exp.containsKey("grad_of_jvp_sum"), k.name + ": grad_of_jvp_sum is"
                            + " given exactly for create_graph jvp cases (create_graph " + k.createGraph + ")");
                    if (k.createGraph) {
                        gradOfJvpSum(k, strategy, exp.get("grad_of_jvp_sum"));
                    }
                }
                case "vjp" -> {
                    VjpResult<Value, Value> r = Functional.vjp(f, k.inputs(), k.v(), k.createGraph, k.strict);
                    k.compare(exp.get("output"), r.output(), "output");
                    k.compare(exp.get("vjp"), r.vjp(), "vjp");
                }
                case "jacobian" -> k.compare(exp.get("jacobian"), Functional.jacobian(f, k.inputs(), k.createGraph,
                        k.strict, Boolean.TRUE.equals(k.c.get("vectorize")), jacobianStrategy(k.c)), "jacobian");
                case "hessian" -> k.compare(exp.get("hessian"),
                        Functional.hessian(f, k.inputs(), k.createGraph, k.strict), "hessian");
                case "hvp", "vhp" -> {
                    HvpResult<Value> r = api.equals("hvp")
                            ? Functional.hvp(f, k.inputs(), k.v(), k.createGraph, k.strict)
                            : Functional.vhp(f, k.inputs(), k.v(), k.createGraph, k.strict);
                    k.compare(exp.get("output"), r.output(), "output");
                    k.compare(exp.get(api), r.product(), api);
                }
                default -> throw new AssertionError("unknown api " + api);
            }
        }
    }

    /** d(sum of every jvp element)/d(each input), through the createGraph jvp's graph. */
    private static void gradOfJvpSum(Case k, JvpStrategy strategy, Object expected) {
        List<Tensor> ins = k.inputList();
        for (Tensor x : ins) {
            x.setRequiresGrad(true);
        }
        JvpResult<Value> g = Functional.jvp(k.func(), k.rebuild(ins), k.v(), true, k.strict, strategy);
        Tensor total = null;
        for (Tensor t : flatten(g.jvp())) {
            total = total == null ? t.sum() : total.add(t.sum());
        }
        Tensor[] grads = Autograd.grad(List.of(total), ins, null, false, true);
        List<Tensor> gs = new ArrayList<>();
        for (int i = 0; i < grads.length; i++) {
            Tensor x = ins.get(i);
            gs.add(grads[i] == null ? Tensor.zeros(x.dtype(), x.shape()) : grads[i]);
        }
        // torch.autograd.grad returns a tuple, one gradient per input, even for a single input;
        // the gradients themselves were taken without create_graph: no graph on them.
        boolean cg = k.createGraph;
        k.createGraph = false;
        try {
            k.compare(expected, Tuple.ofList(gs), "grad_of_jvp_sum");
        } finally {
            k.createGraph = cg;
        }
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    private static Map<String, Object> expected(Map<String, Object> c) {
        return (Map<String, Object>) c.get("expected");
    }

    static List<Tensor> flatten(Value v) {
        List<Tensor> r = new ArrayList<>();
        if (v instanceof Tensor t) {
            r.add(t);
        } else {
            for (Value e : (Tuple) v) {
                r.addAll(flatten(e));
            }
        }
        return r;
    }

    /** One case's inputs, v, constants and flags, built fresh in the run's dtype. */
    static final class Case {
        final Map<String, Object> c;
        final String name;
        final DType dtype;
        final double tol;
        boolean createGraph;
        final boolean strict;
        final Map<String, Tensor> constants = new LinkedHashMap<>();
        GoldenPorts.Port port;
        /** Build inputs and v from float32-rounded data (kept in {@link #dtype}). */
        boolean roundToFloat32;
        /** The largest |a - b| / max(1, |b|) seen by {@link #compare}. */
        double worst;

        Case(Map<String, Object> c) {
            this(c, DType.FLOAT64, TOL_FLOAT64);
        }

        @SuppressWarnings("unchecked")
        Case(Map<String, Object> c, DType dtype, double tol) {
            this.c = c;
            this.name = (String) c.get("name");
            assertEquals("float64", c.get("dtype"), name + ": the nn set is computed in float64");
            this.dtype = dtype;
            this.tol = tol;
            this.createGraph = Boolean.TRUE.equals(c.get("create_graph"));
            this.strict = Boolean.TRUE.equals(c.get("strict"));
            this.port = GoldenNnPorts.PORTS.get(name);
            assertNotNull(port, "no Java port for case " + name);
            for (Map.Entry<String, Object> e : ((Map<String, Object>) c.get("constants")).entrySet()) {
                constants.put(e.getKey(), tensor(e.getValue()));
            }
        }

        @SuppressWarnings("unchecked")
        Tensor tensor(Object spec) {
            Map<String, Object> m = (Map<String, Object>) spec;
            List<Object> shape = (List<Object>) m.get("shape");
            List<Object> data = (List<Object>) m.get("data");
            long[] s = new long[shape.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = ((Double) shape.get(i)).longValue();
            }
            double[] d = new double[data.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = (Double) data.get(i);
                if (roundToFloat32) {
                    d[i] = (float) d[i];
                }
            }
            return Tensor.of(d, dtype, s);
        }

        @SuppressWarnings("unchecked")
        List<Tensor> inputList() {
            List<Tensor> r = new ArrayList<>();
            for (Object o : (List<Object>) c.get("inputs")) {
                r.add(tensor(o));
            }
            return r;
        }

        Value rebuild(List<Tensor> ts) {
            if (Boolean.TRUE.equals(c.get("inputs_are_tuple"))) {
                return Tuple.ofList(ts);
            }
            assertEquals(1, ts.size(), name + ": a non-tuple input is one tensor");
            return ts.get(0);
        }

        Value inputs() {
            return rebuild(inputList());
        }

        @SuppressWarnings("unchecked")
        List<Tensor> vList() {
            List<Tensor> r = new ArrayList<>();
            for (Object o : (List<Object>) c.get("v")) {
                r.add(tensor(o));
            }
            return r;
        }

        Value v() {
            if (c.get("v") == null) {
                return null;
            }
            List<Tensor> r = vList();
            if (Boolean.TRUE.equals(c.get("v_is_tuple"))) {
                return Tuple.ofList(r);
            }
            assertEquals(1, r.size(), name + ": a non-tuple v is one tensor");
            return r.get(0);
        }

        /** The case's port as a function of a Tensor or Tuple. */
        @SuppressWarnings({"rawtypes"})
        Function func() {
            boolean tuple = Boolean.TRUE.equals(c.get("inputs_are_tuple"));
            GoldenPorts.Port p = port;
            return (Function<Value, Object>) in -> {
                Tensor[] args = tuple ? ((Tuple) in).tensors().toArray(new Tensor[0]) : new Tensor[] {(Tensor) in};
                return p.apply(args, constants);
            };
        }

        /**
         * Compares Tangent's value to PyTorch's (a {shape,data} map, or a list for a tuple): the
         * structure, each tensor's shape and dtype, whether it carries a graph, and the values.
         */
        @SuppressWarnings("unchecked")
        void compare(Object expected, Value actual, String path) {
            assertNotNull(expected, name + ": no expected value at " + path);
            assertNotNull(actual, name + ": null result at " + path);
            if (expected instanceof List<?> list) {
                Tuple t = assertInstanceOf(Tuple.class, actual, name + ": " + path + " should be a tuple");
                assertEquals(list.size(), t.size(), name + ": tuple length at " + path);
                for (int i = 0; i < list.size(); i++) {
                    compare(list.get(i), t.value(i), path + "[" + i + "]");
                }
                return;
            }
            Tensor a = assertInstanceOf(Tensor.class, actual, name + ": " + path + " should be a tensor");
            List<Object> shape = (List<Object>) ((Map<String, Object>) expected).get("shape");
            long[] es = shape.stream().mapToLong(o -> ((Double) o).longValue()).toArray();
            assertArrayEquals(es, a.shape(), name + ": shape of " + path);
            assertEquals(dtype, a.dtype(), name + ": dtype of " + path);
            if (createGraph) {
                assertTrue(a.requiresGrad(), name + ": with create_graph, " + path + " must be differentiable");
            } else {
                assertFalse(a.requiresGrad(), name + ": without create_graph, " + path + " must not require grad");
                assertNull(a.gradFnName(), name + ": without create_graph, " + path + " must carry no graph");
            }
            double[] ad = a.toDoubleArray();
            double[] ed = ((List<Object>) ((Map<String, Object>) expected).get("data")).stream()
                    .mapToDouble(o -> (Double) o).toArray();
            assertEquals(ed.length, ad.length, name + ": element count of " + path);
            for (int i = 0; i < ed.length; i++) {
                double err = Math.abs(ad[i] - ed[i]);
                double rel = err / Math.max(1.0, Math.abs(ed[i]));
                worst = Math.max(worst, Double.isNaN(rel) ? Double.POSITIVE_INFINITY : rel);
                if (!(err <= tol * Math.max(1.0, Math.abs(ed[i])))) {
                    fail(String.format(Locale.ROOT, "%s (%s): %s element %d (flat) is %.17g, PyTorch %.17g (|diff| %.3g"
                            + " > %.0e relative)", name, dtype.torchName(), path, i, ad[i], ed[i], err, tol));
                }
            }
        }
    }
}
