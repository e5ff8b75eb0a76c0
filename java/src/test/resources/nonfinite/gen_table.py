#!/usr/bin/env python3
"""Writes nonfinite_table.json: PyTorch's values, jvps and vjps of every Tangent primitive at
non-finite and edge inputs (NaN, -NaN, +-inf, +-0, +-smallest subnormal, 1e-300 in float64,
+-largest finite, a few ordinary values), for NonFiniteTest.

Run from the repository root (PyTorch in a private venv, see docs/RELIABILITY.md):

    .venv/bin/python java/src/test/resources/nonfinite/gen_table.py

Each row names the Tangent primitives it covers ("prims"), an op ("op", with numeric "args") that
the Java test and this script both know, its inputs, and PyTorch's results:

- "out": the value;
- "jvp": for each differentiable input i, torch.func.jvp of the op as a function of input i alone
  (the others constants) with the tangent "tangent" (default: ones);
- "vjp": torch.func.vjp of the op in all differentiable inputs with the cotangent "cotangent"
  (default: ones), one gradient per differentiable input.

Element-wise ops are evaluated twice: in chunks of at most 7 elements (PyTorch's scalar loop) and
tiled 32 times (its vectorised loop: every element inside a full vector). Where the two disagree
("alt"), the row keeps both and either is accepted: PyTorch itself gives both answers, by length.

Numbers are strings: Python's repr of the float64 value (float32 results are exact in float64),
"nan", "-nan" (a NaN input with its sign bit set), "inf", "-inf"; int64 and bool as integers.
"""
import json
import math
import os
import platform
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)

F32 = torch.float32
F64 = torch.float64
I64 = torch.int64
BOOL = torch.bool
NAN = float("nan")
NEG_NAN = -float("nan")
INF = float("inf")

DTYPE_NAME = {F32: "float32", F64: "float64", I64: "int64", BOOL: "bool"}


def specials(dt):
    """The edge values of a floating dtype, then ordinary ones."""
    fi = torch.finfo(dt)
    tiny = fi.smallest_normal * fi.eps  # the smallest subnormal
    v = [NAN, NEG_NAN, INF, -INF, 0.0, -0.0, tiny, -tiny]
    if dt == F64:
        v += [1e-300, -1e-300]
    v += [fi.max, -fi.max, 1.0, -1.0, 0.5, -0.5, 2.5, -3.0, 30.0, 100.0]
    return v


def binary_values(dt):
    """A shorter set for the n^2 pairs of binary ops."""
    fi = torch.finfo(dt)
    tiny = fi.smallest_normal * fi.eps
    v = [NAN, INF, -INF, 0.0, -0.0, tiny, fi.max, -fi.max, 1.0, -1.0, 0.5, -2.5, 3.0]
    if dt == F64:
        v.insert(6, 1e-300)
    return v


def enc(x, dt):
    """One element as a string."""
    if dt in (I64, BOOL):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def enc_out(x, dt):
    """A result element: the sign of a NaN result is not compared."""
    s = enc(x, dt)
    return "nan" if s == "-nan" else s


def tensor_json(t, out=True):
    t = t.detach().contiguous()
    dt = t.dtype
    vals = t.reshape(-1).tolist()
    e = enc_out if out else enc
    return {"dtype": DTYPE_NAME[dt], "shape": list(t.shape), "data": [e(v, dt) for v in vals]}


def close(a, b, dt):
    """The test's criterion: nan-ness, infinities and zero signs exactly, else within tolerance."""
    if dt in (I64, BOOL):
        return a == b
    a = float(a)
    b = float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    if a == 0 and b == 0:
        return math.copysign(1, a) == math.copysign(1, b)
    tol = 1e-5 if dt == F32 else 1e-10
    return abs(a - b) <= tol * max(1.0, abs(b))


def with_alt(scalar, vector):
    """The scalar-loop result, with the vectorised one as "alt" where the two differ."""
    j = tensor_json(scalar)
    sv = scalar.detach().reshape(-1).tolist()
    vv = vector.detach().reshape(-1).tolist()
    if any(not close(a, b, scalar.dtype) for a, b in zip(sv, vv)):
        j["alt"] = [enc_out(v, vector.dtype) for v in vv]
    return j


