package dev.tangent.engine;

import dev.tangent.Tensor;
import dev.tangent.ops.Attrs;
import dev.tangent.ops.Prim;
import java.util.Locale;

/**
 * One recorded primitive application on the reverse-mode tape: the primitive, its attributes,
 * its inputs and its output. Inputs link to their own nodes, so the tape is the graph itself.
 */
public final class Node {
    private final Prim prim;
    private final Attrs attrs;
    private final Tensor[] inputs;
    private final Tensor output;

    Node(Prim prim, Attrs attrs, Tensor[] inputs, Tensor output) {
        this.prim = prim;
        this.attrs = attrs;
        this.inputs = inputs.clone();
        this.output = output;
    }

    public Prim prim() {
        return prim;
    }

    public Attrs attrs() {
        return attrs;
    }

    /** The inputs (the array itself; callers must not modify it). */
    public Tensor[] inputs() {
        return inputs;
    }

    public Tensor output() {
        return output;
    }

    /** PyTorch-style name, e.g. {@code ExpBackward0}. */
    public String name() {
        StringBuilder sb = new StringBuilder();
        for (String part : prim.name().split("_")) {
            sb.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return sb.append("Backward0").toString();
    }

    @Override
    public String toString() {
        return "<" + name() + ">";
    }
}
