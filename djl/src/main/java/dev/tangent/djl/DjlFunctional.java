package dev.tangent.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import dev.tangent.Scope;
import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.djl.engine.Home;
import dev.tangent.djl.engine.SharedMemory;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.djl.engine.TgNDManager;
import dev.tangent.functional.Functional;
import dev.tangent.functional.HvpResult;
import dev.tangent.functional.JvpResult;
import dev.tangent.functional.VjpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code torch.autograd.functional} for DJL: {@link #jvp}, {@link #vjp}, {@link #jacobian},
 * {@link #hessian}, {@link #hvp} and {@link #vhp} of a DJL {@link Block} or of a
 * {@code Function<NDList, NDList>}, at arrays of any engine, with PyTorch's contract (argument
 * checks and errors, {@code createGraph}, {@code strict}) — computed by Tangent, {@code jvp} in true
 * forward mode.
 *
 * <p><b>Structure.</b> An {@link NDList} of one array is PyTorch's single tensor; of several, a
 * tuple. Results are NDLists: one array per output (output, jvp), per input (vjp, hvp, vhp), and for
 * {@code jacobian}/{@code hessian} one array per (output, input) pair, output-major — entry
 * {@code i * inputs + j} has shape {@code output_i.shape + input_j.shape}.
 *
 * <p><b>How it runs.</b> The function (the block's forward) runs on Tangent-engine arrays that carry
 * the tangents (or record the tape); the block's parameters come from a {@code ParameterStore}
 * subclass that hands out Tangent views of their values, so the block is used unchanged. Inputs of
 * another engine (PyTorch, CPU) are read without copying ({@link Interop#toTensor}). Every operation
 * the function calls must be implemented by the Tangent engine: an unimplemented one throws
 * {@link UnsupportedOperationException} naming it (no fallback inside differentiation).
 *
 * <p><b>Results</b> belong to the manager of the first input: Tangent-engine results own their
 * memory in DJL's way (closing them or the manager frees it); other engines get copies, created
 * with their manager. {@code createGraph} needs Tangent-engine inputs (the graph lives on Tangent's
 * tape; the results then keep it alive until they are closed).
 *
 * <p><b>Threads.</b> Every method may be called from many threads at once, on the same block: each
 * call uses its own arrays and per-thread state; the block and its parameters are only read.
 */
public final class DjlFunctional {
    private DjlFunctional() {}

    // ================================================================ jvp

    /** {@code jvp(block, inputs, v)}: J·v of the block's forward (inference mode) at inputs. */
    public static NDJvpResult jvp(Block block, NDList inputs, NDList v) {
        return jvp(BlockFunction.of(block), inputs, v, false, false);
    }

    /** {@code jvp(func, inputs, v)}: no graph, not strict. */
    public static NDJvpResult jvp(Function<NDList, NDList> func, NDList inputs, NDList v) {
        return jvp(func, inputs, v, false, false);
    }

    /**
     * The Jacobian of {@code func} at {@code inputs} times {@code v}, in forward mode.
     *
     * @param v shaped like inputs; null only for a single one-element input (then ones)
     */
    public static NDJvpResult jvp(Function<NDList, NDList> func, NDList inputs, NDList v, boolean createGraph,
            boolean strict) {
        return call(inputs, createGraph, (c, x) -> {
            JvpResult<Value> r = Functional.jvp(c.fn(func), x, c.value(v, "v"), createGraph, strict);
            return new NDJvpResult(c.out(r.output()), c.out(r.jvp()));
        });
    }

    // ================================================================ vjp

    /** {@code vjp(block, inputs, v)}. */
    public static NDVjpResult vjp(Block block, NDList inputs, NDList v) {
        return vjp(BlockFunction.of(block), inputs, v, false, false);
    }

    /** {@code vjp(func, inputs, v)}: no graph, not strict. */
    public static NDVjpResult vjp(Function<NDList, NDList> func, NDList inputs, NDList v) {
        return vjp(func, inputs, v, false, false);
    }

    /**
     * vᵀ·J of {@code func} at {@code inputs}, by Tangent's reverse mode.
     *
     * @param v shaped like the outputs; null only when the output is a single one-element array
     */
    public static NDVjpResult vjp(Function<NDList, NDList> func, NDList inputs, NDList v, boolean createGraph,
            boolean strict) {
        return call(inputs, createGraph, (c, x) -> {
            VjpResult<Value, Value> r = Functional.vjp(c.fn(func), x, c.value(v, "v"), createGraph, strict);
            return new NDVjpResult(c.out(r.output()), c.out(r.vjp()));
        });
    }

    // ================================================================ jacobian, hessian

    /** {@code jacobian(block, inputs)}. */
    public static NDList jacobian(Block block, NDList inputs) {
        return jacobian(BlockFunction.of(block), inputs, false, false);
    }

    /** {@code jacobian(func, inputs)}: no graph, not strict. */
    public static NDList jacobian(Function<NDList, NDList> func, NDList inputs) {
        return jacobian(func, inputs, false, false);
    }

    /** The Jacobian, output-major (see the class comment). */
    public static NDList jacobian(Function<NDList, NDList> func, NDList inputs, boolean createGraph, boolean strict) {
        return call(inputs, createGraph, (c, x) -> c.out(Functional.jacobian(c.fn(func), x, createGraph, strict,
                false, dev.tangent.functional.JacobianStrategy.REVERSE_MODE)));
    }

    /** {@code hessian(func, inputs)} of a function returning one one-element array. */
    public static NDList hessian(Function<NDList, NDList> func, NDList inputs) {
        return hessian(func, inputs, false, false);
    }

    /** The Hessian, one array per (input i, input j) pair, row-major. */
    public static NDList hessian(Function<NDList, NDList> func, NDList inputs, boolean createGraph, boolean strict) {
        return call(inputs, createGraph, (c, x) -> c.out(Functional.hessian(c.scalarFn(func, "hessian"), x,
                createGraph, strict)));
    }

    /** {@code hvp(func, inputs, v)}. */
    public static NDHvpResult hvp(Function<NDList, NDList> func, NDList inputs, NDList v) {
        return hvp(func, inputs, v, false, false);
    }

    /** H·v of a function returning one one-element array. */
    public static NDHvpResult hvp(Function<NDList, NDList> func, NDList inputs, NDList v, boolean createGraph,
            boolean strict) {
        return call(inputs, createGraph, (c, x) -> {
            HvpResult<Value> r = Functional.hvp(c.scalarFn(func, "hvp"), x, c.value(v, "v"), createGraph, strict);
            return new NDHvpResult(c.out(r.output()).singletonOrThrow(), c.out(r.product()));
        });
    }

    /** {@code vhp(func, inputs, v)}. */
    public static NDHvpResult vhp(Function<NDList, NDList> func, NDList inputs, NDList v) {
        return vhp(func, inputs, v, false, false);
    }

    /** vᵀ·H of a function returning one one-element array. */
    public static NDHvpResult vhp(Function<NDList, NDList> func, NDList inputs, NDList v, boolean createGraph,
            boolean strict) {
        return call(inputs, createGraph, (c, x) -> {
            HvpResult<Value> r = Functional.vhp(c.scalarFn(func, "vhp"), x, c.value(v, "v"), createGraph, strict);
            return new NDHvpResult(c.out(r.output()).singletonOrThrow(), c.out(r.product()));
        });
    }

    // ================================================================ plumbing

    private interface Body<R> {
        R run(Call c, Value inputs);
    }

    private static <R> R call(NDList inputs, boolean createGraph, Body<R> body) {
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("inputs: expected at least one array");
        }
        NDManager target = inputs.head().getManager();
        if (createGraph && !(target instanceof TgNDManager)) {
            throw new IllegalArgumentException("createGraph=true needs Tangent-engine inputs (the graph lives on"
                    + " Tangent's tape); these are arrays of the " + target.getEngine().getEngineName() + " engine");
        }
        Home home = Home.current();
        home.enterFunctional();
        TgNDManager fm = TgNDManager.system().newSubManager();
        // With createGraph everything the call makes stays alive with the results (their graph needs it).
        ResultMemory mem = createGraph ? ResultMemory.keepAll() : ResultMemory.copyOut();
        try {
            Call c = new Call(target, fm, mem);
            return body.run(c, c.value(inputs, "inputs"));
        } finally {
            fm.close();
            home.exitFunctional();
            mem.close();
        }
    }

    /** Where a call's results live: copied out of a temporary scope, or kept with everything in one lane. */
    private static final class ResultMemory implements AutoCloseable {
        final Scope scope;
        final SharedMemory keeper;

        private ResultMemory(Scope scope, SharedMemory keeper) {
            this.scope = scope;
            this.keeper = keeper;
        }

        static ResultMemory copyOut() {
            return new ResultMemory(Scope.open(), null);
        }

        static ResultMemory keepAll() {
            return new ResultMemory(null, SharedMemory.open());
        }

        @Override
        public void close() {
            if (scope != null) {
                scope.close();
            }
            if (keeper != null) {
                keeper.close();
            }
        }
    }

    /** One call: the functional manager its wrappers belong to, and where results go. */
    private static final class Call {
        final NDManager target;
        final TgNDManager fm;
        final ResultMemory mem;

        Call(NDManager target, TgNDManager fm, ResultMemory mem) {
            this.target = target;
            this.fm = fm;
            this.mem = mem;
        }

        Value value(NDList list, String what) {
            if (list == null) {
                return null;
            }
            if (list.isEmpty()) {
                throw new IllegalArgumentException(what + ": expected at least one array");
            }
            List<Tensor> ts = new ArrayList<>(list.size());
            for (NDArray a : list) {
                ts.add(Interop.toTensor(a));
            }
            return ts.size() == 1 ? ts.get(0) : Tuple.ofList(ts);
        }

        Function<Value, Value> fn(Function<NDList, NDList> f) {
            return x -> {
                NDList out = f.apply(wrap(x));
                if (out == null || out.isEmpty()) {
                    throw new IllegalArgumentException("the function returned no arrays");
                }
                List<Tensor> ts = new ArrayList<>(out.size());
                for (int i = 0; i < out.size(); i++) {
                    NDArray a = out.get(i);
                    if (!(a instanceof TgNDArray)) {
                        throw new IllegalArgumentException("output " + i + " is an array of the "
                                + a.getManager().getEngine().getEngineName() + " engine: the function must compute with"
                                + " the (Tangent-engine) arrays it is given, or tangents and gradients are lost");
                    }
                    ts.add(((TgNDArray) a).getTensor());
                }
                return ts.size() == 1 ? ts.get(0) : Tuple.ofList(ts);
            };
        }

        Function<Value, Tensor> scalarFn(Function<NDList, NDList> f, String op) {
            Function<Value, Value> g = fn(f);
            return x -> {
                Value v = g.apply(x);
                if (!(v instanceof Tensor)) {
                    throw new IllegalArgumentException(op + ": the function must return a single array with one"
                            + " element, got " + ((Tuple) v).size() + " arrays");
                }
                return (Tensor) v;
            };
        }

        private NDList wrap(Value x) {
            NDList in = new NDList();
            if (x instanceof Tensor) {
                in.add(TgNDArray.wrap(fm, (Tensor) x));
            } else {
                for (Value v : (Tuple) x) {
                    in.add(TgNDArray.wrap(fm, (Tensor) v));
                }
            }
            return in;
        }

        /** A result value flattened into arrays of the target manager. */
        NDList out(Value v) {
            NDList r = new NDList();
            flatten(v, r);
            return r;
        }

        private void flatten(Value v, NDList r) {
            if (v instanceof Tuple) {
                for (Value e : (Tuple) v) {
                    flatten(e, r);
                }
                return;
            }
            Tensor t = (Tensor) v;
            if (mem.keeper != null) {
                r.add(mem.keeper.share((TgNDManager) target, t));
            } else if (target instanceof TgNDManager) {
                r.add(TgNDArray.own((TgNDManager) target, t.clone()));
            } else {
                r.add(Interop.copyToNDArray(t, target));
            }
        }
    }
}
