#include "runtime/Jit.h"
#include "backends/cpu/LLVMOptimizer.h"
#include "backends/cpu/ObjectEmitter.h"
#include "frontend/Float8.h"
#include "frontend/FloatToInt.h"
#include "runtime/JitEngine.h"
#include "runtime/KernelGroups.h"
#include "runtime/cuda/CudaDriver.h"

#include "llvm/Support/MemoryBuffer.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>

namespace vibee {

JitModule::~JitModule() = default;

Kernel JitModule::kernel(const std::string &name) const {
  const ast::Kernel *k = spec_->findKernel(name);
  if (!k)
    throw CallError("spec '" + spec_->name + "' has no kernel '" + name + "'");
  return Kernel(shared_from_this(), k, entries_.at(name), &requirements_.at(name));
}

std::vector<std::string> JitModule::kernelNames() const {
  std::vector<std::string> names;
  for (const ast::Kernel &k : spec_->kernels)
    names.push_back(k.name);
  return names;
}

//===----------------------------------------------------------------------===//
// Calls: checks, then the packed C ABI (docs/abi.md).
//===----------------------------------------------------------------------===//

// Scalars are passed in 8-byte slots, converted to the parameter's dtype.
static void storeScalar(DType dtype, double value, void *slot) {
  switch (dtype) {
  case DType::F64: {
    double v = value;
    std::memcpy(slot, &v, 8);
    break;
  }
  case DType::F32: {
    float v = (float)value;
    std::memcpy(slot, &v, 4);
    break;
  }
  case DType::F16: {
    uint16_t v = floatToF16((float)value);
    std::memcpy(slot, &v, 2);
    break;
  }
  case DType::BF16: {
    uint16_t v = floatToBF16((float)value);
    std::memcpy(slot, &v, 2);
    break;
  }
  case DType::F8E4M3: // sema refuses FP8 scalar parameters; kept total
  case DType::F8E5M2: {
    uint8_t v = fp8::encode(value, dtype);
    std::memcpy(slot, &v, 1);
    break;
  }
  case DType::I64: {
    int64_t v = (int64_t)value;
    std::memcpy(slot, &v, 8);
    break;
  }
  case DType::I32: {
    int32_t v = (int32_t)value;
    std::memcpy(slot, &v, 4);
    break;
  }
  case DType::I8: {
    int8_t v = (int8_t)value;
    std::memcpy(slot, &v, 1);
    break;
  }
  // In range (isIntegerScalarValue), so exact; the rule of HostTensor::set anyway.
  case DType::U64: {
    uint64_t v = ast::truncToUInt64(value);
    std::memcpy(slot, &v, 8);
    break;
  }
  case DType::U32: {
    uint32_t v = (uint32_t)ast::truncToUnsigned(value, 32);
    std::memcpy(slot, &v, 4);
    break;
  }
  case DType::U16: {
    uint16_t v = (uint16_t)ast::truncToUnsigned(value, 16);
    std::memcpy(slot, &v, 2);
    break;
  }
  case DType::U8: {
    uint8_t v = (uint8_t)ast::truncToUnsigned(value, 8);
    std::memcpy(slot, &v, 1);
    break;
  }
  case DType::Bool: {
    uint8_t v = value != 0;
    std::memcpy(slot, &v, 1);
    break;
  }
  }
}

// An integer or bool scalar must be given as an integral double within its dtype's
// range (bool: 0 or 1): a cast of NaN, 1e300 or 0.5 is undefined or truncates
// silently. (A double holds integers exactly up to 2^53 only; the default of an i64
// parameter reaches the kernel exactly.)
static bool isIntegerScalarValue(DType dtype, double value) {
  if (!(std::trunc(value) == value)) // NaN, infinities and fractions
    return false;
  switch (dtype) {
  case DType::I64:
    return value >= -0x1p63 && value < 0x1p63;
  case DType::I32:
    return value >= INT32_MIN && value <= INT32_MAX;
  case DType::I8:
    return value >= INT8_MIN && value <= INT8_MAX;
  case DType::U64:
    return value >= 0 && value < 0x1p64;
  case DType::U32:
    return value >= 0 && value <= UINT32_MAX;
  case DType::U16:
    return value >= 0 && value <= UINT16_MAX;
  case DType::U8:
    return value >= 0 && value <= UINT8_MAX;
  case DType::Bool:
    return value == 0 || value == 1;
  default:
    return true;
  }
}

namespace {

// What checking a call's arguments binds: every dim (its size and the argument
// it came from) and the packed C ABI argument list, whose pointers point into
// the slots here.
struct CallFrame {
  std::vector<int64_t> dimSize;
  std::vector<std::string> dimFrom;
  std::vector<uint64_t> scalarSlots; // 8-byte slots that outlive the call
  std::vector<void *> dataPtrs;
  std::vector<void *> packed;
  std::vector<ArgMemory> memory;
  std::vector<int64_t> dimArgs; // the symbolic dims, in order, after the arguments

