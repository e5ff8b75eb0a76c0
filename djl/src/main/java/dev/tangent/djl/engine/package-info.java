/**
 * The "Tangent" DJL engine: {@link dev.tangent.djl.engine.TangentEngine} (registered by
 * {@link dev.tangent.djl.engine.TangentEngineProvider} in {@code META-INF/services}),
 * {@link dev.tangent.djl.engine.TgNDManager}, {@link dev.tangent.djl.engine.TgNDArray} and
 * {@link dev.tangent.djl.engine.TgNDArrayEx} on Tangent tensors, {@link dev.tangent.djl.engine.TgModel},
 * and a per-thread gradient collector on Tangent's reverse mode.
 *
 * <p>How DJL's memory rules map onto Tangent's scopes: {@link dev.tangent.djl.engine.Lane} (and
 * {@link dev.tangent.djl.engine.Exec} for one operation). What is not implemented is strict:
 * {@link dev.tangent.djl.engine.Fallback}.
 */
package dev.tangent.djl.engine;
