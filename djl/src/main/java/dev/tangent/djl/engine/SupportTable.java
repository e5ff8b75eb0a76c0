package dev.tangent.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The README's table of what the Tangent engine implements, generated from the code: for each of
 * DJL's {@code NDArray}, {@code NDArrayEx} and {@code NDManager}, the methods implemented on
 * Tangent and those marked {@link Unimplemented} (strict: they throw). A test compares it with the
 * README; {@code main} prints it.
 */
public final class SupportTable {
    private SupportTable() {}

    /** The table in Markdown. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| DJL interface | implemented on Tangent | not implemented (strict: throws, or the opt-in fallback"
                + " outside differentiation) |\n|---|---|---|\n");
        row(sb, "`NDArray`", NDArray.class, TgNDArray.class);
        row(sb, "`NDArrayEx`", NDArrayEx.class, TgNDArrayEx.class);
        row(sb, "`NDManager`", NDManager.class, TgNDManager.class);
        return sb.toString();
    }

    private static void row(StringBuilder sb, String title, Class<?> contract, Class<?> impl) {
        // by name: "yes" for every overload implemented, "no" for none, "some" otherwise
        Map<String, int[]> byName = new TreeMap<>();
        for (Method m : contract.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Method own;
            try {
                own = impl.getMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                continue;
            }
            if (!own.getDeclaringClass().getName().startsWith("dev.tangent")) {
                // DJL's own: a default that composes other methods, or the manager tree's bookkeeping
                continue;
            }
            int[] c = byName.computeIfAbsent(m.getName(), k -> new int[2]);
            c[own.isAnnotationPresent(Unimplemented.class) ? 1 : 0]++;
        }
        TreeSet<String> yes = new TreeSet<>();
        TreeSet<String> no = new TreeSet<>();
        for (Map.Entry<String, int[]> e : byName.entrySet()) {
            int[] c = e.getValue();
            if (c[1] == 0) {
                yes.add(e.getKey());
            } else if (c[0] == 0) {
                no.add(e.getKey());
            } else {
                yes.add(e.getKey() + " (some overloads)");
                no.add(e.getKey() + " (other overloads)");
            }
        }
        sb.append("| ").append(title).append(" | ").append(yes.size()).append(": ").append(list(yes)).append(" | ")
                .append(no.size()).append(": ").append(list(no)).append(" |\n");
    }

    private static String list(TreeSet<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append('`').append(n).append('`');
        }
        return sb.toString();
    }

    /** Prints the table (paste it between the README's {@code djl-support} markers). */
    public static void main(String[] args) {
        System.out.print(markdown());
    }
}
