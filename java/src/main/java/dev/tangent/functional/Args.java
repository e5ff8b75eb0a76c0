package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Tuple;
import dev.tangent.Value;
import dev.tangent.functional.FunctionalException.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Inputs/outputs flattened to tensors, remembering whether they came as a Tuple, and the argument
 * checks every functional API runs (PyTorch's {@code _as_tuple}, {@code _validate_v}, and the
 * nesting of results).
 */
final class Args {
    final List<Tensor> tensors;
    final boolean tuple;

    Args(List<Tensor> tensors, boolean tuple) {
        this.tensors = tensors;
        this.tuple = tuple;
    }

    static Args of(Value v, String what, String api) {
        if (v == null) {
            throw new FunctionalException(Kind.INVALID_ARGUMENT, "The " + what + " given to " + api
                    + " must be either a Tensor or a tuple of Tensors but the given " + what + " is null.");
        }
        if (v instanceof Tensor t) {
            return new Args(List.of(t), false);
        }
        Tuple tu = (Tuple) v;
        List<Tensor> r = new ArrayList<>();
        for (int i = 0; i < tu.size(); i++) {
            if (!(tu.value(i) instanceof Tensor t)) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, "The " + what + " given to " + api
                        + " must be either a Tensor or a tuple of Tensors but the value at index " + i
                        + " has type Tuple.");
            }
            r.add(t);
        }
        return new Args(r, true);
    }

    /**
     * The inputs of a derivative: a Tensor or a Tuple of Tensors, each of a floating point dtype
     * (PyTorch: "only Tensors of floating point dtype can require gradients").
     */
    static Args inputs(Value v, String what, String api) {
        Args a = of(v, what, api);
        for (int i = 0; i < a.tensors.size(); i++) {
            Tensor t = a.tensors.get(i);
            if (!t.dtype().isFloatingPoint()) {
                throw new FunctionalException(Kind.INVALID_ARGUMENT, api + ": only Tensors of floating point dtype can"
                        + " require gradients, but " + what + (a.tuple ? " " + i : "") + " is " + t.dtype().torchName());
            }
        }
        return a;
    }

    static Args ofOutput(Object o, String api) {
        if (o instanceof Tensor t) {
            return new Args(List.of(t), false);
        }
        if (o instanceof Tuple tu) {
            List<Tensor> r = new ArrayList<>();
            for (int i = 0; i < tu.size(); i++) {
                if (!(tu.value(i) instanceof Tensor t)) {
                    throw notTensor(api, "the value at index " + i + " has type Tuple");
                }
                r.add(t);
            }
            return new Args(r, true);
        }
        throw notTensor(api, "the given outputs of the user-provided function has type "
                + (o == null ? "null" : o.getClass().getName()));
    }

    private static FunctionalException notTensor(String api, String detail) {
        return new FunctionalException(Kind.OUTPUT_NOT_TENSOR, "The outputs of the user-provided function given to "
                + api + " must be either a Tensor or a tuple of Tensors but " + detail + ".");
    }

    Value rebuild(List<Tensor> ts) {
        return tuple ? Tuple.ofList(ts) : ts.get(0);
    }

    @SuppressWarnings("unchecked")
    static <I extends Value> Object callUser(Function<I, ?> func, Value arg) {
        if (func == null) {
            throw new FunctionalException(Kind.INVALID_ARGUMENT, "the function given is null");
        }
        return ((Function<Value, ?>) (Function<?, ?>) func).apply(arg);
    }

    static List<Tensor> validateV(Value v, Args in, String api) {
        if (v == null) {
            if (in.tensors.size() != 1 || in.tensors.get(0).numel() != 1) {
                throw new FunctionalException(Kind.V_NONE_MULTI_ELEMENT, "The vector v can only be None if the input to"
                        + " the user-provided function is a single Tensor with a single element.");
            }
            Tensor x = in.tensors.get(0);
            return List.of(Tensor.full(1, x.dtype(), x.device(), x.shape()));
        }
        List<Tensor> vs = Args.of(v, "v", api).tensors;
        if (vs.size() != in.tensors.size()) {
            throw new FunctionalException(Kind.V_LENGTH_MISMATCH, "v is a tuple of invalid length: should be "
                    + in.tensors.size() + " but got " + vs.size() + ".");
        }
        for (int i = 0; i < vs.size(); i++) {
            Tensor a = vs.get(i);
            Tensor x = in.tensors.get(i);
            if (!Arrays.equals(a.shape(), x.shape())) {
                String pre = in.tuple ? "Entry " + i + " in v has invalid size" : "v has invalid size";
                throw new FunctionalException(Kind.V_SHAPE_MISMATCH, pre + ": should be torch.Size("
                        + Arrays.toString(x.shape()) + ") but got torch.Size(" + Arrays.toString(a.shape()) + ").");
            }
            if (a.dtype() != x.dtype() && x.dtype().isFloatingPoint()) {
                vs = new ArrayList<>(vs);
                vs.set(i, a.to(x.dtype()));
            }
        }
        return vs;
    }

    static void checkSameShapes(List<Tensor> vs, List<Tensor> outs, boolean tuple, String api) {
        if (vs.size() != outs.size()) {
            throw new FunctionalException(Kind.V_LENGTH_MISMATCH, "v is a tuple of invalid length: should be "
                    + outs.size() + " but got " + vs.size() + ".");
        }
        for (int i = 0; i < vs.size(); i++) {
            if (!Arrays.equals(vs.get(i).shape(), outs.get(i).shape())) {
                String pre = tuple ? "Entry " + i + " in v has invalid size" : "v has invalid size";
                throw new FunctionalException(Kind.V_SHAPE_MISMATCH, pre + ": should be torch.Size("
                        + Arrays.toString(outs.get(i).shape()) + ") but got torch.Size(" + Arrays.toString(vs.get(i).shape()) + ").");
            }
        }
    }


    static Tensor stackRows(List<Tensor> rows, long[] outShape, Tensor x, boolean createGraph) {
        long[] full = concat(outShape, x.shape());
        if (rows.isEmpty()) {
            return Tensor.full(0, x.dtype(), x.device(), full);
        }
        Tensor m = Tensor.stack(rows, 0).reshape(full);
        return createGraph ? m : dev.tangent.autograd.ForwardAD.detachTape(m);
    }

    static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static List<Tensor> zerosLike(List<Tensor> xs) {
        List<Tensor> r = new ArrayList<>();
        for (Tensor x : xs) {
            r.add(Tensor.zerosLike(x));
        }
        return r;
    }

    /** PyTorch's nesting of a Jacobian table [output][input] by the tuple-ness of each side. */
    static Value nest(List<List<Tensor>> table, boolean outTuple, boolean inTuple) {
        if (!outTuple && !inTuple) {
            return table.get(0).get(0);
        }
        if (!outTuple) {
            return Tuple.ofList(table.get(0));
        }
        List<Value> rows = new ArrayList<>();
        for (List<Tensor> row : table) {
            rows.add(inTuple ? Tuple.ofList(row) : row.get(0));
        }
        return Tuple.ofList(rows);
    }
}
