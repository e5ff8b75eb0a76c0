package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.tangent.djl.engine.Fallback;
import dev.tangent.functional.FunctionalException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * DjlFunctional against the references a DJL user has: PyTorch's double-backward jvp through DJL
 * (JniUtils.backward with create_graph, as benchmarks/DjlMlp does), PyTorch's gradients, and
 * float64 central differences; and against itself (Jacobian = stacked jvps, Hessian symmetric).
 */
class DjlFunctionalTest {
    static final double F32_TOL = 1e-4;

    /** PyTorch's jvp through DJL: J v = d(J^T u · v)/du with u a dummy that requires grad. */
    static NDArray doubleBackwardJvp(Block block, NDManager pt, NDArray x, NDArray v) {
        Engine engine = pt.getEngine();
        try (GradientCollector gc = engine.newGradientCollector()) {
            NDArray xi = x.duplicate();
            xi.setRequiresGradient(true);
            NDArray out = block.forward(new ParameterStore(pt, false), new NDList(xi), false).singletonOrThrow();
            NDArray u = out.zerosLike();
            u.setRequiresGradient(true);
            JniUtils.backward((PtNDArray) out, (PtNDArray) u, true, true);
            NDArray g = xi.getGradient();
            JniUtils.backward((PtNDArray) g, (PtNDArray) v, false, false);
            return u.getGradient().duplicate();
        }
    }

    private static void check(String what, double err, double tol) {
        System.out.printf("%-55s %.2e (tol %.0e)%n", what, err, tol);
        assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
    }

    @Test
    void jvpOfMlpAndResNetMatchesPytorchDoubleBackward() {
        for (Models.Spec spec : new Models.Spec[] {Models.MLP, Models.RESNET18}) {
            try (Model model = Model.newInstance(spec.name(), Engines.PYTORCH)) {
                Block block = spec.factory().get();
                model.setBlock(block);
                block.initialize(model.getNDManager(), DataType.FLOAT32, spec.input());
                Models.randomize(block, 21);
                try (NDManager pt = model.getNDManager().newSubManager()) {
                    NDArray x = Models.input(spec, pt, 1);
                    NDArray v = Models.input(spec, pt, 2);
                    NDArray want = doubleBackwardJvp(block, pt, x, v);
                    // PyTorch arrays in, PyTorch arrays out; the block (PyTorch parameters) is read without copying
                    NDJvpResult r = DjlFunctional.jvp(block, new NDList(x), new NDList(v));
                    assertEquals(Engines.PYTORCH, r.jvp().head().getManager().getEngine().getEngineName());
                    assertEquals(want.getShape(), r.jvp().head().getShape());
                    NDArray out = block.forward(new ParameterStore(pt, false), new NDList(x), false).singletonOrThrow();
                    check(spec.name() + " output vs PyTorch forward", Engines.relErr(r.output().head(), out), F32_TOL);
                    check(spec.name() + " jvp vs PyTorch double backward", Engines.relErr(r.jvp().head(), want), F32_TOL);
                }
            }
        }
    }

