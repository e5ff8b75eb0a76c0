/**
 * The CUDA backend through the driver API, cuBLAS and Tangent's kernels from {@code native/}: the
 * device context, caching allocator, per-thread streams, CUDA graphs, the kernels' op codes
 * ({@code CudaOpCodes}, checked against {@code native/tg_ops.cuh}) and the fatbin's ABI check
 * ({@code FatbinAbi}). Same imports as {@code dev.tangent.backend}.
 */
package dev.tangent.backend.cuda;
