/**
 * Tangent: Jacobian-vector products with PyTorch's contract, on off-heap tensors with native
 * kernels called through the Foreign Function &amp; Memory API.
 *
 * <p>The API is {@code dev.tangent} (tensors, scopes), {@code dev.tangent.autograd} (reverse mode,
 * forward-mode duals, recordings) and {@code dev.tangent.functional} (jvp, vjp, jacobian, hessian,
 * hvp, vhp, linearize, plans) and {@code dev.tangent.nn} (torch.nn.functional). Everything else is internal and not exported. Native access must
 * be enabled for this module: {@code --enable-native-access=dev.tangent} (or {@code ALL-UNNAMED}
 * on the class path). oneDNN's jar ({@code org.bytedeco:dnnl}, native libraries only) may sit on
 * the class path or the module path.
 */
module dev.tangent {
    requires dev.tangent.bindings;

    exports dev.tangent;
    exports dev.tangent.autograd;
    exports dev.tangent.functional;
    exports dev.tangent.nn;
}