    @Test
    void float64JvpMatchesCentralDifferences() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            // (DJL's attention block initializes its projections as float32 whatever the type asked: not here)
            for (Models.Spec spec : new Models.Spec[] {Models.MLP, Models.CONVNET}) {
                Block block = spec.factory().get();
                block.initialize(m, DataType.FLOAT64, spec.input());
                NDArray x = Engines.gaussian64(m, 3, 1, spec.input().getShape());
                NDArray v = Engines.gaussian64(m, 4, 1, spec.input().getShape());
                NDJvpResult r = DjlFunctional.jvp(block, new NDList(x), new NDList(v));
                assertEquals(DataType.FLOAT64, r.jvp().head().getDataType());
                double h = 1e-5;
                Function<NDArray, NDArray> f = a -> block.forward(new ParameterStore(m, false), new NDList(a), false).head();
                NDArray fd = f.apply(x.add(v.mul(h))).sub(f.apply(x.sub(v.mul(h)))).div(2 * h);
                check(spec.name() + " float64 jvp vs central differences", Engines.relErr(r.jvp().head(), fd), 1e-7);
            }
        }
    }

    @Test
    void jacobianEqualsStackedJvpsAndVjpPassesTheDotProductTest() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            Block block = Models.MLP.factory().get();
            block.initialize(m, DataType.FLOAT64, new Shape(1, 20));
            NDArray x = Engines.gaussian64(m, 5, 1, 1, 20);
            NDArray jac = DjlFunctional.jacobian(block, new NDList(x)).singletonOrThrow();
            assertEquals(new Shape(1, 5, 1, 20), jac.getShape());
            for (int j = 0; j < 20; j++) {
                NDArray e = m.zeros(new Shape(1, 20), DataType.FLOAT64);
                e.set(new ai.djl.ndarray.index.NDIndex(0, j), 1.0);
                NDArray col = DjlFunctional.jvp(block, new NDList(x), new NDList(e)).jvp().head();
                assertTrue(Engines.relErr(jac.get(":, :, 0, " + j), col) <= 1e-12, "column " + j);
            }
            NDArray v = Engines.gaussian64(m, 6, 1, 1, 20);
            NDArray u = Engines.gaussian64(m, 7, 1, 1, 5);
            NDArray jv = DjlFunctional.jvp(block, new NDList(x), new NDList(v)).jvp().head();
            NDArray jtu = DjlFunctional.vjp(block, new NDList(x), new NDList(u)).vjp().head();
            double a = u.mul(jv).sum().getDouble();
            double b = jtu.mul(v).sum().getDouble();
            assertEquals(a, b, 1e-12 * Math.abs(a), "<u, J v> = <J^T u, v>");
        }
    }

    @Test
    void hessianIsSymmetricAndAgreesWithHvpAndVhp() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            Block block = Models.MLP.factory().get();
            block.initialize(m, DataType.FLOAT64, new Shape(1, 20));
            Function<NDList, NDList> energy = in -> {
                NDArray y = BlockFunction.of(block).apply(in).head();
                return new NDList(y.square().sum());
            };
            NDArray x = Engines.gaussian64(m, 8, 1, 1, 20);
            NDArray h = DjlFunctional.hessian(energy, new NDList(x)).singletonOrThrow();
            assertEquals(new Shape(1, 20, 1, 20), h.getShape());
            NDArray h2 = h.reshape(20, 20);
            assertTrue(Engines.relErr(h2, h2.transpose()) <= 1e-12, "symmetric");
            NDArray v = Engines.gaussian64(m, 9, 1, 1, 20);
            NDHvpResult hv = DjlFunctional.hvp(energy, new NDList(x), new NDList(v));
            NDArray want = h2.matMul(v.reshape(20)).reshape(1, 20);
            assertTrue(Engines.relErr(hv.product().head(), want) <= 1e-10);
            assertTrue(Engines.relErr(DjlFunctional.vhp(energy, new NDList(x), new NDList(v)).product().head(), want) <= 1e-10);
            assertTrue(hv.output().isScalar());
        }
    }

    @Test
    void parameterGradientsMatchPytorch() {
        try (Model model = Model.newInstance("mlp", Engines.PYTORCH)) {
            Block block = Models.MLP.factory().get();
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, Models.MLP.input());
            Models.randomize(block, 31);
            try (NDManager pt = model.getNDManager().newSubManager()) {
                NDArray x = Models.input(Models.MLP, pt, 3);
                // PyTorch: d sum(f) / d params
                try (GradientCollector gc = pt.getEngine().newGradientCollector()) {
                    NDArray y = block.forward(new ParameterStore(pt, false), new NDList(x), true).head();
                    gc.backward(y.sum());
                }
                BlockFunction f = BlockFunction.of(block).withParameters();
                assertEquals(6, f.parameterNames().size());
                NDArray ones = pt.ones(new Shape(3, 5));
                NDVjpResult r = DjlFunctional.vjp(f, f.inputsWithParameters(new NDList(x)), new NDList(ones));
                assertEquals(7, r.vjp().size(), "the input's and each parameter's");
                int i = 1;
                for (Pair<String, Parameter> p : block.getParameters()) {
                    NDArray g = p.getValue().getArray().getGradient();
                    check("d sum(mlp) / d " + p.getKey() + " vs PyTorch", Engines.relErr(r.vjp().get(i++), g), F32_TOL);
                }
                // and the jvp along a parameter direction: d f(x; W + t dW)/dt by central differences
                NDArray w = block.getParameters().get(0).getValue().getArray();
                NDList tangents = new NDList(pt.zeros(x.getShape()));
                for (Pair<String, Parameter> p : block.getParameters()) {
                    NDArray a = p.getValue().getArray();
                    tangents.add(a == w ? Engines.gaussian(pt, 4, 1, a.getShape().getShape()) : pt.zeros(a.getShape()));
                }
                NDArray jvp = DjlFunctional.jvp(f, f.inputsWithParameters(new NDList(x)), tangents).jvp().head();
                assertTrue(jvp.abs().sum().getFloat() > 0, "the weight direction moves the output");
            }
        }
    }

    @Test
    void tupleInputsAndOutputsKeepPytorchsStructure() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            Function<NDList, NDList> f = in -> new NDList(in.get(0).mul(in.get(1)), in.get(0).sin().sum());
            NDArray a = m.create(new double[] {1, 2, 3});
            NDArray b = m.create(new double[] {4, 5, 6});
            NDJvpResult r = DjlFunctional.jvp(f, new NDList(a, b), new NDList(m.ones(new Shape(3), DataType.FLOAT64),
                    m.zeros(new Shape(3), DataType.FLOAT64)));
            assertEquals(2, r.jvp().size());
            ContractBase.assertClose(r.jvp().get(0), 1e-12, 4, 5, 6);
            ContractBase.assertClose(r.jvp().get(1), 1e-12, Math.cos(1) + Math.cos(2) + Math.cos(3));
            NDList jac = DjlFunctional.jacobian(f, new NDList(a, b));
            assertEquals(4, jac.size(), "(output, input) pairs, output-major");
            assertEquals(new Shape(3, 3), jac.get(0).getShape());
            assertEquals(new Shape(3), jac.get(2).getShape());
            ContractBase.assertClose(jac.get(1), 1e-12, 1, 0, 0, 0, 2, 0, 0, 0, 3);
            FunctionalException e = assertThrows(FunctionalException.class,
                    () -> DjlFunctional.jvp(f, new NDList(a, b), new NDList(a)));
            assertTrue(e.getMessage().contains("v"), e.getMessage());
            FunctionalException strict = assertThrows(FunctionalException.class, () -> DjlFunctional.jvp(
                    in -> new NDList(in.get(0).getManager().ones(new Shape(3), DataType.FLOAT64)), new NDList(a),
                    new NDList(a), false, true));
            assertTrue(strict.getMessage().contains("independent") || strict.getMessage().contains("strict"),
                    strict.getMessage());
        }
    }

    @Test
    void strictModeThrowsOnAnUnsupportedOperationInsideJvp() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray x = m.create(new double[] {0.1, 0.2});
            Function<NDList, NDList> f = in -> new NDList(in.head().erfinv());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> DjlFunctional.jvp(f, new NDList(x), new NDList(x)));
            assertTrue(e.getMessage().contains("erfinv"), e.getMessage());
            Fallback.setEngine(Engines.PYTORCH);
            try {
                // outside differentiation the fallback computes it (copies both ways)...
                assertEquals(0.0889, x.erfinv().getDouble(0), 1e-4);
                assertEquals(Engines.TANGENT, x.erfinv().getManager().getEngine().getEngineName());
                // ...inside, never: it would drop the tangent
                UnsupportedOperationException inside = assertThrows(UnsupportedOperationException.class,
                        () -> DjlFunctional.jvp(f, new NDList(x), new NDList(x)));
                assertTrue(inside.getMessage().contains("inside differentiation"), inside.getMessage());
            } finally {
                Fallback.setEngine(null);
            }
            assertThrows(UnsupportedOperationException.class, () -> x.erfinv());
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> {
                try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH)) {
                    DjlFunctional.jvp(in -> new NDList(pt.create(new double[] {1, 2})), new NDList(x), new NDList(x));
                }
            });
            assertTrue(foreign.getMessage().contains("PyTorch"), foreign.getMessage());
        }
    }

    @Test
    void createGraphKeepsTheResultsDifferentiable() {
        try (NDManager m = NDManager.newBaseManager(Engines.TANGENT)) {
            NDArray x = m.create(new double[] {0.5, 1.5});
            Function<NDList, NDList> cube = in -> new NDList(in.head().pow(3).sum());
            // d/dx (3 x^2 . v) = 6 x v: the jvp of the jvp, the graph kept by createGraph
            Function<NDList, NDList> jvpOfCube = in -> DjlFunctional.jvp(cube, in, new NDList(in.head().onesLike()), true,
                    false).jvp();
            NDJvpResult second = DjlFunctional.jvp(jvpOfCube, new NDList(x), new NDList(m.ones(new Shape(2),
                    DataType.FLOAT64)));
            ContractBase.assertClose(second.output().head(), 1e-12, 3 * 0.25 + 3 * 2.25);
            ContractBase.assertClose(second.jvp().head(), 1e-12, 6 * 0.5 + 6 * 1.5);
            try (NDManager pt = NDManager.newBaseManager(Engines.PYTORCH)) {
                assertThrows(IllegalArgumentException.class, () -> DjlFunctional.jvp(cube,
                        new NDList(pt.create(new double[] {1})), new NDList(pt.create(new double[] {1})), true, false));
            }
        }
    }
}