  CallFrame(const ast::Kernel &k, size_t args)
      : dimSize(k.dims.size(), -1), dimFrom(k.dims.size()), scalarSlots(args, 0),
        dataPtrs(args, nullptr) {
    packed.reserve(args + k.dims.size());
    for (size_t d = 0; d < k.dims.size(); ++d) // literal dims are known up front
      if (k.dims[d].size >= 0) {
        dimSize[d] = k.dims[d].size;
        dimFrom[d] = "its declaration";
      }
  }
};

CallError callError(const ast::Kernel &k, const std::string &what) {
  return CallError("kernel '" + k.name + "': " + what);
}

// A scalar parameter's value into its slot: the given number, or the default.
void bindScalar(const ast::Kernel &k, size_t a, const Arg &arg, const std::string &label,
                CallFrame &frame) {
  const ast::Param &param = k.params[a];
  double value;
  if (std::holds_alternative<double>(arg)) {
    value = std::get<double>(arg);
  } else if (std::holds_alternative<Default>(arg) && param.defaultValue) {
    value = param.defaultFolded;
    if (!ast::isFloat(param.type.dtype)) {       // exact: a double rounds integers above 2^53
      int64_t v = param.defaultFoldedInt;        // sema checked it fits the dtype
      std::memcpy(&frame.scalarSlots[a], &v, 8); // little-endian: low bytes = value
      frame.packed.push_back(&frame.scalarSlots[a]);
      return;
    }
  } else {
    throw callError(k, label + ": expected a scalar " + ast::dtypeName(param.type.dtype) +
                           (std::holds_alternative<TensorView>(arg) ? " but got a tensor"
                                                                    : " but got no value"));
  }
  if (!ast::isFloat(param.type.dtype) && !isIntegerScalarValue(param.type.dtype, value)) {
    std::ostringstream text;
    text << std::setprecision(17) << value;
    throw callError(
        k, label + ": " + text.str() + " is not a " + ast::dtypeName(param.type.dtype) +
               " value (an integer" +
               (param.type.dtype == DType::Bool ? ", 0 or 1)" : " within the dtype's range)"));
  }
  storeScalar(param.type.dtype, value, &frame.scalarSlots[a]);
  frame.packed.push_back(&frame.scalarSlots[a]);
}

// A tensor argument: dtype, rank, sizes, layout and its dims against those bound
// so far. `shapesOnly`: the data is not read (a shape query), so it may be null.
void bindTensor(const ast::Kernel &k, size_t a, const Arg &arg, const ast::TensorType &type,
                bool written, const std::string &label, bool shapesOnly, CallFrame &frame) {
  if (!std::holds_alternative<TensorView>(arg))
    throw callError(k, label + ": expected a tensor " + ast::typeText(k, type));
  const TensorView &view = std::get<TensorView>(arg);
  std::string expectedText = ast::typeText(k, type);
  if (view.dtype != type.dtype || view.shape.size() != type.dims.size())
    throw callError(k, label + ": expected " + expectedText + " but got " + view.describe());
  for (int64_t size : view.shape)
    if (size < 0)
      throw callError(k, label + ": negative size in " + view.describe());
  // Compiled code indexes with int64_t: a count that wraps would pass the
  // checks below (a null pointer of "0 elements") and then crash.
  int64_t bytes;
  if (!checkedProduct(view.shape, ast::dtypeBytes(view.dtype), bytes))
    throw callError(k, label + ": the size of " + view.describe() + " overflows int64");
  if (!view.isContiguous())
    throw callError(k, label + ": expected a contiguous row-major tensor " + expectedText);
  for (size_t axis = 0; axis < type.dims.size(); ++axis) {
    int d = type.dims[axis].dimRef;
    int64_t size = view.shape[axis];
    if (frame.dimSize[d] < 0) {
      frame.dimSize[d] = size;
      frame.dimFrom[d] = label;
    } else if (frame.dimSize[d] != size) {
      throw callError(k, label + ": expected " + expectedText + " with " + k.dims[d].name + " = " +
                             std::to_string(frame.dimSize[d]) + " (from " + frame.dimFrom[d] +
                             ") but got " + view.describe());
    }
  }
  if (!shapesOnly && !view.data && bytes > 0)
    throw callError(k, label + ": null data pointer for " + view.describe());
  auto begin = reinterpret_cast<uintptr_t>(view.data);
  frame.memory.push_back({label, begin, begin + (uintptr_t)bytes, written});
  frame.dataPtrs[a] = view.data;
  frame.packed.push_back(&frame.dataPtrs[a]);
}

// The derived dims (`y: f32[N - K + 1]`, docs/language.md "Dims as expressions")
// from the parameters' dims, in checked arithmetic; a negative one fails the call.
void bindDerivedDims(const ast::Kernel &k, CallFrame &frame) {
  for (size_t d = 0; d < k.dims.size(); ++d) {
    const ast::Dim &dim = k.dims[d];
    if (!dim.derived || frame.dimSize[d] >= 0)
      continue;
    std::optional<int64_t> size = ast::derivedDimSize(dim, frame.dimSize);
    std::string sizes;
    for (auto [base, c] : dim.terms)
      sizes += (sizes.empty() ? "" : ", ") + k.dims[base].name + " = " +
               (frame.dimSize[base] < 0 ? std::string("?") : std::to_string(frame.dimSize[base]));
    if (!size || *size < 0) {
      LinearForm form;
      form.constant = dim.constant;
      for (auto [base, c] : dim.terms)
        form.terms[base] = c;
      throw callError(
          k, "result '" + k.results[dim.carrierRef].name + "': dim " + dim.name +
                 (size ? " = " + std::to_string(*size) + " is negative" : " overflows int64") +
                 " for " + sizes + " (the call needs " + relationText(k, form) + ")");
    }
    frame.dimSize[d] = *size;
    frame.dimFrom[d] = sizes;
  }
}

// Checks args (the parameters in order, then the results, if any) and binds them.
void bindArguments(const ast::Kernel &k, const std::vector<Arg> &args, bool shapesOnly,
                   CallFrame &frame) {
  for (size_t a = 0; a < args.size(); ++a) {
    bool isResult = a >= k.params.size();
    if (a == k.params.size())
      bindDerivedDims(k, frame);
    const std::string &argName = isResult ? k.results[a - k.params.size()].name : k.params[a].name;
    const ast::TensorType &type = isResult ? k.results[a - k.params.size()].type : k.params[a].type;
    std::string label = (isResult ? "result '" : "argument '") + argName + "'";
    if (type.isScalar() && !isResult) // a scalar result is a rank-0 tensor
      bindScalar(k, a, args[a], label, frame);
    else
      bindTensor(k, a, args[a], type, isResult || k.params[a].mode == ast::ParamMode::InOut, label,
                 shapesOnly, frame);
  }
}

// Every symbolic dim bound, the literal-subscript bounds kept; the dims' C ABI
// arguments appended to the packed list. Returns the symbolic dims by name.
std::map<std::string, int64_t> finishDims(const ast::Kernel &k,
                                          const std::vector<DimRequirement> &requirements,
                                          CallFrame &frame) {
  std::map<std::string, int64_t> bound;
  frame.dimArgs.reserve(k.dims.size());
  for (size_t d = 0; d < k.dims.size(); ++d) {
    if (k.dims[d].size >= 0 || k.dims[d].derived) // derived: no C ABI argument
      continue;
    if (frame.dimSize[d] < 0)
      throw callError(k, "dim '" + k.dims[d].name + "' is not bound by any argument");
    frame.dimArgs.push_back(frame.dimSize[d]);
    bound[k.dims[d].name] = frame.dimSize[d];
  }
  if (std::string broken = brokenRequirement(k, requirements, frame.dimSize, frame.dimFrom);
      !broken.empty())
    throw callError(k, broken);
  for (int64_t &d : frame.dimArgs) // reserved above: the pointers stay valid
    frame.packed.push_back(&d);
  return bound;
}

// A CUDA kernel found a gathered index outside its axis: the message the CPU call
// gives (tensor, position, value), from the index tensors copied back; `recorded`
// (the runtime's, with the index) when they cannot be.
std::string gatherFailure(const ast::Kernel &k, const std::vector<DimRequirement> &requirements,
                          const CallFrame &frame, const std::string &recorded) {
  std::vector<const void *> paramData(frame.dataPtrs.begin(),
                                      frame.dataPtrs.begin() + k.params.size());
  auto copy = [](void *host, const void *data, size_t bytes) {
    try {
      const cuda::Driver &d = cuda::driver();
      auto stream = static_cast<cuda::CUstream>(vibee_cuda_get_stream());
      return d.cuMemcpyDtoHAsync(host, reinterpret_cast<cuda::CUdeviceptr>(data), bytes, stream) ==
                 0 &&
             d.cuStreamSynchronize(stream) == 0;
    } catch (const cuda::CudaError &) {
      return false;
    }
  };
  std::string bad = badGatherIndexCopied(k, requirements, frame.dimSize, paramData, copy);
  return bad.empty() ? recorded : bad;
}

} // namespace

std::map<std::string, int64_t> Kernel::operator()(const std::vector<Arg> &args) const {
  const ast::Kernel &k = *kernel_;
  size_t expected = k.params.size() + k.results.size();
  if (args.size() != expected)
    throw callError(k, "expected " + std::to_string(expected) + " arguments (" +
                           std::to_string(k.params.size()) + " parameters, " +
                           std::to_string(k.results.size()) + " results) but got " +
                           std::to_string(args.size()));
  CallFrame frame(k, expected);
  bindArguments(k, args, /*shapesOnly=*/false, frame);
  if (std::string overlap = overlappingArguments(frame.memory); !overlap.empty())
    throw callError(k, overlap + ": an output must not share memory with another argument "
                                 "(use an inout parameter to update a tensor in place)");
  std::map<std::string, int64_t> bound = finishDims(k, *requirements_, frame);

  auto entry = reinterpret_cast<void (*)(void **)>(entry_);
  if (!module_->isCuda()) {
    // Gathers: every index inside its axis before anything is written (on CUDA the
    // kernels check them: a device-side flag, docs/language.md "Gathers").
    std::vector<const void *> paramData(frame.dataPtrs.begin(),
                                        frame.dataPtrs.begin() + k.params.size());
    if (std::string bad = badGatherIndex(k, *requirements_, frame.dimSize, paramData); !bad.empty())
      throw callError(k, bad);
    entry(frame.packed.data());
    return bound;
  }
  vibee_cuda_clear_error();
  entry(frame.packed.data());
  if (const char *error = vibee_cuda_last_error()) {
    std::string message = error;
    if (int64_t index; vibee_cuda_gather_failed(&index))
      message = gatherFailure(k, *requirements_, frame, message);
    vibee_cuda_clear_error();
    throw callError(k, message);
  }
  return bound;
}

std::vector<std::vector<int64_t>> Kernel::resultShapes(const std::vector<Arg> &params) const {
  const ast::Kernel &k = *kernel_;
  if (params.size() != k.params.size())
    throw callError(k, "expected " + std::to_string(k.params.size()) + " parameters but got " +
                           std::to_string(params.size()));
  CallFrame frame(k, params.size());
  bindArguments(k, params, /*shapesOnly=*/true, frame);
  bindDerivedDims(k, frame);
  finishDims(k, *requirements_, frame);
  std::vector<std::vector<int64_t>> shapes;
  for (const ast::Result &result : k.results) {
    std::vector<int64_t> &shape = shapes.emplace_back();
    for (const ast::DimSpec &dim : result.type.dims)
      shape.push_back(frame.dimSize[dim.dimRef]);
  }
  return shapes;
}

//===----------------------------------------------------------------------===//
// Compiler and its cache
//===----------------------------------------------------------------------===//

static bool envFlag(const char *name) {
  const char *value = std::getenv(name);
  return value && *value && std::strcmp(value, "0") != 0;
}

std::shared_ptr<JitModule> buildJitModule(Compilation &compilation, const DiskCache *cache) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;

