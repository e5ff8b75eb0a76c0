/**
 * Tangent's Panama bindings, generated from the real C headers (oneDNN, the CUDA driver, cuBLAS,
 * OpenMP). Internal to Tangent: exported to its core module only.
 */
module dev.tangent.bindings {
    exports dev.tangent.bindings.dnnl to dev.tangent;
    exports dev.tangent.bindings.cuda to dev.tangent;
    exports dev.tangent.bindings.cublas to dev.tangent;
    exports dev.tangent.bindings.omp to dev.tangent;
    exports dev.tangent.bindings.tangentcpu to dev.tangent;
}
