"""Arrays in and out of a kernel call: PyTorch tensors, NumPy arrays, DLPack.

A call's tensors cross into C++ as (data pointer, dtype name, shape, strides)
tuples; every check of the call is the C++ runtime's (runtime/Jit.cpp), with
its messages. What only Python can see is checked here: an array type or dtype
that vibee has no name for, a device that is not the kernel's, a read-only
array that a kernel would write.

Layout: an `in` parameter that is not contiguous row-major is copied into a
contiguous array first (a copy the kernel only reads cannot change a result);
an `inout` parameter or an `out=` result is passed with its real strides, so
the runtime rejects it ("expected a contiguous row-major tensor"): a copy would
take the kernel's writes away from the caller's array.
"""

import sys

from . import _vibee

_TORCH_DTYPES = {
    "float64": "f64",
    "float32": "f32",
    "float16": "f16",
    "bfloat16": "bf16",
    "float8_e4m3fn": "f8e4m3",
    "float8_e5m2": "f8e5m2",
    "int64": "i64",
    "int32": "i32",
    "int8": "i8",
    "uint64": "u64",
    "uint32": "u32",
    "uint16": "u16",
    "uint8": "u8",
    "bool": "bool",
}
# NumPy's names are the same; bfloat16 and the float8 types exist where ml_dtypes
# is installed.
_NUMPY_DTYPES = _TORCH_DTYPES
_BY_VIBEE = {v: k for k, v in _TORCH_DTYPES.items()}


def torch_dtype_name(dtype):
    """vibee's name of a torch.dtype ("f32"), None when vibee has none."""
    return _TORCH_DTYPES.get(str(dtype).replace("torch.", ""))


def _torch():
    """PyTorch if it is importable (imported only when a call needs it)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return torch
    try:
        import torch
    except ImportError:
        return None
    return torch


def _is_torch(obj):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _is_numpy(obj):
    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray)


def _is_array(obj):
    return _is_torch(obj) or _is_numpy(obj) or hasattr(obj, "__dlpack__")


class Call:
    """One call of a kernel: converts its arrays, allocates its results."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.keep = []  # contiguous copies: alive until the call returns
        self.framework = None  # "torch" or "numpy": what results are made of
        self.device = None  # torch.device of the tensors (torch only)

    def error(self, label, what):
        return _vibee.CallError(f"kernel '{self.kernel.name}': {label}: {what}")

    # --- which framework -----------------------------------------------------

    def choose_framework(self, values):
        """torch if any array is a torch tensor, or a DLPack object that only torch
        can import (a GPU one); else NumPy. A CUDA kernel always uses torch."""
        arrays = [v for v in values if _is_array(v)]
        if self.kernel.target == "cuda" or any(_is_torch(a) for a in arrays):
            self.framework = "torch"
        elif all(_is_numpy(a) for a in arrays):
            self.framework = "numpy"
        else:  # other DLPack objects: torch where installed (any device)
            self.framework = "torch" if _torch() is not None else "numpy"
        if self.framework == "torch" and _torch() is None:
            raise self.error("arguments", "target cuda needs PyTorch (pip install torch)")

    def _import(self, obj, label):
        """obj as an array of the call's framework (zero-copy where possible)."""
        if self.framework == "torch":
            torch = _torch()
            if _is_torch(obj):
                return obj
            if _is_numpy(obj):
                return torch.from_numpy(obj)
            return torch.from_dlpack(obj)
        import numpy as np

        if _is_numpy(obj):
            return obj
        try:
            return np.from_dlpack(obj)
        except (TypeError, BufferError, RuntimeError) as e:
            raise self.error(label, f"cannot import it through DLPack ({e})") from None

    # --- arrays to views -----------------------------------------------------

    def view(self, obj, label, expected_type, written):
        """The (data, dtype, shape, strides) tuple the binding takes."""
        array = self._import(obj, label)
        if self.framework == "torch":
            return self._torch_view(array, label, expected_type, written)
        return self._numpy_view(array, label, expected_type, written)

    def _check_device(self, array, label):
        torch = _torch()
        device = array.device
        if self.kernel.target == "cuda":
            want = torch.device("cuda", self.kernel.device)
            if device != want:
                raise self.error(
                    label,
                    f"expected a tensor on {want} (the kernel was compiled for target cuda "
                    f"there) but got one on {device}",
                )
        elif device.type != "cpu":
            raise self.error(
                label,
                f"expected a CPU tensor (the kernel was compiled for target cpu) "
                f"but got one on {device}",
            )
        self.device = device

    def _torch_view(self, t, label, expected_type, written):
        self._check_device(t, label)
        name = torch_dtype_name(t.dtype)
        if name is None:
            raise self.error(label, f"expected {expected_type} but got a {t.dtype} tensor")
        if not written and not t.is_contiguous():
            t = t.contiguous()
            self.keep.append(t)
        # A conjugate or negative view's memory holds other values than it shows.
        if t.is_conj() or t.is_neg():
            t = t.resolve_conj().resolve_neg()
            self.keep.append(t)
        return (t.data_ptr(), name, tuple(t.shape), tuple(t.stride()))

    def _numpy_view(self, a, label, expected_type, written):
        import numpy as np

        name = _NUMPY_DTYPES.get(a.dtype.name)
        if name is None or not a.dtype.isnative:
            raise self.error(label, f"expected {expected_type} but got a {a.dtype.str} array")
        if written and not a.flags.writeable:
            raise self.error(label, "the kernel writes it, but the array is read-only")
        if not written and not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
            self.keep.append(a)
        if any(s % a.itemsize for s in a.strides):  # only from views of other dtypes
            raise self.error(label, f"expected a contiguous row-major tensor {expected_type}")
        strides = tuple(s // a.itemsize for s in a.strides)
        return (a.ctypes.data, name, tuple(a.shape), strides)

    # --- results -------------------------------------------------------------

    def allocate(self, shape, dtype):
        """A new, uninitialized result array (the kernel writes every element)."""
        if self.framework == "torch":
            torch = _torch()
            device = self.device
            if device is None:  # no tensor argument: the kernel's device
                device = (
                    torch.device("cuda", self.kernel.device)
                    if self.kernel.target == "cuda"
                    else torch.device("cpu")
                )
            return torch.empty(shape, dtype=getattr(torch, _BY_VIBEE[dtype]), device=device)
        import numpy as np

        return np.empty(shape, dtype=_numpy_dtype(dtype))


def _numpy_dtype(name):
    import numpy as np

    if name in ("bf16", "f8e4m3", "f8e5m2"):
        try:
            import ml_dtypes
        except ImportError:
            raise TypeError(
                "a %s result as a NumPy array needs ml_dtypes (pip install ml_dtypes), "
                "or pass PyTorch tensors" % name
            ) from None
        return getattr(ml_dtypes, _BY_VIBEE[name])
    return np.dtype(_BY_VIBEE[name])


def is_array(obj):
    return _is_array(obj)
