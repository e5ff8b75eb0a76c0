package dev.tangent.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.tangent.Tensor;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.djl.engine.TgNDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A DJL {@link Block}'s forward as a {@code Function<NDList, NDList>} that {@link DjlFunctional} and
 * {@link DjlJvpPlan} differentiate, optionally with respect to (some of) its parameters as well.
 *
 * <p>The function's inputs are the block's inputs followed by the selected parameters
 * ({@link #withParameters}), in {@link #parameterNames()} order; {@link #inputsWithParameters}
 * appends their current values. The block runs unchanged: its parameters come from a
 * {@link ParameterStore} subclass that returns, for a selected parameter, the array passed in
 * (which carries the tangent or records the tape), and for the others a Tangent view of the
 * parameter's value (a Tangent-engine parameter without copying; a PyTorch CPU parameter without
 * copying either, see {@link Interop}), detached so that nothing is recorded for them.
 *
 * <p>Inference mode by default ({@code training=false}: batch norm uses its running statistics,
 * dropout is the identity), as PyTorch's functional API is used on a module in {@code eval()} mode.
 * Immutable and thread-safe: many threads may apply one instance at once.
 */
public final class BlockFunction implements Function<NDList, NDList> {
    private final Block block;
    private final boolean training;
    private final List<String> names;
    private final List<Parameter> selected;

    private BlockFunction(Block block, boolean training, List<String> names, List<Parameter> selected) {
        this.block = block;
        this.training = training;
        this.names = names;
        this.selected = selected;
    }

    /** The block's forward in inference mode, differentiated with respect to its inputs only. */
    public static BlockFunction of(Block block) {
        return new BlockFunction(block, false, List.of(), List.of());
    }

    /** The same, with the block's forward in training ({@code true}) or inference mode. */
    public BlockFunction training(boolean on) {
        return new BlockFunction(block, on, names, selected);
    }

    /**
     * The same, also differentiated with respect to these parameters (names as in
     * {@code block.getParameters()}, e.g. {@code "01Linear_weight"}); no names: every parameter
     * that requires a gradient (not batch norm's running statistics).
     */
    public BlockFunction withParameters(String... parameterNames) {
        Map<String, Parameter> all = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            all.put(p.getKey(), p.getValue());
        }
        List<String> n = new ArrayList<>();
        List<Parameter> s = new ArrayList<>();
        if (parameterNames.length == 0) {
            for (Map.Entry<String, Parameter> e : all.entrySet()) {
                if (e.getValue().requiresGradient()) {
                    n.add(e.getKey());
                    s.add(e.getValue());
                }
            }
        } else {
            for (String name : parameterNames) {
                Parameter p = all.get(name);
                if (p == null) {
                    throw new IllegalArgumentException("withParameters: the block has no parameter '" + name
                            + "'; its parameters are " + all.keySet());
                }
                n.add(name);
                s.add(p);
            }
        }
        return new BlockFunction(block, training, Collections.unmodifiableList(n), Collections.unmodifiableList(s));
    }

    /** The block. */
    public Block block() {
        return block;
    }

    /** The selected parameters' names, in the order they follow the inputs. */
    public List<String> parameterNames() {
        return names;
    }

    /** The selected parameters' current values, in order (the block's own arrays). */
    public NDList parameterValues() {
        NDList r = new NDList();
        for (Parameter p : selected) {
            r.add(p.getArray());
        }
        return r;
    }

    /** {@code inputs} followed by the selected parameters' current values: the function's full input. */
    public NDList inputsWithParameters(NDList inputs) {
        NDList r = new NDList(inputs.size() + selected.size());
        r.addAll(inputs);
        r.addAll(parameterValues());
        return r;
    }

    /** Runs the block's forward: {@code all} is the block's inputs followed by the selected parameters. */
    @Override
    public NDList apply(NDList all) {
        int k = all.size() - selected.size();
        if (k < 1) {
            throw new IllegalArgumentException("BlockFunction: expected the block's inputs followed by " + selected.size()
                    + " parameter array(s) " + names + ", got " + all.size() + " array(s)");
        }
        Map<String, NDArray> given = new HashMap<>();
        for (int i = 0; i < selected.size(); i++) {
            NDArray p = all.get(k + i);
            Parameter param = selected.get(i);
            if (param.getArray() != null && !param.getArray().getShape().equals(p.getShape())) {
                throw new IllegalArgumentException("BlockFunction: parameter '" + names.get(i) + "' has shape "
                        + param.getArray().getShape() + ", got an array of shape " + p.getShape());
            }
            given.put(param.getId(), p);
        }
        NDManager m = all.head().getManager();
        TgNDManager tm = m instanceof TgNDManager ? (TgNDManager) m : TgNDManager.system();
        NDList inputs = all.subNDList(0, k);
        return block.forward(new TangentParameterStore(tm, given), inputs, training, null);
    }

    /** Parameters for one forward: the given arrays, or Tangent views of the stored values. */
    private static final class TangentParameterStore extends ParameterStore {
        private final TgNDManager manager;
        private final Map<String, NDArray> given;
        private final Map<String, NDArray> views = new HashMap<>();

        TangentParameterStore(TgNDManager manager, Map<String, NDArray> given) {
            super(manager, false);
            this.manager = manager;
            this.given = given;
        }

        @Override
        public NDArray getValue(Parameter parameter, Device device, boolean training) {
            if (parameter == null) {
                return null;
            }
            NDArray g = given.get(parameter.getId());
            if (g != null) {
                return g;
            }
            return views.computeIfAbsent(parameter.getId(), id -> {
                NDArray value = parameter.getArray();
                Tensor t = value instanceof TgNDArray ? ((TgNDArray) value).getTensor() : Interop.toTensor(value);
                return TgNDArray.wrap(manager, t.detach());
            });
        }

        @Override
        public NDManager getManager() {
            return manager;
        }
    }
}