  // The GPU code is loaded by global constructors, which a cached object loaded
  // on its own would not run: the disk cache is for CPU code. Asking for the IR
  // or the remarks means compiling.
  const CompileOptions &options = compilation.options();
  std::string key;
  bool cached = cache && options.target == "cpu" && !options.printIRAfterAll && !options.verbose;
  // An engine over an object loaded into ORC (the disk cache's, or one compiled
  // in kernel groups): the kernels' packed entry points are in `engine`.
  auto loadedModule = [&](std::unique_ptr<JitModule::Engine> engine, bool fromDisk) {
    std::shared_ptr<JitModule> jit(new JitModule());
    jit->engine_ = std::move(engine);
    jit->fromDiskCache_ = fromDisk;
    jit->spec_ = compilation.sharedSpec();
    for (const ast::Kernel &k : jit->spec_->kernels) {
      jit->entries_[k.name] = jit->engine_->packed.at(k.name);
      jit->requirements_[k.name] = dimRequirements(*jit->spec_, k);
    }
    return jit;
  };
  if (cached) {
    key = jitCacheKey(compilation);
    if (std::unique_ptr<llvm::MemoryBuffer> object = cache->load(key))
      if (auto engine = loadCachedObject(std::move(object), compilation.spec()))
        return loadedModule(std::move(engine), /*fromDisk=*/true);
    // A missing, unreadable or stale entry: compile, and store the result.
  }
  // Many kernels: compiled in groups on threads into one object (with the
  // packed entry points), loaded as the disk cache's objects are; one module
  // when that fails (unless the groups were asked for).
  if (KernelGroups split = kernelGroups(compilation); split.groups > 1) {
    ObjectOptions objectOptions;
    objectOptions.packedEntryPoints = true;
    llvm::Expected<std::string> object =
        emitObjectInKernelGroups(compilation, split.groups, objectOptions);
    std::unique_ptr<JitModule::Engine> engine;
    if (object)
      engine = loadCachedObject(llvm::MemoryBuffer::getMemBufferCopy(*object), compilation.spec());
    if (engine) {
      if (cached)
        cache->store(key, *object);
      return loadedModule(std::move(engine), /*fromDisk=*/false);
    }
    std::string why = object ? "the JIT cannot load the object" : toString(object.takeError());
    if (split.forced)
      throw CompileError("vibeec: VIBEE_KERNEL_GROUPS: " + why + "\n");
  }