# ------------------------------------------------------------------ ops (names shared with NonFiniteTest)


def unary_op(name, args):
    a = list(args)
    table = {
        "neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp, "expm1": torch.expm1,
        "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
        "reciprocal": torch.reciprocal, "square": torch.square, "sin": torch.sin, "cos": torch.cos,
        "tan": torch.tan, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan, "sinh": torch.sinh,
        "cosh": torch.cosh, "tanh": torch.tanh, "asinh": torch.asinh, "acosh": torch.acosh,
        "atanh": torch.atanh, "erf": torch.erf, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "silu": F.silu, "gelu": F.gelu,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "leaky_relu": lambda x: F.leaky_relu(x, a[0]),
        "elu": lambda x: F.elu(x, a[0]),
        "softplus": lambda x: F.softplus(x, a[0], a[1]),
        "clamp": lambda x: torch.clamp(x, None if math.isnan(a[0]) else a[0], None if math.isnan(a[1]) else a[1]),
        "pow_scalar": lambda x: torch.pow(x, a[0]),
    }
    return table[name]


BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum,
    "gt": torch.gt, "ge": torch.ge, "lt": torch.lt, "le": torch.le, "eq": torch.eq, "ne": torch.ne,
}


def op_fn(name, args):
    """The op as a function of all its tensor inputs."""
    a = list(args)
    if name in BINARY:
        return BINARY[name]
    if name == "where":
        return torch.where
    if name in ("sum", "prod", "amax", "amin"):
        f = getattr(torch, name)
        return (lambda x: f(x)) if len(a) == 0 else (lambda x: f(x, int(a[0])))
    if name == "mean":
        return lambda x: torch.mean(x, int(a[0]))
    if name == "logsumexp":
        return lambda x: torch.logsumexp(x, int(a[0]))
    if name == "norm":
        return lambda x: torch.linalg.vector_norm(x, dim=int(a[0]))
    if name == "var":
        return lambda x: torch.var(x, int(a[0]))
    if name == "var_all":  # dim=None
        return lambda x: torch.var(x)
    if name == "std":
        return lambda x: torch.std(x, int(a[0]))
    if name == "hardswish":
        return F.hardswish
    if name == "softmax":
        return lambda x: torch.softmax(x, int(a[0]))
    if name == "log_softmax":
        return lambda x: torch.log_softmax(x, int(a[0]))
    if name == "matmul":
        return torch.matmul
    if name == "reshape":
        return lambda x: x.reshape([int(s) for s in a])
    if name == "permute":
        return lambda x: x.permute([int(s) for s in a])
    if name == "expand":
        return lambda x: x.expand([int(s) for s in a])
    if name == "slice":  # dim, start, end, step
        d, s, e, st = (int(v) for v in a)
        return lambda x: x[(slice(None),) * d + (slice(s, e, st),)]
    if name == "contiguous":
        return lambda x: x.mT.contiguous()
    if name == "to_device":
        return lambda x: x.to("cpu")
    if name == "cast":
        target = {"float32": F32, "float64": F64, "int64": I64, "bool": BOOL}[CAST_TARGET[int(a[0])]]
        return lambda x: x.to(target)
    if name == "index_select":
        return lambda x, i: torch.index_select(x, int(a[0]), i)
    if name == "gather":
        return lambda x, i: torch.gather(x, int(a[0]), i)
    if name == "cat":
        return lambda x, y: torch.cat([x, y], int(a[0]))
    if name == "conv2d":  # stride, padding, dilation, groups
        return lambda x, w: F.conv2d(x, w, None, int(a[0]), int(a[1]), int(a[2]), int(a[3]))
    if name == "conv_transpose2d":  # stride, padding
        return lambda x, w: F.conv_transpose2d(x, w, None, int(a[0]), int(a[1]))
    if name == "max_pool2d":  # kernel, stride, padding
        return lambda x: F.max_pool2d(x, int(a[0]), int(a[1]), int(a[2]))
    if name == "avg_pool2d":  # kernel, stride, padding, count_include_pad
        return lambda x: F.avg_pool2d(x, int(a[0]), int(a[1]), int(a[2]), False, bool(a[3]))
    return unary_op(name, args)


CAST_TARGET = ["float32", "float64", "int64", "bool"]

# ------------------------------------------------------------------ evaluation


