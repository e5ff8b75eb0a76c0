package dev.tangent.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.tangent.Scope;
import dev.tangent.Tangent;
import dev.tangent.Tensor;
import dev.tangent.functional.Functional;
import dev.tangent.functional.JvpResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Writes the weights, inputs and tangent directions the JMH suite uses, and reference outputs, as
 * float32 {@code .npy} files for {@code benchmarks/jax/bench_jax.py}, so JAX is timed on the same
 * numbers and its outputs are checked against Java's. Layout: {@code <dir>/<workload>/<name>.npy} and
 * {@code <dir>/manifest.json} (per workload: parameter names and shapes, batches, where the reference
 * outputs come from).
 *
 * <p>MLP, seed and element-wise: Tangent's own tensors ({@link TangentMlp}'s weights, the benchmarks'
 * seeded x and v) and Tangent's forward and {@code Functional.jvp} as the references. ResNet-18 and the
 * encoder: {@link NnParams} and DJL's forward and jvp by hand as the references (Tangent's conv2d runs
 * on Java loops, minutes per batch-32 call; {@link NnSelfCheck} holds Tangent to these to 1e-4).
 *
 * <p>Usage: {@code JaxExport <dir> [mlp] [seed] [elementwise] [resnet18=1,32] [encoder=1,16]}.
 */
public final class JaxExport {
    static final int[] MLP_BATCHES = {1, 64, 1024};