  mlir::ModuleOp module = compilation.lowerTo(Stage::LLVMDialect);
  // The host's target machine (CPU name and features: AVX2 / AVX-512 where
  // present) drives the O3 pipeline too, so that its vectorizers and cost
  // models see the real vector width (with nullptr they assume scalar code).
  std::unique_ptr<llvm::TargetMachine> hostMachine;
  if (auto builder = llvm::orc::JITTargetMachineBuilder::detectHost()) {
    builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    if (auto machine = builder->createTargetMachine())
      hostMachine = std::move(*machine);
    else
      llvm::consumeError(machine.takeError());
  } else {
    llvm::consumeError(builder.takeError());
  }
  // The object files' pipeline (backends/cpu/LLVMOptimizer.h), so that JIT and
  // AOT code are the same.
  std::function<llvm::Error(llvm::Module *)> transformer = [&](llvm::Module *m) {
    optimizeLLVMModule(*m, hostMachine.get(), /*optLevel=*/3);
    return llvm::Error::success();
  };
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // MLIR turns both listeners on by default: the perf one writes a jitdump per
  // process under ~/.debug/jit that nothing removes (and warns when it cannot),
  // the GDB one registers every object with the debugger interface. Opt in only.
  engineOptions.enablePerfNotificationListener = envFlag("VIBEE_PERF_JITDUMP");
  engineOptions.enableGDBNotificationListener = envFlag("VIBEE_GDB_JIT");
  engineOptions.enableObjectDump = cached;
  auto engine = mlir::ExecutionEngine::create(module, engineOptions);
  if (!engine)
    throw CompileError("vibeec: JIT failed: " + llvm::toString(engine.takeError()));