def ones_like(x):
    return torch.ones_like(x)


def evaluate(name, args, inputs, diff, tangents, cotangent):
    """(out, [jvp per diff input], [vjp per diff input]) computed on the inputs as given."""
    f = op_fn(name, args)
    out = f(*inputs)
    jvps = []
    for i in diff:
        def fi(xi, i=i):
            xs = list(inputs)
            xs[i] = xi
            return f(*xs)
        t = tangents[i] if tangents and tangents[i] is not None else ones_like(inputs[i])
        _, tj = torch.func.jvp(fi, (inputs[i],), (t,))
        jvps.append(tj)
    vjps = []
    if diff:
        def fd(*d):
            xs = list(inputs)
            for k, i in enumerate(diff):
                xs[i] = d[k]
            return f(*xs)
        o, fn = torch.func.vjp(fd, *[inputs[i] for i in diff])
        g = cotangent if cotangent is not None else torch.ones_like(o)
        vjps = list(fn(g))
    return out, jvps, vjps


def evaluate_elementwise(name, args, inputs, diff):
    """Element-wise ops: the scalar loop (chunks of <= 7) and the vector loop (tiled 32x)."""
    n = inputs[0].numel()
    chunks = []
    for s in range(0, n, 7):
        chunks.append(evaluate(name, args, [x[s:s + 7].clone() for x in inputs], diff, None, None))
    scalar_out = torch.cat([c[0] for c in chunks])
    scalar_jvp = [torch.cat([c[1][k] for c in chunks]) for k in range(len(diff))]
    scalar_vjp = [torch.cat([c[2][k] for c in chunks]) for k in range(len(diff))]
    tiled = [x.repeat(32) for x in inputs]
    vo, vj, vv = evaluate(name, args, tiled, diff, None, None)
    out = with_alt(scalar_out, vo[:n])
    jvp = [dict(input=i, **with_alt(scalar_jvp[k], vj[k][:n])) for k, i in enumerate(diff)]
    vjp = [dict(input=i, **with_alt(scalar_vjp[k], vv[k][:n])) for k, i in enumerate(diff)]
    return out, jvp, vjp


ROWS = []


def row(name, prims, op, args, inputs, diff, elementwise=False, tangents=None, cotangent=None):
    args = [float(a) for a in args]
    r = {"name": name, "prims": prims, "op": op, "args": [enc(a, F64) for a in args],
         "inputs": [tensor_json(x, out=False) for x in inputs], "diff": diff}
    if elementwise:
        out, jvp, vjp = evaluate_elementwise(op, args, inputs, diff)
    else:
        o, js, vs = evaluate(op, args, inputs, diff, tangents, cotangent)
        out = tensor_json(o)
        jvp = [dict(input=i, **tensor_json(js[k])) for k, i in enumerate(diff)]
        vjp = [dict(input=i, **tensor_json(vs[k])) for k, i in enumerate(diff)]
    if tangents:
        r["tangents"] = [None if t is None else tensor_json(t, out=False) for t in tangents]
    if cotangent is not None:
        r["cotangent"] = tensor_json(cotangent, out=False)
    r["out"] = out
    r["jvp"] = jvp
    r["vjp"] = vjp
    ROWS.append(r)


def t(values, dt, *shape):
    x = torch.tensor(values, dtype=dt)
    return x.reshape(shape) if shape else x


# ------------------------------------------------------------------ the rows

