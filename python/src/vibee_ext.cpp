//===- vibee_ext.cpp - the Python binding of the JIT API (nanobind) -------===//
//
// A thin layer over runtime/Jit.h: compile, look kernels up, ask a kernel for
// its result shapes and call it. Tensors cross as (data pointer, dtype name,
// shape, strides) tuples that python/vibee/_tensors.py takes from PyTorch,
// NumPy or DLPack objects, so the binding depends on no array library and
// every check of a call (dtype, rank, dims, layout, overlap, literal-subscript
// bounds) is the C++ runtime's own, with its messages.
//===----------------------------------------------------------------------===//
#include "runtime/Jit.h"
#include "runtime/cuda/CudaDriver.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

namespace nb = nanobind;
using namespace vibee;

namespace {

// One argument from Python: None (the parameter's default), a number, or a
// tensor as (data pointer, dtype name, shape, strides in elements).
Arg toArg(nb::handle object) {
  if (object.is_none())
    return Default{};
  if (nb::isinstance<nb::tuple>(object)) {
    auto [data, dtypeName, shape, strides] =
        nb::cast<std::tuple<uintptr_t, std::string, std::vector<int64_t>, std::vector<int64_t>>>(
            object);
    std::optional<DType> dtype = ast::dtypeFromName(dtypeName);
    if (!dtype)
      throw nb::value_error(("unknown dtype '" + dtypeName + "'").c_str());
    return TensorView(reinterpret_cast<void *>(data), *dtype, std::move(shape), std::move(strides));
  }
  return nb::cast<double>(object);
}

std::vector<Arg> toArgs(const nb::list &objects) {
  std::vector<Arg> args;
  for (nb::handle object : objects)
    args.push_back(toArg(object));
  return args;
}

std::vector<std::string> dimNames(const ast::Kernel &k, const ast::TensorType &type) {
  std::vector<std::string> names;
  for (const ast::DimSpec &dim : type.dims)
    names.push_back(k.dims[dim.dimRef].name);
  return names;
}

// The signature as plain Python data (what vibee.Kernel wraps): parameters,
// results and dims; a symbolic dim names the parameter axis that binds it
// (sema makes every symbolic dim appear in a parameter).
nb::dict signature(const ast::Kernel &k) {
  nb::list params, results, dims;
  for (const ast::Param &p : k.params) {
    nb::dict d;
    d["name"] = p.name;
    d["dtype"] = ast::dtypeName(p.type.dtype);
    d["dims"] = dimNames(k, p.type);
    d["type"] = ast::typeText(k, p.type);
    d["scalar"] = p.type.isScalar();
    d["inout"] = p.mode == ast::ParamMode::InOut;
    if (!p.defaultValue)
      d["default"] = nb::none();
    else if (ast::isFloat(p.type.dtype))
      d["default"] = p.defaultFolded;
    else if (p.type.dtype == DType::Bool)
      d["default"] = p.defaultFoldedInt != 0;
    else
      d["default"] = p.defaultFoldedInt;
    params.append(d);
  }
  for (const ast::Result &r : k.results) {
    nb::dict d;
    d["name"] = r.name;
    d["dtype"] = ast::dtypeName(r.type.dtype);
    d["dims"] = dimNames(k, r.type);
    d["type"] = ast::typeText(k, r.type);
    results.append(d);
  }
  for (const ast::Dim &dim : k.dims) {
    nb::dict d;
    d["name"] = dim.name;
    d["size"] = dim.size;
    d["param"] = dim.fromResult ? -1 : dim.carrierRef;
    d["axis"] = dim.carrierAxis;
    // A derived dim (`N - K + 1`): constant + sum(coefficient * dims[index]).
    nb::list terms;
    for (auto [index, coeff] : dim.terms)
      terms.append(nb::make_tuple(index, coeff));
    d["terms"] = terms;
    d["constant"] = dim.constant;
    dims.append(d);
  }
  nb::dict sig;
  sig["name"] = k.name;
  sig["params"] = params;
  sig["results"] = results;
  sig["dims"] = dims;
  return sig;
}

} // namespace

NB_MODULE(_vibee, m) {
  m.doc() = "vibee's JIT (runtime/Jit.h); use the vibee package, not this module";
  // Kernels registered as torch ops live in torch.library's registry until the
  // interpreter is gone: nanobind would report them as leaks at exit.
  nb::set_leak_warnings(false);
  nb::exception<CompileError>(m, "CompileError", PyExc_RuntimeError);
  nb::exception<CallError>(m, "CallError", PyExc_ValueError);
  nb::exception<cuda::CudaError>(m, "CudaError", PyExc_RuntimeError);

  nb::class_<Kernel>(m, "Kernel")
      .def_prop_ro("name", &Kernel::name)
      .def("signature", [](const Kernel &k) { return signature(k.signature()); })
      .def("result_shapes",
           [](const Kernel &k, const nb::list &params) {
             std::vector<Arg> args = toArgs(params);
             return k.resultShapes(args);
           })
      // Runs without the GIL: the kernel's own threads, and other Python threads,
      // go on meanwhile; the caller keeps every tensor alive during the call.
      .def("__call__", [](const Kernel &k, const nb::list &objects) {
        std::vector<Arg> args = toArgs(objects);
        nb::gil_scoped_release release;
        return k(args);
      });

  nb::class_<JitModule>(m, "Module")
      .def_prop_ro("spec_name", [](const JitModule &mod) { return mod.spec().name; })
      .def_prop_ro("is_cuda", &JitModule::isCuda)
      .def("kernel_names", &JitModule::kernelNames)
      .def("kernel", &JitModule::kernel);

  nb::class_<Compiler>(m, "Compiler")
      .def(
          "__init__",
          [](Compiler *self, const std::string &target, const std::string &gpuChip,
             const std::string &gpuFormat, bool verbose) {
            CompileOptions options;
            options.target = target;
            options.gpuChip = gpuChip;
            options.gpuFormat = gpuFormat;
            options.verbose = verbose;
            new (self) Compiler(options);
          },
          nb::arg("target") = "cpu", nb::arg("gpu_chip") = "sm_90a", nb::arg("gpu_format") = "isa",
          nb::arg("verbose") = false)
      .def("compile_file", &Compiler::compileFile, nb::arg("path"),
           nb::call_guard<nb::gil_scoped_release>())
      .def("compile_string", &Compiler::compileString, nb::arg("source"),
           nb::arg("name") = "<string>", nb::call_guard<nb::gil_scoped_release>());

  // The calling thread's CUDA stream for launches (a cudaStream_t as an int; 0:
  // the legacy default stream), runtime/cuda/CudaDriver.h.
  m.def("set_cuda_stream",
        [](uintptr_t stream) { vibee_cuda_set_stream(reinterpret_cast<void *>(stream)); });
  m.def("get_cuda_stream", [] { return reinterpret_cast<uintptr_t>(vibee_cuda_get_stream()); });
}