  std::shared_ptr<JitModule> jit(new JitModule());
  jit->engine_ = std::make_unique<JitModule::Engine>();
  jit->engine_->engine = std::move(*engine);
  registerCpuRuntimeSymbols(*jit->engine_->engine);
  if (compilation.options().target == "cuda") {
    jit->cuda_ = true;
    std::string why;
    if (!cuda::available(&why))
      throw CompileError("vibeec: target cuda: " + why + "\n");
    registerCudaRuntimeSymbols(*jit->engine_->engine);
    jit->engine_->engine->initialize(); // loads the kernels' module
    if (const char *error = vibee_cuda_last_error()) {
      std::string message = error;
      vibee_cuda_clear_error();
      throw CompileError("vibeec: loading the GPU code failed: " + message + "\n");
    }
  }
  jit->spec_ = compilation.sharedSpec();
  for (const ast::Kernel &k : jit->spec_->kernels) {
    auto entry = jit->engine_->engine->lookupPacked(kernelSymbol(*jit->spec_, k));
    if (!entry)
      throw CompileError("vibeec: JIT has no entry for kernel '" + k.name +
                         "': " + llvm::toString(entry.takeError()));
    jit->entries_[k.name] = reinterpret_cast<void *>(*entry);
    jit->requirements_[k.name] = dimRequirements(*jit->spec_, k);
  }
  if (cached) // after the lookups: the object exists once the code is compiled
    cache->store(key, [&](const std::string &path) {
      jit->engine_->engine->dumpToObjectFile(path);
      return true;
    });
  return jit;
}

std::shared_ptr<JitModule> Compiler::compileString(const std::string &source,
                                                   const std::string &name) {
  std::string key = options_.key() + '\0' + source;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      ++stats_.hits;
      return it->second;
    }
    ++stats_.misses;
  }
  Compilation compilation(name, source, options_);
  std::shared_ptr<JitModule> module =
      buildJitModule(compilation, diskCache_ ? &*diskCache_ : nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  if (module->fromDiskCache())
    ++stats_.diskHits;
  return cache_.emplace(key, module).first->second;
}

std::shared_ptr<JitModule> Compiler::compileFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw CompileError(path + ": error: cannot read file");
  std::stringstream text;
  text << in.rdbuf();
  return compileString(text.str(), path);
}

Compiler::CacheStats Compiler::cacheStats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

} // namespace vibee