UNARY = [
    ("NEG", "neg", []), ("ABS", "abs", []), ("SIGN", "sign", []), ("EXP", "exp", []), ("EXPM1", "expm1", []),
    ("LOG", "log", []), ("LOG1P", "log1p", []), ("SQRT", "sqrt", []), ("RSQRT", "rsqrt", []),
    ("RECIPROCAL", "reciprocal", []), ("SQUARE", "square", []), ("SIN", "sin", []), ("COS", "cos", []),
    ("TAN", "tan", []), ("ASIN", "asin", []), ("ACOS", "acos", []), ("ATAN", "atan", []), ("SINH", "sinh", []),
    ("COSH", "cosh", []), ("TANH", "tanh", []), ("ASINH", "asinh", []), ("ACOSH", "acosh", []),
    ("ATANH", "atanh", []), ("ERF", "erf", []), ("SIGMOID", "sigmoid", []), ("RELU", "relu", []),
    ("LEAKY_RELU", "leaky_relu", [0.01]), ("LEAKY_RELU", "leaky_relu", [0.2]), ("LEAKY_RELU", "leaky_relu", [-0.5]),
    ("ELU", "elu", [1.0]), ("ELU", "elu", [0.5]), ("GELU", "gelu", []), ("GELU_TANH", "gelu_tanh", []),
    ("SILU", "silu", []), ("SOFTPLUS", "softplus", [1.0, 20.0]), ("SOFTPLUS", "softplus", [2.0, 5.0]),
    ("CLAMP", "clamp", [-1.0, 1.0]), ("CLAMP", "clamp", [0.0, NAN]), ("CLAMP", "clamp", [NAN, 0.5]),
    ("POW_SCALAR", "pow_scalar", [2.0]), ("POW_SCALAR", "pow_scalar", [3.0]), ("POW_SCALAR", "pow_scalar", [0.5]),
    ("POW_SCALAR", "pow_scalar", [-1.0]), ("POW_SCALAR", "pow_scalar", [0.0]), ("POW_SCALAR", "pow_scalar", [-2.0]),
    ("POW_SCALAR", "pow_scalar", [1.5]),
]


def unary_rows():
    for dt in (F32, F64):
        x = t(specials(dt), dt)
        for prim, op, args in UNARY:
            suffix = "" if not args else "(" + ",".join(enc(a, F64) for a in args) + ")"
            row(f"{op}{suffix}/{DTYPE_NAME[dt]}", [prim], op, args, [x], [0] if prim != "SIGN" else [],
                elementwise=True)
        # a composite activation (F.hardswish) at its kinks +-3, beside them and at the edge values
        hx = t(specials(dt) + [3.0, -2.0, 2.0, 4.0, -4.0], dt)
        row(f"hardswish/{DTYPE_NAME[dt]}", [], "hardswish", [], [hx], [0], elementwise=True)


def pairs(dt):
    v = binary_values(dt)
    a = [p for p in v for _ in v]
    b = [q for _ in v for q in v]
    return t(a, dt), t(b, dt)


def binary_rows():
    for dt in (F32, F64):
        a, b = pairs(dt)
        for prim in ("ADD", "SUB", "MUL", "DIV", "POW", "MAXIMUM", "MINIMUM"):
            row(f"{prim.lower()}/{DTYPE_NAME[dt]}", [prim], prim.lower(), [], [a, b], [0, 1], elementwise=True)
        for prim in ("GT", "GE", "LT", "LE", "EQ", "NE"):
            row(f"{prim.lower()}/{DTYPE_NAME[dt]}", [prim], prim.lower(), [], [a, b], [], elementwise=True)
        n = a.numel()
        mask = torch.tensor([(i * 7) % 3 != 0 for i in range(n)])
        row(f"where/{DTYPE_NAME[dt]}", ["WHERE"], "where", [], [mask, a, b], [1, 2], elementwise=True)


REDUCE_ROWS = [
    [1.0, NAN, 2.0, 3.0], [1.0, INF, 2.0, -INF], [INF, INF, 1.0, 2.0], [-INF, -INF, -1.0, 2.0],
    [-0.0, -0.0, -0.0, -0.0], [0.0, -0.0, -0.0, -0.0], [-0.0, 1.0, 2.0, -3.0], [NAN, INF, -INF, 0.0],
    [1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, -0.25, 8.0],
]
ZERO_ROWS = [[0.0, 2.0, INF, 3.0], [0.0, 0.0, INF, 1.0], [0.0, -0.0, 5.0, -1.0], [0.0, 0.0, 0.0, NAN]]


