"""vibee kernels as torch.library custom ops (usable inside torch.compile).

    op = vibee.torch.op(vibee.compile("specs/nn/rmsnorm.vibee").rmsnorm_f32)
    y = torch.compile(lambda x, w: op(x * 2, w) + 1)(x, w)

The op's schema comes from the kernel's signature: tensor parameters are
`Tensor` (inout ones `Tensor(a!)`, declared as mutated), scalar parameters
`float`/`int`/`bool` with their defaults, results `Tensor`s. Its fake (meta)
implementation computes the results' shapes from the parameters' shapes, so
torch.compile traces through it, with dynamic shapes too; the real one is the
kernel call. No autograd formula is registered (a backward through it raises).
"""

import threading

import torch as _torch

from ._api import Kernel

_SCALAR_TYPES = {"f64": "float", "f32": "float", "f16": "float", "bf16": "float",
                 "i64": "int", "i32": "int", "i8": "int", "u64": "int", "u32": "int",
                 "u16": "int", "u8": "int", "bool": "bool"}
_registered = {}  # "namespace::name" -> (what was compiled, the op)
_lock = threading.Lock()


def schema(kernel):
    """The op schema of a kernel, e.g. "(Tensor x, Tensor w, float eps=1e-06) -> Tensor"."""
    args, alias = [], 0
    for p in kernel.params:
        if p.scalar:
            text = f"{_SCALAR_TYPES[p.dtype]} {p.name}"
            if p.default is not None:
                text += f"={p.default!r}"
        elif p.inout:
            text = f"Tensor({chr(ord('a') + alias)}!) {p.name}"
            alias += 1
        else:
            text = f"Tensor {p.name}"
        args.append(text)
    results = len(kernel.results)
    returns = "()" if results == 0 else "Tensor" if results == 1 else \
        "(" + ", ".join(["Tensor"] * results) + ")"
    return f"({', '.join(args)}) -> {returns}"


def op(kernel, name=None, *, namespace="vibee"):
    """Registers `kernel` (a vibee.Kernel) as the custom op `namespace::name`
    (default name: <spec>_<kernel>) and returns it (also torch.ops.<namespace>.<name>).
    Registering the same compiled kernel under the same name again returns the
    first op; another kernel under a taken name is an error."""
    if not isinstance(kernel, Kernel):
        raise TypeError(f"vibee.torch.op takes a vibee.Kernel, not {type(kernel).__name__}")
    name = name or f"{kernel.module.spec_name}_{kernel.name}"
    qualname = f"{namespace}::{name}"
    identity = (kernel.module.key, kernel.name)
    with _lock:
        if qualname in _registered:
            known, registered = _registered[qualname]
            if known != identity:
                raise ValueError(f"vibee.torch.op: '{qualname}' is already registered for another kernel")
            return registered
        registered = _register(kernel, qualname)
        _registered[qualname] = (identity, registered)
        return registered


def _register(kernel, qualname):
    device_types = "cuda" if kernel.target == "cuda" else "cpu"
    mutated = [p.name for p in kernel.params if p.inout]

    def impl(*args, **kwargs):
        return kernel(*args, **kwargs)

    custom = _torch.library.custom_op(
        qualname, impl, mutates_args=mutated, device_types=device_types, schema=schema(kernel)
    )

    @custom.register_fake
    def fake(*args, **kwargs):
        values = kernel.bind(args, kwargs)
        shapes = kernel.fake_result_shapes(values)
        default = "cuda" if kernel.target == "cuda" else "cpu"
        device = next((v.device for v in values if isinstance(v, _torch.Tensor)), default)
        results = [
            _torch.empty(shape, dtype=getattr(_torch, _TORCH_NAMES[r.dtype]), device=device)
            for shape, r in zip(shapes, kernel.results)
        ]
        if not results:
            return None
        return results[0] if len(results) == 1 else tuple(results)

    return custom


_TORCH_NAMES = {"f64": "float64", "f32": "float32", "f16": "float16", "bf16": "bfloat16",
                "f8e4m3": "float8_e4m3fn", "f8e5m2": "float8_e5m2",
                "i64": "int64", "i32": "int32", "i8": "int8", "u64": "uint64",
                "u32": "uint32", "u16": "uint16", "u8": "uint8", "bool": "bool"}
