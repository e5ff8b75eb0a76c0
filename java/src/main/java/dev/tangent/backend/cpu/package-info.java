/**
 * The CPU backend: Java loops over native memory for every primitive and dtype (the reference the
 * native kernels are tested against), and the {@link dev.tangent.backend.cpu.CpuAccelerator} hook
 * through which oneDNN takes the float32 work it does faster. Same imports as
 * {@code dev.tangent.backend}.
 */
package dev.tangent.backend.cpu;