def reduce_rows():
    for dt in (F32, F64):
        fi = torch.finfo(dt)
        big = [[fi.max, fi.max, -1.0, 1.0], [fi.max, 2.0, 0.5, 1.0], [-fi.max, -fi.max, 1.0, 1.0]]
        tiny = fi.smallest_normal * fi.eps
        sub = [[tiny, tiny, -tiny, 0.0], [tiny, 0.5, 2.0, 4.0]]
        no_zero = t(REDUCE_ROWS[:4] + REDUCE_ROWS[8:] + big[:1] + sub[1:], dt, -1, 4)
        with_zero = t(REDUCE_ROWS + ZERO_ROWS + big + sub, dt, -1, 4)
        d = DTYPE_NAME[dt]
        for prim in ("SUM", "PROD", "AMAX", "AMIN"):
            op = prim.lower()
            row(f"{op}(dim 1)/{d}/zeros", [prim], op, [1], [with_zero], [0])
            row(f"{op}(dim 1)/{d}/no zeros", [prim], op, [1], [no_zero], [0])
            row(f"{op}(dim 0)/{d}", [prim], op, [0], [with_zero], [0])
            for k, r in enumerate(REDUCE_ROWS + ZERO_ROWS):
                row(f"{op}(all)/{d}/row {k}", [prim], op, [], [t(r, dt)], [0])
        for op, prims in (("mean", []), ("logsumexp", ["LOGSUMEXP"]), ("norm", ["NORM"]), ("var", ["VAR"]),
                          ("std", ["STD"])):
            row(f"{op}(dim 1)/{d}", prims, op, [1], [with_zero], [0])
        # var() of everything (dim=None): one element (n <= correction: PyTorch's NaN/inf gradient), big values
        for k, r in enumerate([[3.0], [INF], [NAN], [1.0, 2.0, 3.0, 4.0], big[0], big[2]]):
            row(f"var(all)/{d}/row {k}", ["VAR"], "var_all", [], [t(r, dt)], [0])


SOFTMAX_ROWS = [
    [1.0, NAN, 2.0, 3.0], [INF, 1.0, 2.0, 3.0], [-INF, 1.0, 2.0, 3.0], [-INF, -INF, -INF, -INF],
    [INF, INF, 1.0, 2.0], [INF, -INF, 0.0, 1.0], [-0.0, 0.0, -0.0, 0.0], [NAN, NAN, NAN, NAN],
    [1.0, 2.0, 3.0, 4.0], [-INF, -INF, 0.0, -INF], [100.0, -100.0, 0.5, 30.0],
]


def softmax_rows():
    for dt in (F32, F64):
        fi = torch.finfo(dt)
        x = t(SOFTMAX_ROWS + [[fi.max, fi.max, 0.0, 1.0], [-fi.max, 0.0, 1.0, 2.0]], dt, -1, 4)
        tan = (torch.arange(x.numel(), dtype=dt) % 5 - 2.0).reshape(x.shape)
        cot = (torch.arange(x.numel(), dtype=dt) % 3 - 1.0).reshape(x.shape)
        for prim in ("SOFTMAX", "LOG_SOFTMAX"):
            op = prim.lower()
            row(f"{op}(dim 1)/{DTYPE_NAME[dt]}", [prim], op, [1], [x], [0], tangents=[tan], cotangent=cot)
            row(f"{op}(dim 0)/{DTYPE_NAME[dt]}", [prim], op, [0], [x.mT.contiguous()], [0],
                tangents=[tan.mT.contiguous()], cotangent=cot.mT.contiguous())


def matmul_rows():
    for dt in (F32, F64):
        d = DTYPE_NAME[dt]
        fi = torch.finfo(dt)
        a = t([1.0, NAN, 2.0, 0.0, INF, 1.0, 0.0, -1.0, 0.0, 1.0, 2.0, 3.0, -0.0, -0.0, 1.0, fi.max], dt, 4, 4)
        b = t([1.0, 2.0, 0.0, -INF, 0.5, 1.0, 1.0, 1.0, 2.0, -1.0, 0.0, 0.0, fi.max, 1.0, -0.0, 3.0], dt, 4, 4)
        row(f"matmul 4x4/{d}", ["MATMUL"], "matmul", [], [a, b], [0, 1])
        for k in range(4):
            row(f"matmul row {k}/{d}", ["MATMUL"], "matmul", [], [a[k:k + 1].clone(), b], [0, 1])
        row(f"matmul vec/{d}", ["MATMUL"], "matmul", [], [a[1].clone(), b], [0, 1])
        a3 = torch.stack([a[:, :3], a[:, 1:]]).contiguous()
        row(f"matmul batched/{d}", ["MATMUL"], "matmul", [], [a3, b[:3, :2].clone()], [0, 1])


