#!/usr/bin/env python3
"""Times JAX `jit` forward and `jit(jvp)` on the JMH suite's workloads, with the JMH suite's weights.

Reads what `dev.tangent.bench.JaxExport` wrote (float32 .npy files and manifest.json), checks JAX's
outputs against Java's (normwise relative error max|a - b| / max|b|, the JMH self-checks' measure;
a row whose error exceeds 1e-4 is marked check=failed and Report leaves it out of every ratio), then
times each call like JMH's SampleTime mode: warm-up calls for --warmup seconds, then every call of
--measure seconds is timed on its own (`block_until_ready`), and the median and p90 per call are
reported in µs. ResNet-18's tangent is held to 5e-3 instead (see TOLERANCES).

Thread count: XLA's CPU client sizes its thread pool from the CPUs this process may run on, so
run-bench.sh starts this script under `taskset -c 1` for the threads=1 rows and `taskset -c 0,1` for
threads=2 (the cores the JMH forks get), with XLA_FLAGS=--xla_cpu_multi_thread_eigen=false for the
1-thread rows. Each row records the affinity and how many threads did the work (`busy_threads`:
threads of this process with >= 5 % of its CPU time during the measurement, from /proc/self/task;
Python's dispatching thread counts too, so a 1-core row may show 2).

Usage: bench_jax.py --data DIR --out FILE --threads N [--workloads mlp,seed,...] [--append]
       [--warmup S] [--measure S] [--min-samples N] [--cache DIR] [--command TEXT]
With --append, rows are added to FILE (run-bench.sh calls it once per thread count). Exit status 1
when a row fails its output check (its timing is still written).
"""
import argparse
import glob
import json
import os
import platform
import sys
import time
from functools import partial

TOL = 1e-4
# ResNet-18's tangent is discontinuous (ReLU, max pooling): float32 rounding decides which side of a
# kink a few activations fall on, and the tangent jumps there. Measured at batch 32: JAX float32 vs
# DJL 1.2e-3, JAX float64 (jax_enable_x64, same inputs upcast) vs DJL 2.8e-3, JAX float32 vs float64
# 2.8e-3 (3 to 5 of the 32 images over 1e-4; at batch 1 JAX float32 and DJL agree to 1.1e-6). Wrong weights or
# layouts give errors of order 1.
TOLERANCES = {("resnet18", "jvp_tangent"): 5e-3}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="JaxExport's folder (manifest.json, <workload>/*.npy)")
    p.add_argument("--out", required=True, help="JSON file to write (or extend with --append)")
    p.add_argument("--threads", type=int, required=True, help="the `threads` value these rows stand for")
    p.add_argument("--workloads", default="", help="comma list; default: all in the manifest")
    p.add_argument("--append", action="store_true")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up calls per row")
    p.add_argument("--measure", type=float, default=5.0, help="seconds of timed calls per row")
    p.add_argument("--min-samples", type=int, default=5)
    p.add_argument("--cache", default="", help="JAX persistent compilation cache folder")
    p.add_argument("--command", default="", help="command line to record in the JSON")
    return p.parse_args()


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def thread_ticks():
    """utime + stime (clock ticks) of each thread of this process."""
    ticks = {}
    for stat in glob.glob("/proc/self/task/*/stat"):
        try:
            with open(stat) as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        ticks[stat.split("/")[4]] = int(fields[11]) + int(fields[12])
    return ticks


def busy_threads(before, after):
    used = [after[t] - before.get(t, 0) for t in after]
    total = sum(u for u in used if u > 0)
    if total <= 0:
        return None
    return sum(1 for u in used if u >= 0.05 * total)


# ----------------------------------------------------------------------------------------------
# The workloads, written as a JAX user would, on the exported parameters (passed as jit arguments,
# not closed over: constants baked into the program would let XLA fold what the Java engines compute).

def mlp_forward(p, x):
    import jax.numpy as jnp
    h1 = jnp.tanh(x @ p["w1"] + p["b1"])
    h2 = jnp.tanh(h1 @ p["w2"] + p["b2"])
    return h2 @ p["w3"] + p["b3"]


def seed_forward(p, x):
    import jax.numpy as jnp
    return jnp.exp(x).sum(axis=1)


