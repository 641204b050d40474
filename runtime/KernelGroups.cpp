#include "runtime/KernelGroups.h"

#include "backends/cpu/ObjectEmitter.h"
#include "backends/cpu/ParallelCodeGen.h"
#include "runtime/Compilation.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <vector>

namespace vibee {

namespace {

// Statements per group below which a group's fixed cost (a context, a pass
// manager, a target machine, an object to join: tens of milliseconds) may
// outweigh what threads save; one contraction statement alone takes longer.
constexpr size_t kMinStatementsPerGroup = 8;
constexpr unsigned kMaxForcedGroups = 256;

size_t statements(const ast::Kernel &kernel) { return kernel.body.size() + 1; }

// `groups` ranges of consecutive kernels with about the same number of
// statements each; none empty.
std::vector<ast::KernelRange> splitKernels(const ast::Spec &spec, unsigned groups) {
  size_t total = 0;
  for (const ast::Kernel &kernel : spec.kernels)
    total += statements(kernel);
  groups = (unsigned)std::min<size_t>(groups, spec.kernels.size());
  std::vector<ast::KernelRange> ranges;
  size_t begin = 0, done = 0;
  for (size_t k = 0; k < spec.kernels.size(); ++k) {
    done += statements(spec.kernels[k]);
    size_t left = spec.kernels.size() - k - 1;    // kernels after this one
    size_t open = groups - ranges.size() - 1;      // groups after this one
    bool full = done * groups >= total * (ranges.size() + 1);
    if (open > 0 && (full || left == open) && left >= open) {
      ranges.push_back({begin, k + 1});
      begin = k + 1;
    }
  }
  ranges.push_back({begin, spec.kernels.size()});
  return ranges;
}

} // namespace

KernelGroups kernelGroups(const Compilation &whole) {
  const CompileOptions &options = whole.options();
  if (options.target != "cpu" || whole.spec().kernels.size() < 2)
    return {};
  if (const char *env = std::getenv("VIBEE_KERNEL_GROUPS"); env && *env) {
    unsigned n = 0;
    if (!llvm::StringRef(env).getAsInteger(10, n) && n >= 1)
      return {std::min(n, kMaxForcedGroups), /*forced=*/true};
  }
  if (options.verbose || options.printIRAfterAll)
    return {};
  size_t total = 0;
  for (const ast::Kernel &kernel : whole.spec().kernels)
    total += statements(kernel);
  unsigned threads = llvm::hardware_concurrency().compute_thread_count();
  size_t groups = std::min<size_t>(total / kMinStatementsPerGroup, 4 * (size_t)threads);
  if (threads < 2 || groups < 2 || !canLinkObjectsRelocatable())
    return {};
  return {(unsigned)groups, /*forced=*/false};
}

llvm::Expected<std::string> emitObjectInKernelGroups(const Compilation &whole, unsigned groups,
                                                     const ObjectOptions &options) {
  // Once, before the threads: the target registry is filled here.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::vector<ast::KernelRange> ranges = splitKernels(whole.spec(), groups);
  std::vector<llvm::SmallString<0>> objects(ranges.size());
  std::vector<std::exception_ptr> thrown(ranges.size());
  std::vector<std::string> failed(ranges.size());
  ObjectOptions groupOptions = options;
  groupOptions.codeGenInParts = false; // the groups are the parallelism
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(ranges.size()));
    for (size_t g = 0; g < ranges.size(); ++g)
      pool.async([&, g] {
        try {
          Compilation group(whole, ranges[g]);
          mlir::ModuleOp module = group.lowerTo(Stage::LLVMDialect);
          llvm::raw_svector_ostream out(objects[g]);
          if (llvm::Error err = emitObjectFile(module, out, groupOptions))
            failed[g] = llvm::toString(std::move(err));
        } catch (...) {
          thrown[g] = std::current_exception();
        }
      });
    pool.wait();
  }
  // The first group's failure, as one module's compile would have met it.
  for (size_t g = 0; g < ranges.size(); ++g) {
    if (thrown[g])
      std::rethrow_exception(thrown[g]);
    if (!failed[g].empty())
      return llvm::createStringError(failed[g]);
  }
  std::vector<llvm::StringRef> views(objects.begin(), objects.end());
  return linkObjectsRelocatable(views);
}

} // namespace vibee