def view_rows():
    for dt in (F32, F64):
        d = DTYPE_NAME[dt]
        x = t([NAN, -0.0, INF, -INF, 0.0, 1.0, -1.0, 2.5, NEG_NAN, -0.0, 3.0, 4.0], dt, 3, 4)
        cot = t([-0.0, NAN, 1.0, -INF, INF, -0.0, 2.0, 0.0, 3.0, -0.0, -0.0, 1.0], dt, 3, 4)
        row(f"reshape/{d}", ["RESHAPE"], "reshape", [2, 6], [x], [0], cotangent=cot.reshape(2, 6))
        row(f"permute/{d}", ["PERMUTE"], "permute", [1, 0], [x], [0], cotangent=cot.mT.contiguous())
        row(f"expand/{d}", ["EXPAND"], "expand", [2, 3, 4], [x], [0],
            cotangent=torch.stack([cot, -cot]))
        row(f"slice/{d}", ["SLICE", "SLICE_SCATTER"], "slice", [1, 1, 4, 2], [x], [0], cotangent=cot[:, 1:4:2].clone())
        row(f"contiguous/{d}", ["CONTIGUOUS"], "contiguous", [], [x], [0], cotangent=cot.mT.contiguous())
        row(f"to_device/{d}", ["TO_DEVICE"], "to_device", [], [x], [0], cotangent=cot)
        idx = torch.tensor([2, 0, 2, 1])
        row(f"index_select/{d}", ["INDEX_SELECT", "INDEX_ADD"], "index_select", [0], [x, idx], [0],
            cotangent=torch.cat([cot, cot[:1]]))
        gi = torch.tensor([[3, 0, 0], [1, 1, 2], [0, 3, 3]])
        row(f"gather/{d}", ["GATHER", "SCATTER_ADD"], "gather", [1], [x, gi], [0], cotangent=cot[:, :3].clone())
        y = t([INF, -0.0, NAN, 1.0], dt, 1, 4)
        row(f"cat/{d}", ["CAT"], "cat", [0], [x, y], [0, 1], cotangent=torch.cat([cot, cot[:1]]))


def cast_rows():
    for dt in (F32, F64):
        x = t(specials(dt) + [2.0 ** 62, 2.0 ** 63, -2.0 ** 63, 9.7, -9.7], dt)
        for k, target in enumerate(CAST_TARGET):
            if target == DTYPE_NAME[dt]:
                continue
            diff = [0] if target in ("float32", "float64") else []
            row(f"cast {DTYPE_NAME[dt]}->{target}", ["CAST"], "cast", [k], [x], diff, elementwise=True)
    big = [0, 1, -1, 2 ** 53 + 1, -(2 ** 63), 2 ** 63 - 1, 16777217]
    xi = torch.tensor(big, dtype=I64)
    for k, target in enumerate(CAST_TARGET):
        if target != "int64":
            row(f"cast int64->{target}", ["CAST"], "cast", [k], [xi], [], elementwise=True)
    xb = torch.tensor([True, False, True])
    for k, target in enumerate(CAST_TARGET):
        if target != "bool":
            row(f"cast bool->{target}", ["CAST"], "cast", [k], [xb], [], elementwise=True)