def elementwise_forward(p, x):
    import jax.numpy as jnp
    return (jnp.sin(x) * jnp.exp(x)).sum()


def resnet18_forward(p, x):
    """torchvision's ResNet-18 (Resnet18Spec), NHWC activations and HWIO kernels (XLA's CPU layout);
    the NCHW input is transposed once before timing. BatchNorm in inference mode."""
    import jax.numpy as jnp
    from jax import lax

    def conv_bn(h, name, stride, pad):
        h = lax.conv_general_dilated(h, p[name + ".weight"], (stride, stride), [(pad, pad), (pad, pad)],
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        scale = p[name + ".bn.weight"] * lax.rsqrt(p[name + ".bn.running_var"] + 1e-5)
        return (h - p[name + ".bn.running_mean"]) * scale + p[name + ".bn.bias"]

    relu = partial(jnp.maximum, 0.0)
    h = relu(conv_bn(x, "conv1", 2, 3))
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), [(0, 0), (1, 1), (1, 1), (0, 0)])
    cin = 64
    for s, width in enumerate([64, 128, 256, 512]):
        for i in range(2):
            stride = 2 if s > 0 and i == 0 else 1
            n = "layer%d.%d" % (s + 1, i)
            r = relu(conv_bn(h, n + ".conv1", stride, 1))
            r = conv_bn(r, n + ".conv2", 1, 1)
            short = conv_bn(h, n + ".downsample", stride, 0) if stride != 1 or cin != width else h
            h = relu(r + short)
            cin = width
    h = h.mean(axis=(1, 2))
    return h @ p["fc.weight"].T + p["fc.bias"]


def encoder_forward(p, x):
    """EncoderSpec: 4 post-LN layers, hidden 256, 4 heads, FFN 1024, exact GELU, no mask."""
    import jax
    import jax.numpy as jnp
    b, s, hidden = x.shape
    heads, hd = 4, hidden // 4

    def linear(h, name):
        return h @ p[name + ".weight"].T + p[name + ".bias"]

    def layer_norm(h, name):
        mu = h.mean(-1, keepdims=True)
        var = ((h - mu) ** 2).mean(-1, keepdims=True)
        return (h - mu) * jax.lax.rsqrt(var + 1e-5) * p[name + ".weight"] + p[name + ".bias"]

    h = x
    for layer in range(4):
        n = "layer%d." % layer
        q, k, v = (linear(h, n + m).reshape(b, s, heads, hd) for m in ("query", "key", "value"))
        att = jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(jnp.float32(hd)), axis=-1)
        a = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(b, s, hidden)
        h = layer_norm(h + linear(a, n + "out"), n + "ln1")
        f = jax.nn.gelu(linear(h, n + "ffn1"), approximate=False)
        h = layer_norm(h + linear(f, n + "ffn2"), n + "ln2")
    return h


FORWARDS = {"mlp": mlp_forward, "seed": seed_forward, "elementwise": elementwise_forward,
            "resnet18": resnet18_forward, "encoder": encoder_forward}


def load_params(np, data, name, entry):
    params = {}
    for pname in entry["params"]:
        a = np.load(os.path.join(data, name, pname + ".npy"))
        if name == "resnet18" and a.ndim == 4:
            a = a.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        params[pname] = a
    return params


