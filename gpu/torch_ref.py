#!/usr/bin/env python3
"""PyTorch reference timings for gpu/run.sh: the same jvp workloads as gpu/bench/CudaBench.java.

Modes: eager torch.func.jvp, eager torch.autograd.functional.jvp, and torch.func.jvp captured in a
CUDA graph and replayed (inputs copied into the graph's static tensors first, as a service would).
Each call ends with torch.cuda.synchronize(); median and p90 in microseconds.
Usage: torch_ref.py OUT.tsv
"""
import math
import statistics
import sys
import time

import torch
from torch.func import jvp as func_jvp

OUT = sys.argv[1] if len(sys.argv) > 1 else "torch_bench.tsv"
dev = torch.device("cuda")
rows = []


def timeit(name, mode, fn, warm, n, budget_s=20.0):
    try:
        for _ in range(warm):
            fn()
        torch.cuda.synchronize()
        ts = []
        end = time.perf_counter() + budget_s
        for _ in range(n):
            t0 = time.perf_counter_ns()
            fn()
            torch.cuda.synchronize()
            ts.append(time.perf_counter_ns() - t0)
            if time.perf_counter() > end:
                break
        ts.sort()
        med = ts[len(ts) // 2] / 1e3
        p90 = ts[min(len(ts) - 1, math.ceil(len(ts) * 0.9) - 1)] / 1e3
        rows.append(f"{name}\t{mode}\t{med:.1f}\t{p90:.1f}")
        print(f"{name:42s} {mode:15s} median {med:10.1f} us  p90 {p90:10.1f} us  (n={len(ts)})", flush=True)
    except Exception as e:  # keep going: one failed row must not lose the others
        rows.append(f"{name}\t{mode}\tFAILED\t{type(e).__name__}")
        print(f"{name} {mode} FAILED: {e!r}", flush=True)


def graphed(f, x, v):
    sx, sv = x.clone(), v.clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            func_jvp(f, (sx,), (sv,))
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = func_jvp(f, (sx,), (sv,))

    def run():
        sx.copy_(x)
        sv.copy_(v)
        g.replay()
        return out

    return run


def all_modes(name, f, x, v, warm, n):
    timeit(name, "func eager", lambda: func_jvp(f, (x,), (v,)), warm, max(20, n // 4))
    timeit(name, "functional", lambda: torch.autograd.functional.jvp(f, x, v), warm, max(20, n // 4))
    try:
        run = graphed(f, x, v)
        timeit(name, "func graph", run, warm, n)
    except Exception as e:
        rows.append(f"{name}\tfunc graph\tFAILED\t{type(e).__name__}")
        print(f"{name} func graph FAILED: {e!r}", flush=True)


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(0), flush=True)
    gen = torch.Generator().manual_seed(0)

    x = torch.rand(4, 4, generator=gen).to(dev)
    v = torch.ones(4, 4, device=dev)
    all_modes("seed x.exp().sum(1) 4x4", lambda t: t.exp().sum(1), x, v, 2000, 20000)

    w1 = (torch.randn(784, 1024, generator=gen) / math.sqrt(784)).to(dev)
    b1 = (torch.randn(1024, generator=gen) * 0.01).to(dev)
    w2 = (torch.randn(1024, 1024, generator=gen) / 32).to(dev)
    b2 = (torch.randn(1024, generator=gen) * 0.01).to(dev)
    w3 = (torch.randn(1024, 10, generator=gen) / 32).to(dev)
    b3 = (torch.randn(10, generator=gen) * 0.01).to(dev)

    def mlp(t):
        return torch.tanh(torch.tanh(t @ w1 + b1) @ w2 + b2) @ w3 + b3

    for b in (1, 1024, 8192):
        x = torch.randn(b, 784, generator=gen).to(dev)
        v = torch.randn(b, 784, generator=gen).to(dev)
        iters = 3000 if b == 1 else 500 if b == 1024 else 150
        all_modes(f"mlp 784-1024-1024-10 tanh B={b} fp32", mlp, x, v, iters // 5, iters)
        if b == 8192:
            torch.backends.cuda.matmul.allow_tf32 = True
            all_modes(f"mlp 784-1024-1024-10 tanh B={b} tf32", mlp, x, v, iters // 5, iters)
            torch.backends.cuda.matmul.allow_tf32 = False

    x = torch.rand(1 << 24, generator=gen).to(dev)
    v = torch.ones(1 << 24, device=dev)
    all_modes("elementwise (sin*exp).sum() 2^24", lambda t: (t.sin() * t.exp()).sum(), x, v, 50, 300)

    with open(OUT, "w") as f:
        f.write("workload\tmode\tmedian_us\tp90_us\n")
        for r in rows:
            f.write(r + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