def integer_rows():
    v = [0, 1, -1, 7, -7, 2 ** 62, -(2 ** 63), 2 ** 63 - 1]
    a = torch.tensor([p for p in v for _ in v], dtype=I64)
    b = torch.tensor([q for _ in v for q in v], dtype=I64)
    for op in ("add", "sub", "mul", "div", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"):
        row(f"{op}/int64", [op.upper()], op, [], [a, b], [], elementwise=True)
    x = torch.tensor(v, dtype=I64)
    for op in ("neg", "abs", "sign", "square", "relu", "exp", "sqrt", "sin", "sigmoid"):
        row(f"{op}/int64", [op.upper()], op, [], [x], [], elementwise=True)
    for op in ("sum", "amax", "amin"):
        row(f"{op}(all)/int64", [op.upper()], op, [], [x], [])
    row("prod(all)/int64", ["PROD"], "prod", [], [torch.tensor([3, -5, 7, 11, 2 ** 40], dtype=I64)], [])
    row("sum(all)/int64 wraps", ["SUM"], "sum", [], [torch.tensor([2 ** 63 - 1, 1, 5], dtype=I64)], [])


def nn_rows():
    for dt in (F32, F64):
        d = DTYPE_NAME[dt]
        x = torch.arange(50, dtype=dt).reshape(1, 2, 5, 5) / 7.0 - 3.0
        x[0, 0, 1, 1] = NAN
        x[0, 1, 3, 3] = INF
        x[0, 0, 4, 0] = -INF
        x[0, 1, 0, 4] = -0.0
        w = (torch.arange(54, dtype=dt).reshape(3, 2, 3, 3) % 5 - 2.0) / 2.0
        w[1, 0, 1, 1] = 0.0
        row(f"conv2d pad 1/{d}", ["CONV2D", "CONV2D_INPUT_GRAD", "CONV2D_WEIGHT_GRAD"], "conv2d", [1, 1, 1, 1],
            [x, w], [0, 1])
        row(f"conv2d stride 2/{d}", ["CONV2D"], "conv2d", [2, 0, 1, 1], [x, w], [0, 1])
        wi = w.clone()
        wi[2, 1, 0, 0] = INF
        row(f"conv2d inf weight/{d}", ["CONV2D"], "conv2d", [1, 0, 1, 1], [x.nan_to_num(0.5, 0.5, 0.5), wi], [0, 1])
        row(f"conv2d inf weight pad 1/{d}", ["CONV2D"], "conv2d", [1, 1, 1, 1], [x.nan_to_num(0.5, 0.5, 0.5), wi],
            [0, 1])
        wt = w[:2].clone()  # [C_in=2, C_out=2, 3, 3]
        row(f"conv_transpose2d/{d}", ["CONV2D_INPUT_GRAD"], "conv_transpose2d", [1, 1], [x, wt], [0, 1])
        p = x.clone()
        p[0, 0, 0, 0] = INF
        p[0, 1, 4, 4] = NAN
        p[0, 1, 4, 3] = INF
        row(f"max_pool2d 2/{d}", ["MAX_POOL2D", "MAX_POOL2D_INDICES"], "max_pool2d", [2, 2, 0], [p], [0])
        row(f"max_pool2d 3 pad 1/{d}", ["MAX_POOL2D", "MAX_POOL2D_INDICES"], "max_pool2d", [3, 1, 1], [p], [0])
        q = torch.full((1, 1, 3, 3), -INF, dtype=dt)
        q[0, 0, 1, 1] = NAN
        row(f"max_pool2d -inf/{d}", ["MAX_POOL2D"], "max_pool2d", [2, 1, 0], [q], [0])
        row(f"avg_pool2d 2/{d}", ["AVG_POOL2D", "AVG_POOL2D_GRAD"], "avg_pool2d", [2, 2, 0, 1], [p], [0])
        row(f"avg_pool2d 3 pad 1/{d}", ["AVG_POOL2D", "AVG_POOL2D_GRAD"], "avg_pool2d", [3, 1, 1, 1], [p], [0])
        row(f"avg_pool2d 3 pad 1 exclude/{d}", ["AVG_POOL2D"], "avg_pool2d", [3, 2, 1, 0], [p], [0])
        # windows whose partial sums overflow in PyTorch's row-major order ([max, max; -max, -max]) or not
        m = torch.finfo(dt).max
        big = t([m, m, m, -m, -m, -m, m, -m], dt, 1, 1, 2, 4)
        row(f"avg_pool2d overflow/{d}", ["AVG_POOL2D"], "avg_pool2d", [2, 2, 0, 1], [big], [0])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    unary_rows()
    binary_rows()
    reduce_rows()
    softmax_rows()
    matmul_rows()
    view_rows()
    cast_rows()
    integer_rows()
    nn_rows()
    header = {
        "generator": "java/src/test/resources/nonfinite/gen_table.py",
        "command": ".venv/bin/python java/src/test/resources/nonfinite/gen_table.py",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": 1,
        "rows": len(ROWS),
    }
    path = os.path.join(here, "nonfinite_table.json")
    with open(path, "w") as f:
        f.write('{"header": ' + json.dumps(header) + ',\n"rows": [\n')
        f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in ROWS))
        f.write("\n]}\n")
    print(f"{len(ROWS)} rows -> {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
