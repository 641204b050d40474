"""vibee.compile, Module and Kernel: the JIT of runtime/Jit.h from Python."""

import os
import threading
from collections import namedtuple

from . import _tensors, _vibee

Param = namedtuple("Param", "name dtype dims type scalar inout default")
Result = namedtuple("Result", "name dtype dims type")
Dim = namedtuple("Dim", "name size param axis terms constant")

_TARGETS = ("cpu", "cuda")
_NUMBER_TYPES = (bool, int, float)


def _is_number(value):
    """A NumPy scalar, a 0-d array's item, a SymFloat...: anything with __float__."""
    return hasattr(value, "__float__") and not isinstance(value, (str, bytes))
_compilers = {}
_compilers_lock = threading.Lock()


def _compiler(target, gpu_chip, gpu_format, verbose, device):
    """One C++ Compiler per option set (and CUDA device: a module is loaded in one
    device's context): its cache makes a second compile of the same text a
    lookup (the text is the key, so an edited file compiles anew)."""
    key = (target, gpu_chip, gpu_format, bool(verbose), device)
    with _compilers_lock:
        if key not in _compilers:
            _compilers[key] = _vibee.Compiler(target, gpu_chip, gpu_format, bool(verbose))
        return _compilers[key]


def _is_text(source):
    # Every spec starts with `spec <name> <version> "<doc>";`; a path has no ';'
    # or newline in practice, so either one means spec text.
    return isinstance(source, str) and ("\n" in source or ";" in source)


def _cuda_device():
    """The CUDA device that PyTorch has current, with its context current on this
    thread, so that the module the JIT loads lives in PyTorch's context (the
    device's primary context, as for the CUDA runtime)."""
    torch = _tensors._torch()
    if torch is None or not torch.cuda.is_available():
        return 0, None
    device = torch.cuda.current_device()
    torch.cuda.synchronize(device)  # makes the primary context exist
    return device, torch.cuda.device(device)


def compile(source, target="cpu", *, name=None, gpu_chip="sm_90a", gpu_format="isa", verbose=False):
    """Compiles a spec (a path, or the text of a spec) for `target` ("cpu" or
    "cuda") and returns its Module. Raises vibee.CompileError with every
    diagnostic, rendered as vibeec renders them. A second compile of the same
    text with the same options is a lookup in the process's cache."""
    if target not in _TARGETS:
        raise ValueError(f"vibee.compile: target must be one of {_TARGETS}, not {target!r}")
    device, guard = (0, None)
    if target == "cuda":
        device, guard = _cuda_device()
    compiler = _compiler(target, gpu_chip, gpu_format, verbose, device)
    if guard is not None:
        with guard:
            native, text = _compile(compiler, source, name)
    else:
        native, text = _compile(compiler, source, name)
    return Module(native, target, device, (target, device, gpu_chip, gpu_format, text))


def _compile(compiler, source, name):
    if _is_text(source):
        return compiler.compile_string(source, name or "<string>"), source
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return compiler.compile_file(path), None  # the runtime's "cannot read file"
    return compiler.compile_string(text, name or path), text


class Module:
    """A compiled spec: its kernels by name (`module.softmax`, `module["softmax"]`)."""

    def __init__(self, native, target, device, key):
        self._native = native
        self.target = target
        self.device = device  # the CUDA device index (target "cuda")
        self.key = key  # what identifies the compiled code (target, options, text)
        self._kernels = {}

    @property
    def spec_name(self):
        return self._native.spec_name

    def kernel_names(self):
        return list(self._native.kernel_names())

    def kernel(self, name):
        if name not in self._kernels:
            self._kernels[name] = Kernel(self, self._native.kernel(name))
        return self._kernels[name]

    def __getitem__(self, name):
        return self.kernel(name)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._native.kernel_names():
            raise AttributeError(f"spec '{self.spec_name}' has no kernel '{name}'")
        return self.kernel(name)

    def __dir__(self):
        return list(super().__dir__()) + self.kernel_names()

    def __repr__(self):
        return f"<vibee.Module spec {self.spec_name!r} target {self.target!r}: {self.kernel_names()}>"


