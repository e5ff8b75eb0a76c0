package dev.tangent.functional;

import dev.tangent.Tensor;
import dev.tangent.Value;
import dev.tangent.autograd.ForwardAD;
import dev.tangent.autograd.GradMode;
import dev.tangent.autograd.Recording;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code torch.func} style: {@link #jvp(Function, Value, Value)} returns {@code (output, jvp_out)} for
 * primals and tangents given positionally, and {@link #linearize} returns a linear function to apply
 * to many tangents without re-running the primal.
 */
public final class Func {
    private Func() {}

    /**
     * {@code torch.func.jvp(func, primals, tangents)}: forward mode; results stay connected to any
     * primal that requires grad (no detaching, as in torch.func).
     */
    public static <I extends Value, O extends Value> JvpResult<O> jvp(Function<I, O> func, I primals, I tangents) {
        if (tangents == null) {
            throw new FunctionalException(FunctionalException.Kind.INVALID_ARGUMENT,
                    "jvp: Expected tangents to be a Tensor or a tuple of Tensors, got null");
        }
        return Functional.jvp(func, primals, tangents, GradMode.isEnabled() && anyRequiresGrad(primals), false);
    }

    private static boolean anyRequiresGrad(Value v) {
        for (Tensor t : Args.of(v, "primals", "jvp").tensors) {
            if (t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code torch.func.linearize(func, *primals)}: evaluates {@code func} once and records its
     * tangent computation; the returned object applies J(primals) to any tangent. Work that does
     * not depend on the tangent (the primal, and factors such as f'(x)) is done here, once.
     */
    @SuppressWarnings("unchecked")
    public static <I extends Value, O extends Value> Linearized<I, O> linearize(Function<I, O> func, I primals) {
        Args in = Args.inputs(primals, "primals", "linearize");
        Recording<Object[]> rec = Recording.record(() -> {
            List<Tensor> placeholders = new ArrayList<>();
            for (Tensor x : in.tensors) {
                placeholders.add(Tensor.zerosLike(x));
            }
            return placeholders;
        }, placeholders -> {
            try (ForwardAD.DualLevel level = ForwardAD.dualLevel()) {
                List<Tensor> duals = new ArrayList<>();
                for (int i = 0; i < placeholders.size(); i++) {
                    duals.add(ForwardAD.makeDual(in.tensors.get(i).detach(), placeholders.get(i), level));
                }
                Args out = Args.ofOutput(((Function<Value, ?>) (Function<?, ?>) func).apply(in.rebuild(duals)),
                        "linearize");
                List<Tensor> outs = new ArrayList<>();
                List<Tensor> tangents = new ArrayList<>();
                for (Tensor o : out.tensors) {
                    ForwardAD.Dual d = ForwardAD.unpackDual(o, level);
                    outs.add(d.primal().detach());
                    tangents.add(d.tangent() == null ? null : ForwardAD.detachTape(d.tangent()));
                }
                return new Object[] {Args.ofOutput(out.rebuild(outs), "linearize"), tangents};
            }
        }, r -> {
            List<Tensor> read = new ArrayList<>(((Args) r[0]).tensors);
            read.addAll((List<Tensor>) r[1]);
            return read;
        }, false, false);
        Args outArgs = (Args) rec.result()[0];
        return new Linearized<>((O) outArgs.rebuild(outArgs.tensors), outArgs, rec, (List<Tensor>) rec.result()[1]);
    }
}