    private JaxExport() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: JaxExport <dir> [mlp] [seed] [elementwise] [resnet18=1,32] [encoder=1,16]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        JsonObject manifest = new JsonObject();
        manifest.addProperty("format", "float32 little-endian .npy, row-major; shapes as in the Java benchmarks");
        JsonObject workloads = new JsonObject();
        manifest.add("workloads", workloads);
        Tangent.setNumThreads(Runtime.getRuntime().availableProcessors());
        Engine engine = null;
        for (String arg : Arrays.asList(args).subList(1, args.length)) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            int[] batches = arg.contains("=")
                    ? Arrays.stream(arg.substring(arg.indexOf('=') + 1).split(",")).mapToInt(Integer::parseInt).toArray()
                    : null;
            Path w = Files.createDirectories(dir.resolve(name));
            JsonObject entry = switch (name) {
                case "mlp" -> mlp(w);
                case "seed" -> small(w, "x.exp().sum(1), x 4×4", TangentSeedBench::expReducer, 11, 12, 4, 4);
                case "elementwise" -> small(w, "(x.sin() * x.exp()).sum(), 2^20", TangentElementwiseBench::f, 31, 32, 1 << 20);
                case "resnet18", "encoder" -> {
                    if (engine == null) {
                        engine = DjlRuntime.start(Runtime.getRuntime().availableProcessors());
                    }
                    yield nn(w, name, engine, batches == null ? new int[] {1} : batches);
                }
                default -> throw new IllegalArgumentException("JaxExport: unknown workload " + name
                        + " (mlp, seed, elementwise, resnet18=<batches>, encoder=<batches>)");
            };
            workloads.add(name, entry);
            System.out.println("JaxExport: " + name + " -> " + w);
        }
        Files.writeString(dir.resolve("manifest.json"), new GsonBuilder().setPrettyPrinting().create().toJson(manifest));
    }

    private static JsonObject mlp(Path dir) throws IOException {
        TangentMlp mlp = new TangentMlp(7);
        String[] names = {"w1", "b1", "w2", "b2", "w3", "b3"};
        Tensor[] params = mlp.parameters();
        JsonObject entry = entry("784-1024-1024-10 tanh MLP (TangentMlp seed 7, x seed 21, v seed 22)", "Tangent forward and Functional.jvp");
        for (int i = 0; i < names.length; i++) {
            npy(dir.resolve(names[i] + ".npy"), params[i].toFloatArray(), params[i].shape());
            entry.getAsJsonArray("params").add(names[i]);
        }
        for (int batch : MLP_BATCHES) {
            Tensor x = TangentMlp.gaussian(21, 1f, batch, DjlMlp.IN);
            Tensor v = TangentMlp.gaussian(22, 1f, batch, DjlMlp.IN);
            tangentRefs(dir, "B" + batch, mlp::forward, x, v);
            entry.getAsJsonArray("batches").add(batch);
        }
        return entry;
    }

    private static JsonObject small(Path dir, String what, UnaryOperator<Tensor> f, long seedX, long seedV, long... shape)
            throws IOException {
        JsonObject entry = entry(what + " (x seed " + seedX + ", v seed " + seedV + ")", "Tangent forward and Functional.jvp");
        tangentRefs(dir, "B-", f, TangentMlp.gaussian(seedX, 1f, shape), TangentMlp.gaussian(seedV, 1f, shape));
        entry.getAsJsonArray("batches").add("-");
        return entry;
    }

    /** x, v, f(x) and Tangent's jvp [f(x), J·v] as {@code <tag>_x.npy}, ... */
    private static void tangentRefs(Path dir, String tag, UnaryOperator<Tensor> f, Tensor x, Tensor v) throws IOException {
        npy(dir.resolve(tag + "_x.npy"), x.toFloatArray(), x.shape());
        npy(dir.resolve(tag + "_v.npy"), v.toFloatArray(), v.shape());
        try (Scope s = Scope.open()) {
            Tensor out = f.apply(x);
            npy(dir.resolve(tag + "_forward.npy"), out.toFloatArray(), out.shape());
            JvpResult<Tensor> jvp = Functional.jvp(f::apply, x, v);
            npy(dir.resolve(tag + "_jvp_out.npy"), jvp.output().toFloatArray(), jvp.output().shape());
            npy(dir.resolve(tag + "_jvp_tangent.npy"), jvp.jvp().toFloatArray(), jvp.jvp().shape());
        }
    }

    private static JsonObject nn(Path dir, String name, Engine engine, int[] batches) throws IOException {
        boolean resnet = name.equals("resnet18");
        NnParams p = resnet ? Resnet18Spec.params(Resnet18Spec.SEED_WEIGHTS) : EncoderSpec.params(EncoderSpec.SEED_WEIGHTS);
        JsonObject entry = entry(resnet ? "ResNet-18 (Resnet18Spec, weights seed 40, x 41, v 42)"
                : "BERT-style encoder (EncoderSpec, weights seed 50, x 51, v 52)", "DJL forward and jvp by hand");
        for (var e : p.all().entrySet()) {
            npy(dir.resolve(e.getKey() + ".npy"), e.getValue().data(), e.getValue().shape());
            entry.getAsJsonArray("params").add(e.getKey());
        }
        try (NDManager manager = engine.newBaseManager()) {
            DjlNet net = resnet ? new DjlResnet18(engine, manager, p) : new DjlEncoder(engine, manager, p);
            for (int batch : batches) {
                long[] s = resnet ? Resnet18Spec.inputShape(batch) : EncoderSpec.inputShape(batch);
                float[] x = NnParams.input(resnet ? Resnet18Spec.SEED_X : EncoderSpec.SEED_X, 1f, s);
                float[] v = NnParams.input(resnet ? Resnet18Spec.SEED_V : EncoderSpec.SEED_V, 1f, s);
                String tag = "B" + batch;
                npy(dir.resolve(tag + "_x.npy"), x, s);
                npy(dir.resolve(tag + "_v.npy"), v, s);
                try (NDManager m = manager.newSubManager()) {
                    NDArray xa = m.create(x, new Shape(s));
                    NDArray va = m.create(v, new Shape(s));
                    npy(dir.resolve(tag + "_forward.npy"), net.forward(xa));
                    NDList jvp = net.jvpByHand(xa, va);
                    npy(dir.resolve(tag + "_jvp_out.npy"), jvp.get(0));
                    npy(dir.resolve(tag + "_jvp_tangent.npy"), jvp.get(1));
                }
                entry.getAsJsonArray("batches").add(batch);
            }
        }
        return entry;
    }

    private static JsonObject entry(String what, String reference) {
        JsonObject e = new JsonObject();
        e.addProperty("what", what);
        e.addProperty("reference", reference);
        e.add("params", new JsonArray());
        e.add("batches", new JsonArray());
        return e;
    }

    private static void npy(Path file, NDArray a) throws IOException {
        npy(file, a.toFloatArray(), a.getShape().getShape());
    }

    /** NumPy's .npy format 1.0: magic, version, header length, a dict padded to 64 bytes, the data. */
    static void npy(Path file, float[] data, long[] shape) throws IOException {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + (shape.length == 1 ? "," : "") + "), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(10 + h.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        buf.putShort((short) h.length).put(h);
        buf.asFloatBuffer().put(data);
        Files.write(file, buf.array());
    }
}
