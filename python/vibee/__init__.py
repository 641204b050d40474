"""vibee: .vibee kernel specs, compiled by vibeec's JIT, called on PyTorch tensors,
NumPy arrays and DLPack objects (docs/python.md).

    import vibee, torch
    softmax = vibee.compile("specs/nn/softmax.vibee").softmax
    y = softmax(torch.randn(4, 8))

`vibee.torch.op(kernel)` registers a kernel as a torch.library custom op, which
works inside torch.compile.
"""

from ._vibee import CallError, CompileError, CudaError
from ._api import Kernel, Module, compile

__all__ = ["compile", "Module", "Kernel", "CompileError", "CallError", "CudaError"]
__version__ = "0.1.0"


def __getattr__(name):
    # `vibee.torch` on first use: importing vibee does not import PyTorch.
    if name == "torch":
        import importlib

        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'vibee' has no attribute '{name}'")