def rel_err(np, got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return float("inf")
    scale = np.max(np.abs(want)) if want.size else 0.0
    return float(np.max(np.abs(got - want)) / (scale if scale > 0 else 1.0)) if want.size else 0.0


def block(out):
    """Waits for every array of a result (one array, or jvp's (primal, tangent) pair)."""
    for o in (out if isinstance(out, tuple) else (out,)):
        o.block_until_ready()
    return out


def time_calls(fn, args, warmup_s, measure_s, min_samples):
    """JMH SampleTime-like: warm up, then time each call; returns (sorted times in µs, busy threads)."""
    end = time.perf_counter() + warmup_s
    n = 0
    while n < 3 or time.perf_counter() < end:
        block(fn(*args))
        n += 1
    samples = []
    before = thread_ticks()
    end = time.perf_counter() + measure_s
    while len(samples) < min_samples or time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        block(fn(*args))
        samples.append((time.perf_counter_ns() - t0) / 1000.0)
    after = thread_ticks()
    samples.sort()
    return samples, busy_threads(before, after)


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def main():
    args = parse_args()
    if args.threads == 1 and "--xla_cpu_multi_thread_eigen=false" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    import numpy as np
    import jax
    import jax.numpy as jnp
    import jaxlib

    jax.config.update("jax_platforms", "cpu")
    if args.cache:
        jax.config.update("jax_compilation_cache_dir", args.cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    with open(os.path.join(args.data, "manifest.json")) as f:
        manifest = json.load(f)["workloads"]
    wanted = [w for w in args.workloads.split(",") if w] or list(manifest)
    cpus = sorted(os.sched_getaffinity(0))
    run = {"threads": args.threads, "cpus": cpus, "xla_flags": os.environ.get("XLA_FLAGS", ""),
           "loadavg_start": loadavg(), "command": args.command}
    rows = []
    for name in wanted:
        if name not in manifest:
            print("bench_jax: %s not exported (JaxExport); skipped" % name, file=sys.stderr)
            continue
        entry = manifest[name]
        params = {k: jnp.asarray(v) for k, v in load_params(np, args.data, name, entry).items()}
        forward = FORWARDS[name]
        fwd = jax.jit(forward)
        jvp = jax.jit(lambda p, x, v, f=forward: jax.jvp(lambda xx: f(p, xx), (x,), (v,)))
        for batch in entry["batches"]:
            tag = "B%s" % batch
            load = lambda suffix: np.load(os.path.join(args.data, name, "%s_%s.npy" % (tag, suffix)))
            x, v = load("x"), load("v")
            if name == "resnet18":
                x, v = x.transpose(0, 2, 3, 1), v.transpose(0, 2, 3, 1)  # NCHW -> NHWC, outside the timing
            x, v = jnp.asarray(np.ascontiguousarray(x)), jnp.asarray(np.ascontiguousarray(v))
            for mode, fn, fargs, refs in (("forward", fwd, (params, x), ["forward"]),
                                          ("jvp", jvp, (params, x, v), ["jvp_out", "jvp_tangent"])):
                t0 = time.perf_counter()
                out = block(fn(*fargs))
                outs = out if isinstance(out, tuple) else (out,)
                compile_s = time.perf_counter() - t0
                errs = [(rel_err(np, o, load(r)), TOLERANCES.get((name, r), TOL)) for o, r in zip(outs, refs)]
                err = max(e for e, _ in errs)
                ok = all(e <= tol for e, tol in errs)
                samples, busy = time_calls(fn, fargs, args.warmup, args.measure, args.min_samples)
                row = {"workload": name, "batch": str(batch), "mode": mode, "threads": args.threads,
                       "median_us": percentile(samples, 0.5), "p90_us": percentile(samples, 0.9),
                       "samples": len(samples), "max_rel_err": err, "tolerance": max(tol for _, tol in errs), "check": "ok" if ok else "failed",
                       "reference": entry["reference"], "first_call_s": round(compile_s, 3), "cpus": cpus,
                       "busy_threads": busy}
                rows.append(row)
                print("jax %-11s B=%-4s %-7s threads=%d  median %12.2f us  p90 %12.2f us  n=%-6d err %.2e %s busy_threads=%s"
                      % (name, batch, mode, args.threads, row["median_us"], row["p90_us"], len(samples), err,
                         row["check"], busy), flush=True)
    run["loadavg_end"] = loadavg()
    doc = {"status": "ok", "jax": jax.__version__, "jaxlib": jaxlib.__version__,
           "python": platform.python_version(), "tolerance": TOL, "unit": "us/op", "runs": [], "rows": []}
    if args.append and os.path.exists(args.out):
        with open(args.out) as f:
            old = json.load(f)
        if old.get("status") == "ok":
            doc = old
    doc["runs"].append(run)
    doc["rows"].extend(rows)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    failed = [r for r in rows if r["check"] != "ok"]
    if failed:
        print("bench_jax: %d row(s) differ from Java's outputs by more than their tolerance: %s" % (
            len(failed), ", ".join("%s B=%s %s (%.2e)" % (r["workload"], r["batch"], r["mode"], r["max_rel_err"])
                                        for r in failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
