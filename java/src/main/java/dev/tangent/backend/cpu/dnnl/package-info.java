/**
 * oneDNN on the CPU: loading the library from the {@code org.bytedeco:dnnl} jar
 * ({@link dev.tangent.backend.cpu.dnnl.DnnlLibrary}), the accelerator's kernels
 * ({@link dev.tangent.backend.cpu.dnnl.DnnlAccelerator}; convolution and pooling in
 * {@code DnnlNn}), the primitive cache with its per-thread streams, scratchpads and workspaces,
 * chains of primitives with reorders between layouts ({@code PrimitiveChain}), and memory
 * descriptors. Same imports as {@code dev.tangent.backend}.
 */
package dev.tangent.backend.cpu.dnnl;
