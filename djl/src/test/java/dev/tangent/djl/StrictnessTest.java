package dev.tangent.djl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrayAdapter;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import dev.tangent.djl.engine.TgNDArray;
import dev.tangent.djl.engine.TgNDArrayEx;
import dev.tangent.djl.engine.TgNDManager;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine never hands an operation to another engine silently: every NDArray method that DJL's
 * NDArrayAdapter implements (by copying to an "alternative" engine) or leaves abstract is declared
 * by TgNDArray itself, and likewise for NDArrayEx and NDManager.
 */
class StrictnessTest {
    /** BaseNDManager's manager-tree bookkeeping: no computation, nothing handed to another engine. */
    static final java.util.Set<String> MANAGER_BOOKKEEPING = java.util.Set.of("getName", "setName", "isOpen", "cap",
            "getDevice", "getParentManager", "defaultDevice", "getManagedArrays", "attachInternal",
            "attachUncappedInternal", "tempAttachInternal", "detachInternal");

    static List<String> notDeclared(Class<?> impl, Class<?>... contracts) {
        List<String> missing = new ArrayList<>();
        for (Class<?> c : contracts) {
            for (Method m : c.getMethods()) {
                if (Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                boolean inheritedBody = !m.isDefault() || c == NDArrayAdapter.class;
                if (c.isInterface() && m.isDefault()) {
                    inheritedBody = false;
                }
                if (c == NDArrayAdapter.class && m.getDeclaringClass() != NDArrayAdapter.class) {
                    continue;
                }
                if (!inheritedBody && !(c.isInterface() && Modifier.isAbstract(m.getModifiers()))) {
                    continue;
                }
                try {
                    Method own = impl.getMethod(m.getName(), m.getParameterTypes());
                    Class<?> d = own.getDeclaringClass();
                    if (d.getSimpleName().equals("BaseNDManager") && MANAGER_BOOKKEEPING.contains(m.getName())) {
                        continue;
                    }
                    if (d != impl && !d.getName().startsWith("dev.tangent")) {
                        missing.add(c.getSimpleName() + "." + m.getName() + " (body from " + d.getSimpleName() + ")");
                    }
                } catch (NoSuchMethodException e) {
                    missing.add(c.getSimpleName() + "." + m.getName());
                }
            }
        }
        return missing;
    }

    @Test
    void everyAdapterAndAbstractMethodIsTangentsOwn() {
        List<String> missing = notDeclared(TgNDArray.class, NDArrayAdapter.class, NDArray.class);
        assertTrue(missing.isEmpty(), "methods with a body not from Tangent: " + missing);
        List<String> ex = notDeclared(TgNDArrayEx.class, NDArrayEx.class);
        assertTrue(ex.isEmpty(), "NDArrayEx: " + ex);
        List<String> mgr = notDeclared(TgNDManager.class, NDManager.class);
        assertTrue(mgr.isEmpty(), "NDManager: " + mgr);
    }
}
