/**
 * The DJL engine benchmarks (JMH): DJL's Mlp (784-1024-1024-10 tanh) and ResNetV1-18 (32x32) with the
 * same weights (one .params file) on DJL's PyTorch engine and on the Tangent engine — forward; the jvp a
 * DJL user can write today (PyTorch's double backward through DJL's JniUtils, finite differences)
 * against {@code DjlFunctional.jvp} (on the Tangent model, and on the user's PyTorch model) and a
 * {@code DjlJvpPlan}; and the DJL layer's overhead (Tangent engine against Tangent's own API on the
 * same weights, Mlp only).
 *
 * <p>The classes end in {@code Benchmark}, so run-bench.sh's default include ({@code ...Bench\.})
 * leaves them out of the standard run; include them with
 * {@code BENCH_INCLUDE='dev\.tangent\.bench\.djl\.' benchmarks/run-bench.sh [--quick]} (the same JMH run
 * and flags; rows are named {@code djlmlp_*} and {@code djlresnet_*}, {@code djl*} variants on PyTorch,
 * {@code tangent*} on Tangent), or directly:
 * {@code java <run-bench.sh's flags> -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)
 * org.openjdk.jmh.Main 'dev\.tangent\.bench\.djl\.'}.
 */
package dev.tangent.bench.djl;