class Kernel:
    """A kernel of a Module, callable on arrays:

        y = kernel(x, w, eps=1e-5)           # results allocated and returned
        kernel(param, grad, m, lr=0.1)        # inout parameters updated in place
        kernel(x, out=y)                      # results written into `out`

    Parameters in order, positionally or by name; scalar parameters with a
    default may be left out. Returns None (no results), the result, or a tuple.
    """

    def __init__(self, module, native):
        self.module = module
        self._native = native
        sig = native.signature()
        self.name = sig["name"]
        self.params = [Param(**p) for p in sig["params"]]
        self.results = [Result(**r) for r in sig["results"]]
        self.dims = [Dim(**d) for d in sig["dims"]]

    @property
    def target(self):
        return self.module.target

    @property
    def device(self):
        return self.module.device

    def __repr__(self):
        params = ", ".join(f"{'inout ' if p.inout else ''}{p.name}: {p.type}" for p in self.params)
        results = ", ".join(f"{r.name}: {r.type}" for r in self.results)
        return f"<vibee.Kernel {self.module.spec_name}.{self.name}({params}) -> ({results})>"

    # --- arguments -----------------------------------------------------------

    def bind(self, args, kwargs):
        """One value per parameter (None: not given); too many positional
        arguments stay, for the runtime to report with its count."""
        if len(args) > len(self.params):
            return list(args)
        values = list(args) + [None] * (len(self.params) - len(args))
        names = [p.name for p in self.params]
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(
                    f"kernel '{self.name}' has no parameter '{key}' (parameters: {', '.join(names)})"
                )
            index = names.index(key)
            if index < len(args):
                raise TypeError(f"kernel '{self.name}': parameter '{key}' given twice")
            values[index] = value
        return values

    def _label(self, index):
        if index < len(self.params):
            return f"argument '{self.params[index].name}'"
        return f"result '{self.results[index - len(self.params)].name}'"

    def _views(self, call, values):
        views = []
        for i, value in enumerate(values):
            param = self.params[i] if i < len(self.params) else None
            if _tensors.is_array(value):
                written = param is not None and param.inout
                expected = param.type if param is not None else "a tensor"
                views.append(call.view(value, self._label(i), expected, written))
            elif value is None or isinstance(value, _NUMBER_TYPES) or _is_number(value):
                views.append(value)  # the runtime checks it against the parameter
            else:
                expected = param.type if param is not None else "no more arguments"
                raise call.error(
                    self._label(i), f"expected {expected} but got a {type(value).__name__}"
                )
        return views

    # --- calls -----------------------------------------------------------------

    def result_shapes(self, *args, **kwargs):
        """The results' shapes for these parameters (checked as a call checks them)."""
        values = self.bind(args, kwargs)
        call = _tensors.Call(self)
        call.choose_framework(values)
        return [tuple(s) for s in self._native.result_shapes(self._views(call, values))]

    def __call__(self, *args, out=None, **kwargs):
        values = self.bind(args, kwargs)
        outs = None
        if out is not None:
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            if len(outs) != len(self.results):
                raise TypeError(
                    f"kernel '{self.name}': out= needs {len(self.results)} tensors, got {len(outs)}"
                )
        call = _tensors.Call(self)
        call.choose_framework(values + (outs or []))
        views = self._views(call, values)
        if outs is None:
            shapes = self._native.result_shapes(views)
            outs = [call.allocate(tuple(s), r.dtype) for s, r in zip(shapes, self.results)]
        result_views = [
            call.view(o, self._label(len(self.params) + i), self.results[i].type, True)
            for i, o in enumerate(outs)
        ]
        self._launch(call, views + result_views)
        if not outs:
            return None
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _launch(self, call, views):
        if self.target != "cuda":
            self._native(views)
            return
        # On PyTorch's current stream of the kernel's device, with that device's
        # context current; the thread's previous vibee stream is restored.
        torch = _tensors._torch()
        with torch.cuda.device(self.device):
            stream = torch.cuda.current_stream(self.device).cuda_stream
            previous = _vibee.get_cuda_stream()
            _vibee.set_cuda_stream(stream)
            try:
                self._native(views)
            finally:
                _vibee.set_cuda_stream(previous)

    # --- shapes without data (fake tensors under torch.compile) ----------------

    def fake_result_shapes(self, values):
        """Result shapes from the parameters' shapes alone. Concrete sizes go
        through the runtime's checks; symbolic ones (torch.SymInt, dynamic
        shapes) are read off the parameter axis that binds each dim."""
        tensors = {i: v for i, v in enumerate(values) if _tensors.is_array(v)}
        if all(isinstance(s, int) for v in tensors.values() for s in v.shape):
            call = _tensors.Call(self)
            views = list(values)
            for i, v in tensors.items():
                dtype = _tensors.torch_dtype_name(v.dtype)
                if dtype is None:
                    raise call.error(
                        self._label(i), f"expected {self.params[i].type} but got a {v.dtype} tensor"
                    )
                # Only an inout parameter's layout matters (an `in` one is copied).
                strides = tuple(v.stride()) if self.params[i].inout else ()
                views[i] = (0, dtype, tuple(v.shape), strides)
            return [tuple(s) for s in self._native.result_shapes(views)]

        def size_of(dim):
            if dim.size >= 0:
                return dim.size
            if dim.terms:  # a derived dim (N - K + 1): from the parameters' dims
                return dim.constant + sum(c * size_of(self.dims[i]) for i, c in dim.terms)
            return values[dim.param].shape[dim.axis]

        by_name = {d.name: d for d in self.dims}
        return [tuple(size_of(by_name[name]) for name in r.dims) for r in self.results]
