package dev.tangent.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tangent.DType;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.autograd.Autograd;
import dev.tangent.functional.Functional;
import dev.tangent.functional.FunctionalException;
import dev.tangent.functional.HvpResult;
import dev.tangent.functional.HvpStrategy;
import dev.tangent.functional.JacobianStrategy;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.JvpStrategy;
import dev.tangent.functional.VjpResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Conformance with PyTorch: every case of {@code golden/jvp_family_public.json} (computed by
 * {@code torch.autograd.functional}, see its {@code format} header) run through Tangent's
 * functional API with the case's Java port from {@link GoldenPorts}.
 *
 * <p>One dynamic test per case and strategy: jvp cases run under both {@link JvpStrategy}s;
 * jacobian cases under the strategy they name; vjp, hessian, hvp and vhp under reverse mode, and
 * hessian, hvp and vhp also by forward over reverse (PyTorch's forward-mode outer Jacobian; not with
 * strict for hessian, which PyTorch refuses).
 *
 * <p>Tolerance: an element a (Tangent) matches b (PyTorch) when
 * {@code |a - b| <= tol * max(1, |b|)}, tol = 1e-10 for float64 cases and 1e-5 for float32 cases
 * (which run entirely in float32: inputs, v and constants converted). Shapes must match exactly,
 * and so must dtypes, in every case: the references were computed with float64 as PyTorch's default
 * dtype (so {@code torch.ones(3)} in a case's {@code src} is float64, see
 * {@link GoldenPorts#defaultDtype}), and a float32 run computes in float32 throughout. Without
 * create_graph no result may carry a graph (no grad_fn, not requiring grad); with it every result
 * must be differentiable and the case must carry {@code grad_of_jvp_sum}, which is checked. The
 * resource must be byte-identical to the shared file ({@link SharedGolden}), or the test fails.
 * Expected errors are compared by {@link FunctionalException.Kind}.
 */
class GoldenCasesTest {
    static final String RESOURCE = "/golden/jvp_family_public.json";
    static final double TOL_FLOAT64 = 1e-10;
    static final double TOL_FLOAT32 = 1e-5;

    private static List<Map<String, Object>> cases;

    @SuppressWarnings("unchecked")
    static synchronized List<Map<String, Object>> cases() throws IOException {
        if (cases == null) {
            try (InputStream in = GoldenCasesTest.class.getResourceAsStream(RESOURCE)) {
                assertNotNull(in, "missing test resource " + RESOURCE);
                Map<String, Object> root = (Map<String, Object>) Json.parse(
                        new String(in.readAllBytes(), StandardCharsets.UTF_8));
                cases = (List<Map<String, Object>>) root.get("cases");
            }
        }
        return cases;
    }

    @Test
    void everyCaseHasAJavaPortAndEveryPortACase() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Object> c : cases()) {
            assertTrue(names.add((String) c.get("name")), "duplicate case name " + c.get("name"));
        }
        Set<String> unported = new LinkedHashSet<>(names);
        unported.removeAll(GoldenPorts.PORTS.keySet());
        assertTrue(unported.isEmpty(), "golden cases without a Java port: " + unported);
        Set<String> stale = new LinkedHashSet<>(GoldenPorts.PORTS.keySet());
        stale.removeAll(names);
        assertTrue(stale.isEmpty(), "ports without a golden case: " + stale);
        assertEquals(91, names.size(), "the public golden set has 91 cases");
    }

    /** The resource is a verbatim copy of {@code shared/golden/jvp_family_public.json}; a missing shared file fails. */
    @Test
    void resourceIsByteIdenticalToTheSharedGoldenFile() throws IOException {
        SharedGolden.assertResourceIsTheSharedFile(RESOURCE, "jvp_family_public.json");
    }

    /** The byte-identity check fails, naming where it looked, when the shared folder is not beside the root. */
    @Test
    void aMissingSharedFileFailsTheByteIdentityCheck(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("checkout"));
        AssertionError e = assertThrows(AssertionError.class, () -> SharedGolden.locate(root, "jvp_family_public.json"));
        assertTrue(e.getMessage().contains(dir.resolve("shared/golden/jvp_family_public.json").toString()), e.getMessage());
        Path planted = Files.createDirectories(dir.resolve("shared/golden")).resolve("jvp_family_public.json");
        Files.writeString(planted, "{}");
        assertEquals(planted, SharedGolden.locate(root, "jvp_family_public.json"));
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            String api = (String) c.get("api");
            if (api.equals("jvp")) {
                for (JvpStrategy s : JvpStrategy.values()) {
                    tests.add(DynamicTest.dynamicTest(name + " [" + s + "]", () -> runJvp(c, s)));
                }
            } else if (api.equals("jacobian")) {
                JacobianStrategy s = "forward-mode".equals(c.get("strategy"))
                        ? JacobianStrategy.FORWARD_MODE : JacobianStrategy.REVERSE_MODE;
                tests.add(DynamicTest.dynamicTest(name + " [" + s + "]", () -> runJacobian(c, s)));
            } else {
                tests.add(DynamicTest.dynamicTest(name + " [REVERSE_MODE]", () -> runOther(c, api, false)));
                boolean strictHessian = api.equals("hessian") && Boolean.TRUE.equals(c.get("strict"));
                if (!api.equals("vjp") && !strictHessian) {
                    // hvp, vhp and hessian also by forward over reverse (the jvp of the gradient)
                    tests.add(DynamicTest.dynamicTest(name + " [FORWARD_OVER_REVERSE]", () -> runOther(c, api, true)));
                }
            }
        }
        return tests.stream();
    }

    /**
     * Every jvp case again in float32 with oneDNN taking every op it implements (cut-overs at 0),
     * against PyTorch's float64 results to {@link #TOL_ONEDNN}: the float32 path through oneDNN
     * computes the reference cases, not only the Java kernels do.
     */
    @TestFactory
    Stream<DynamicTest> jvpCasesInFloat32OnOneDnn() throws IOException {
        Assumptions.assumeTrue(dev.tangent.backend.cpu.dnnl.DnnlLibrary.isAvailable(), "oneDNN unavailable");
        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> c : cases()) {
            if (c.get("api").equals("jvp") && error(c) == null) {
                tests.add(DynamicTest.dynamicTest(c.get("name") + " [float32 oneDNN]", () -> runJvpOnOneDnn(c)));
            }
        }
        return tests.stream();
    }

    static final double TOL_ONEDNN = 2e-4;

    private static void runJvpOnOneDnn(Map<String, Object> c) {
        var cpu = dev.tangent.backend.Backends.cpu();
        var prev = cpu.accelerator();
        var acc = new dev.tangent.backend.cpu.dnnl.DnnlAccelerator(64);
        acc.cutovers(0, 0);
        cpu.accelerator(acc);
        try (Scope s = Scope.open()) {
            Case k = new Case(c, DType.FLOAT32, TOL_ONEDNN);
            Map<String, Object> exp = expected(c);
            JvpResult<Value> r = Functional.jvp(k.func(), k.inputs(), k.v(), k.createGraph, k.strict);
            k.compare(exp.get("output"), r.output(), "output");
            k.compare(exp.get("jvp"), r.jvp(), "jvp");
            gradOfJvpSum(k, JvpStrategy.FORWARD_MODE);
            if (((String) c.get("src")).contains("@")) {
                assertTrue(acc.cacheMisses() + acc.cacheHits() > 0, "the matmul of " + c.get("name") + " ran on oneDNN");
            }
        } finally {
            cpu.accelerator(prev);
        }
    }

    // ------------------------------------------------------------------ per api

    private static void runJvp(Map<String, Object> c, JvpStrategy strategy) {
        try (Scope s = Scope.open()) {
            Case k = new Case(c);
            Map<String, Object> err = error(c);
            if (err != null) {
                expectError(err, () -> Functional.jvp(k.func(), k.inputs(), k.v(), k.createGraph, k.strict, strategy));
                return;
            }
            Map<String, Object> exp = expected(c);
            JvpResult<Value> r = Functional.jvp(k.func(), k.inputs(), k.v(), k.createGraph, k.strict, strategy);
            k.compare(exp.get("output"), r.output(), "output");
            k.compare(exp.get("jvp"), r.jvp(), "jvp");
            gradOfJvpSum(k, strategy);
        }
    }

    /**
     * A create_graph jvp case must carry {@code grad_of_jvp_sum} (else it checks nothing of the graph
     * it asks for): d(sum of every jvp element)/d(each input) through the createGraph jvp's graph.
     * The gradients themselves are taken without create_graph: no graph on them.
     */
    private static void gradOfJvpSum(Case k, JvpStrategy strategy) {
        Map<String, Object> exp = expected(k.c);
        assertEquals(k.createGraph, exp.containsKey("grad_of_jvp_sum"), k.name + ": grad_of_jvp_sum is given exactly"
                + " for create_graph jvp cases (create_graph " + k.createGraph + ")");
        if (!k.createGraph) {
            return;
        }
        List<Tensor> ins = k.inputList();
        for (Tensor x : ins) {
            x.setRequiresGrad(true);
        }
        JvpResult<Value> g = Functional.jvp(k.func(), k.rebuild(ins), k.v(), true, k.strict, strategy);
        Tensor total = null;
        for (Tensor t : flatten(g.jvp())) {
            assertTrue(t.requiresGrad(), k.name + ": a createGraph jvp result must require grad");
            total = total == null ? t.sum() : total.add(t.sum());
        }
        Tensor[] grads = Autograd.grad(List.of(total), ins, null, false, true);
        List<Tensor> gs = new ArrayList<>();
        for (int i = 0; i < grads.length; i++) {
            Tensor x = ins.get(i);
            gs.add(grads[i] == null ? Tensor.zeros(x.dtype(), x.shape()) : grads[i]);
        }
        // torch.autograd.grad returns a tuple, one gradient per input, even for a single input.
        k.createGraph = false;
        try {
            k.compare(exp.get("grad_of_jvp_sum"), Tuple.ofList(gs), "grad_of_jvp_sum");
        } finally {
            k.createGraph = true;
        }
    }

    private static void runJacobian(Map<String, Object> c, JacobianStrategy strategy) {
        try (Scope s = Scope.open()) {
            Case k = new Case(c);
            boolean vectorize = Boolean.TRUE.equals(c.get("vectorize"));
            Map<String, Object> err = error(c);
            if (err != null) {
                expectError(err, () -> Functional.jacobian(k.func(), k.inputs(), k.createGraph, k.strict, vectorize, strategy));
                return;
            }
            Value j = Functional.jacobian(k.func(), k.inputs(), k.createGraph, k.strict, vectorize, strategy);
            k.compare(expected(c).get("jacobian"), j, "jacobian");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void runOther(Map<String, Object> c, String api, boolean forwardOverReverse) {
        try (Scope s = Scope.open()) {
            Case k = new Case(c);
            Map<String, Object> err = error(c);
            Function f = k.func();
            Runnable call = switch (api) {
                case "vjp" -> () -> {
                    VjpResult<Value, Value> r = Functional.vjp(f, k.inputs(), k.v(), k.createGraph, k.strict);
                    k.compare(expected(c).get("output"), r.output(), "output");
                    k.compare(expected(c).get("vjp"), r.vjp(), "vjp");
                };
                case "hessian" -> () -> k.compare(expected(c).get("hessian"), forwardOverReverse
                        ? Functional.hessian(f, k.inputs(), k.createGraph, k.strict, true, JacobianStrategy.FORWARD_MODE)
                        : Functional.hessian(f, k.inputs(), k.createGraph, k.strict), "hessian");
                case "hvp", "vhp" -> () -> {
                    HvpStrategy hs = forwardOverReverse ? HvpStrategy.FORWARD_OVER_REVERSE : HvpStrategy.REVERSE_OVER_REVERSE;
                    HvpResult<Value> r = api.equals("hvp")
                            ? Functional.hvp(f, k.inputs(), k.v(), k.createGraph, k.strict, hs)
                            : Functional.vhp(f, k.inputs(), k.v(), k.createGraph, k.strict, hs);
                    k.compare(expected(c).get("output"), r.output(), "output");
                    k.compare(expected(c).get(api), r.product(), api);
                };
                default -> throw new AssertionError("unknown api " + api);
            };
            if (err != null) {
                expectError(err, call::run);
            } else {
                call.run();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(Map<String, Object> c) {
        return (Map<String, Object>) c.get("error");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> expected(Map<String, Object> c) {
        return (Map<String, Object>) c.get("expected");
    }

    private static void expectError(Map<String, Object> err, Runnable call) {
        FunctionalException.Kind kind = FunctionalException.Kind.valueOf(
                ((String) err.get("kind")).toUpperCase(Locale.ROOT));
        FunctionalException e = assertThrows(FunctionalException.class, call::run,
                "PyTorch raised " + err.get("torch_type") + ": " + err.get("torch_message"));
        assertEquals(kind, e.kind(), "error kind (message: " + e.getMessage() + ")");
    }

    private static List<Tensor> flatten(Value v) {
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

    /** One case's inputs, v, constants and flags, built fresh in the case's dtype. */
    private static final class Case {
        final Map<String, Object> c;
        final String name;
        final DType dtype;
        final double tol;
        boolean createGraph;
        final boolean strict;
        final Map<String, Tensor> constants = new LinkedHashMap<>();

        Case(Map<String, Object> c) {
            this(c, dtypeOf(c), dtypeOf(c) == DType.FLOAT64 ? TOL_FLOAT64 : TOL_FLOAT32);
        }

        private static DType dtypeOf(Map<String, Object> c) {
            return switch ((String) c.get("dtype")) {
                case "float64" -> DType.FLOAT64;
                case "float32" -> DType.FLOAT32;
                default -> throw new AssertionError("dtype " + c.get("dtype"));
            };
        }

        /** The case run in {@code dtype} and compared with {@code tol} (float32 runs of float64 cases). */
        @SuppressWarnings("unchecked")
        Case(Map<String, Object> c, DType dtype, double tol) {
            this.c = c;
            this.name = (String) c.get("name");
            this.dtype = dtype;
            this.tol = tol;
            this.createGraph = Boolean.TRUE.equals(c.get("create_graph"));
            this.strict = Boolean.TRUE.equals(c.get("strict"));
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
        Value v() {
            List<Object> vs = (List<Object>) c.get("v");
            if (vs == null) {
                return null;
            }
            List<Tensor> r = new ArrayList<>();
            for (Object o : vs) {
                r.add(tensor(o));
            }
            if (Boolean.TRUE.equals(c.get("v_is_tuple"))) {
                return Tuple.ofList(r);
            }
            assertEquals(1, r.size(), name + ": a non-tuple v is one tensor");
            return r.get(0);
        }

        /** The case's port as a function of a Tensor or Tuple (raw: a port may return a non-Value). */
        @SuppressWarnings({"unchecked", "rawtypes"})
        Function func() {
            GoldenPorts.Port p = GoldenPorts.PORTS.get(name);
            assertNotNull(p, "no Java port for case " + name);
            boolean tuple = Boolean.TRUE.equals(c.get("inputs_are_tuple"));
            return (Function<Value, Object>) in -> {
                Tensor[] args = tuple ? ((Tuple) in).tensors().toArray(new Tensor[0]) : new Tensor[] {(Tensor) in};
                return p.apply(args, constants);
            };
        }

        /** Compares Tangent's value to PyTorch's (a {shape,data} map, or a list for a tuple). */
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
            Tensor e = tensor(expected);
            assertArrayEquals(e.shape(), a.shape(), name + ": shape of " + path);
            // PyTorch computed every case in its dtype (float64 cases with float64 as the default dtype)
            assertEquals(dtype, a.dtype(), name + ": dtype of " + path + " (the case runs in " + dtype.torchName() + ")");
            if (createGraph) {
                assertTrue(a.requiresGrad(), name + ": with create_graph, " + path + " must be differentiable");
            } else {
                assertFalse(a.requiresGrad(), name + ": without create_graph, " + path + " must not require grad");
                assertNull(a.gradFnName(), name + ": without create_graph, " + path + " must carry no graph");
            }
            double[] ad = a.toDoubleArray();
            double[] ed = ((List<Object>) ((Map<String, Object>) expected).get("data")).stream()
                    .mapToDouble(o -> (Double) o).toArray();
            for (int i = 0; i < ed.length; i++) {
                double err = Math.abs(ad[i] - ed[i]);
                if (!(err <= tol * Math.max(1.0, Math.abs(ed[i])))) {
                    fail(String.format(Locale.ROOT, "%s: %s element %d (flat) is %.17g, PyTorch %.17g (|diff| %.3g > %.0e"
                            + " relative)", name, path, i, ad[i], ed[i], err, tol));
                }
            }
        }
    }
}
