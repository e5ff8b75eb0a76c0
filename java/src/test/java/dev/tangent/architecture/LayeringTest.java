package dev.tangent.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of ARCHITECTURE.md as tests: arrows point down (L4 functional → L3 dev.tangent,
 * autograd, engine → L2 backend → L1 ops, DType, Device, bindings), and no dependency cycle among
 * the library's classes crosses a layer: the one in L3 is the designed recursion (Tensor ↔ the
 * engine's dispatch, rules and tape: "rules are Tensor programs").
 */
class LayeringTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.tangent");
    }

    @Test
    void backendSeesOnlyBuffersNeverTensorsOrAutograd() {
        noClasses().that().resideInAPackage("dev.tangent.backend..")
                .should().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Tensor")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Scope")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Tangent")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Tuple")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Value")
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.tangent.autograd..", "dev.tangent.engine..",
                        "dev.tangent.functional..", "dev.tangent.demo..")
                .check(classes);
    }

    @Test
    void opsIsALeaf() {
        noClasses().that().resideInAPackage("dev.tangent.ops..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tangent.backend..", "dev.tangent.autograd..",
                        "dev.tangent.engine..", "dev.tangent.functional..", "dev.tangent.bindings..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.Tensor")
                .check(classes);
        for (JavaClass c : classes) {
            if (c.getPackageName().equals("dev.tangent.ops")) {
                for (Dependency d : c.getDirectDependenciesFromSelf()) {
                    String pkg = d.getTargetClass().getPackageName();
                    String name = d.getTargetClass().getName();
                    boolean allowed = pkg.startsWith("java.") || pkg.equals("dev.tangent.ops")
                            || name.startsWith("dev.tangent.DType") || name.startsWith("dev.tangent.Device");
                    assertTrue(allowed, c.getName() + " (L1) depends on " + name);
                }
            }
        }
    }

    @Test
    void functionalUsesOnlyThePublicApi() {
        noClasses().that().resideInAPackage("dev.tangent.functional..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.tangent.backend..", "dev.tangent.engine..",
                        "dev.tangent.ops..", "dev.tangent.bindings..")
                .check(classes);
    }

    @Test
    void theEnginesAccessToTensorStateStaysInsideL3() {
        noClasses().that().resideOutsideOfPackages("dev.tangent", "dev.tangent.engine..", "dev.tangent.autograd")
                .should().dependOnClassesThat().haveFullyQualifiedName("dev.tangent.engine.TensorAccess")
                .check(classes);
    }

    @Test
    void theOnlyCycleIsTensorAndTheEngine() {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (JavaClass c : classes) {
            String from = topLevel(c.getName());
            graph.computeIfAbsent(from, k -> new TreeSet<>());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String to = topLevel(d.getTargetClass().getName());
                if (to.startsWith("dev.tangent.") && !to.equals(from) && !to.startsWith("dev.tangent.bindings.")) {
                    graph.get(from).add(to);
                }
            }
        }
        boolean tensorCycle = false;
        for (Set<String> scc : stronglyConnected(graph)) {
            if (scc.size() < 2) {
                continue;
            }
            int layer = layer(scc.iterator().next());
            for (String c : scc) {
                assertEquals(layer, layer(c), "a dependency cycle across layers: " + scc);
            }
            assertTrue(!scc.contains("dev.tangent.Tangent"), "Tangent is in a cycle: " + scc);
            tensorCycle |= scc.contains("dev.tangent.Tensor");
        }
        assertTrue(tensorCycle, "the designed cycle (Tensor and its rules) was not found: is the test still looking?");
    }

    /** 1: ops, DType, Device; 2: backend; 3: dev.tangent, autograd, engine; 4: functional. */
    private static int layer(String className) {
        String pkg = className.substring(0, className.lastIndexOf('.'));
        if (pkg.startsWith("dev.tangent.ops") || className.equals("dev.tangent.DType")
                || className.equals("dev.tangent.Device")) {
            return 1;
        }
        if (pkg.startsWith("dev.tangent.backend")) {
            return 2;
        }
        if (pkg.startsWith("dev.tangent.functional") || pkg.startsWith("dev.tangent.demo")) {
            return 4;
        }
        return 3;
    }

    @Test
    void noMainSourceFileIsOverSixHundredLines() throws java.io.IOException {
        java.nio.file.Path root = java.nio.file.Path.of("src/main/java");
        try (var files = java.nio.file.Files.walk(root)) {
            List<String> big = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return java.nio.file.Files.readAllLines(f).size() > 600;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(Object::toString).toList();
            assertEquals(List.of(), big, "files over 600 lines");
        }
    }

    private static String topLevel(String name) {
        int i = name.indexOf('$');
        return i < 0 ? name : name.substring(0, i);
    }

    /** Tarjan's strongly connected components, iteratively. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String start : g.keySet()) {
            if (index.containsKey(start)) {
                continue;
            }
            Deque<Object[]> work = new ArrayDeque<>();
            work.push(new Object[] {start, new ArrayList<>(g.getOrDefault(start, Set.of())).iterator()});
            index.put(start, counter[0]);
            low.put(start, counter[0]++);
            stack.push(start);
            onStack.add(start);
            while (!work.isEmpty()) {
                Object[] f = work.peek();
                String v = (String) f[0];
                @SuppressWarnings("unchecked")
                java.util.Iterator<String> it = (java.util.Iterator<String>) f[1];
                if (it.hasNext()) {
                    String w = it.next();
                    if (!index.containsKey(w)) {
                        index.put(w, counter[0]);
                        low.put(w, counter[0]++);
                        stack.push(w);
                        onStack.add(w);
                        work.push(new Object[] {w, new ArrayList<>(g.getOrDefault(w, Set.of())).iterator()});
                    } else if (onStack.contains(w)) {
                        low.put(v, Math.min(low.get(v), index.get(w)));
                    }
                    continue;
                }
                work.pop();
                if (!work.isEmpty()) {
                    String parent = (String) work.peek()[0];
                    low.put(parent, Math.min(low.get(parent), low.get(v)));
                }
                if (low.get(v).equals(index.get(v))) {
                    Set<String> scc = new TreeSet<>();
                    String w;
                    do {
                        w = stack.pop();
                        onStack.remove(w);
                        scc.add(w);
                    } while (!w.equals(v));
                    out.add(scc);
                }
            }
        }
        return out;
    }
}
