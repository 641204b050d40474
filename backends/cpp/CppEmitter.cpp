//===- CppEmitter.cpp - kernels as self-contained C++ through EmitC -------===//
//
// linalg on tensors -> (decompose aggregates, the CPU bufferization stage) ->
// vibee-cpp-prepare-loops -> loops -> bf16/f16 emulated in f32 ->
// vibee-cpp-split-reductions -> translateFunctionsToCpp
// (conversion/LoopsToEmitC: vibee-prepare-emitc, convert-to-emitc,
// form-expressions, translateToCpp). The kernels land in
// `vibee::<spec>::detail` with numbered names; this file prints around them the
// spec's doc string, the helpers, the statement comments and the public
// functions with the spec's parameter names (docs/abi.md).
//
//===----------------------------------------------------------------------===//
#include "backends/cpp/CppEmitter.h"

#include "abi/CHeader.h"
#include "backends/cpp/Transforms/Passes.h"
#include "conversion/LoopsToEmitC/EmitCTranslation.h"
#include "transforms/Passes.h"
#include "transforms/Pipelines.h"

#include "mlir/Conversion/ArithToEmitC/ArithToEmitC.h"
#include "mlir/Conversion/FuncToEmitC/FuncToEmitC.h"
#include "mlir/Conversion/MemRefToEmitC/MemRefToEmitC.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/EmitC/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>
#include <sstream>

using namespace mlir;

namespace vibee {
namespace {

// The helpers the kernels call and the standard headers they need
// (backends/cpp/runtime/vibee_cpp_helpers.h, embedded at build time: the output
// needs nothing but a C++ compiler). Printed in every generated header; its guard
// keeps one copy per translation unit.
#include "vibee_cpp_helpers.h.inc"

std::string signatureComment(const ast::Kernel &k) {
  std::string s = "// kernel " + k.name + "(";
  for (size_t i = 0; i < k.params.size(); ++i)
    s += (i ? ", " : "") + k.params[i].name + ": " +
         (k.params[i].mode == ast::ParamMode::InOut ? "inout " : "") +
         ast::typeText(k, k.params[i].type);
  s += ")";
  for (size_t i = 0; i < k.results.size(); ++i)
    s += (i ? ", " : " -> ") + k.results[i].name + ": " + ast::typeText(k, k.results[i].type);
  return s + "\n";
}

// One ABI argument: its C type and name (docs/abi.md), in the ABI's order.
struct AbiArg {
  std::string type; // "const float *", "float ", "int64_t "
  std::string name;
  bool constTensor = false;
  std::string element;
  std::string emitted = element; // the element type inside (emittedElementType)
  bool tensor = false;
};

std::vector<AbiArg> abiArgs(const ast::Kernel &k) {
  std::vector<AbiArg> args;
  for (const ast::Param &p : k.params) {
    std::string element = abiElementType(p.type.dtype);
    std::string emitted = emittedElementType(p.type.dtype);
    if (p.type.isScalar())
      args.push_back({element + " ", p.name, false, element, emitted, false});
    else if (p.mode == ast::ParamMode::In)
      args.push_back({"const " + element + " *", p.name, true, element, emitted, true});
    else
      args.push_back({element + " *", p.name, false, element, emitted, true});
  }
  for (const ast::Result &r : k.results) {
    std::string element = abiElementType(r.type.dtype);
    args.push_back(
        {element + " *", r.name, false, element, emittedElementType(r.type.dtype), true});
  }
  for (const ast::Dim &d : k.dims) // a derived dim (N - K + 1) is computed, not passed
    if (d.size < 0 && !d.derived)
      args.push_back({"int64_t ", d.name, false, "int64_t", "int64_t", false});
  return args;
}

std::string parameterList(const std::vector<AbiArg> &args, const std::set<size_t> &used) {
  std::string s;
  for (size_t i = 0; i < args.size(); ++i)
    s += std::string(i ? ", " : "") + (used.count(i) ? "" : "[[maybe_unused]] ") + args[i].type +
         args[i].name;
  return s.empty() ? "void" : s;
}

// Source lines of a location (a FileLineColLoc, or several in a FusedLoc).
void collectLines(Location loc, std::vector<int> &lines) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    lines.push_back((int)file.getLine());
  else if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      collectLines(inner, lines);
  else if (auto name = dyn_cast<NameLoc>(loc))
    collectLines(name.getChildLoc(), lines);
  else if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    collectLines(callSite.getCallee(), lines);
}

// Puts each statement's source text, as a comment, above the first loop nest
// computing it.
void insertStatementComments(ModuleOp module, const ast::Spec &spec) {
  for (auto func : module.getOps<func::FuncOp>()) {
    const ast::Kernel *kernel = spec.findKernel(func.getSymName().str());
    if (!kernel || func.getBody().empty())
      continue;
    std::set<const ast::Statement *> done;
    for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
      if (!isa<scf::ForOp>(op))
        continue;
      std::vector<int> lines;
      collectLines(op.getLoc(), lines);
      OpBuilder b(&op);
      // The last statement this nest computes; statements folded into it (the
      // max/exp/sum/div chain that form-softmax turns into one op) come first.
      size_t last = kernel->body.size();
      for (int line : lines)
        for (size_t i = 0; i < kernel->body.size(); ++i)
          if (kernel->body[i].loc.line == line && !done.count(&kernel->body[i]))
            last = last == kernel->body.size() ? i : std::max(last, i);
      if (last == kernel->body.size())
        continue;
      for (size_t i = 0; i <= last; ++i) {
        const ast::Statement &s = kernel->body[i];
        if (done.count(&s))
          continue;
        done.insert(&s);
        std::istringstream text(s.sourceText);
        for (std::string l; std::getline(text, l);)
          emitc::VerbatimOp::create(b, op.getLoc(), "// " + l);
      }
    }
  }
}

llvm::Error fail(const std::string &what, const std::string &details) {
  return llvm::createStringError("C++ emission: " + what + "\n" + details);
}

} // namespace

llvm::Expected<CppOutput> emitCpp(ModuleOp linalgModule, const ast::Spec &spec, bool headerOnly,
                                  const std::string &headerName) {
  MLIRContext &context = *linalgModule.getContext();
  loadEmitCConversions(context);
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(linalgModule->clone()));
  DiagnosticText collector(context);

  // The CPU pipeline's fusion and bufferization stages (fused statements share
  // one loop nest, e.g. Lion's three), then plain loops that the host compiler
  // vectorizes.
  PassManager loops(&context);
  loops.addPass(createExpandLookupsPass()); // trees of selects: no table in memory
  buildLinalgOptimizationPipeline(loops);
  // Attention decomposes into its statements here: tiled first, a tile's score
  // matrix is 16 x T instead of S x T (the blocked online softmax is the CPU's).
  TileAttentionPassOptions tileAttention;
  tileAttention.queryBlock = 16;
  loops.addNestedPass<func::FuncOp>(createTileAttentionPass(tileAttention));
  addLateDecomposition(loops, /*keepContractions=*/false, /*keepAttention=*/false,
                       ScanRows::SerialEmitC);
  // One destination per statement, as on the CPU: with one fill shared by two
  // reductions into two results, empty-tensor elimination put the first result's
  // buffer under the second reduction too, and its copy-out then overwrote the
  // second result (`a[r] = sum(c) x; b[r] = sum(c) 2 * x` gave b = a).
  buildBufferizationPipeline(loops);
  // exp, log, ... as arith and matmul as i-k-j: loops the host compiler vectorizes.
  loops.addNestedPass<func::FuncOp>(createCppPrepareLoopsPass());
  loops.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Loads and stores through a tile's subviews (tiled attention) address the
  // whole buffer instead: the emitted C++ knows only arguments and allocations.
  loops.addPass(memref::createFoldMemRefAliasOpsPass());
  loops.addPass(createCanonicalizerPass());
  loops.addPass(createLowerAffinePass());
  addNarrowFloatEmulation(loops);
  loops.addPass(createCanonicalizerPass());
  loops.addPass(createCSEPass());
  loops.addPass(createLoopInvariantCodeMotionPass());
  loops.addPass(createCanonicalizerPass());
  // After LICM, which hoists an accumulator's subscript out of its loop.
  loops.addNestedPass<func::FuncOp>(createCppSplitReductionsPass());
  loops.addPass(createCanonicalizerPass());
  if (failed(loops.run(*module)))
    return fail("lowering to loops failed", collector.text);

  insertStatementComments(*module, spec);

  std::map<std::string, std::vector<size_t>> cppArgs;
  llvm::Expected<std::string> kernels =
      translateFunctionsToCpp(*module, headerOnly ? "inline" : "static", cppArgs,
                              /*restrictPointers=*/true);
  if (!kernels)
    return kernels.takeError();

  // --- the files ---------------------------------------------------------
  std::string guard = "VIBEE_" + spec.name + "_HPP";
  for (char &c : guard)
    c = (char)toupper((unsigned char)c);
  std::ostringstream h, cpp;
  h << "// " << spec.name << " " << spec.version << ": " << ast::commentText(spec.doc) << "\n"
    << "//\n"
    << "// Generated by vibeec from " << ast::commentText(spec.file)
    << ": self-contained C++17 (standard\n"
    << "// headers only). Calling convention: docs/abi.md, the same as the object file's\n"
    << "// (`--emit=obj` + `--emit=header`) and the JIT's.\n"
    << "#ifndef " << guard << "\n#define " << guard << "\n\n"
    << kCppHelpersHeader << "\n";

  std::ostringstream body; // the kernels (header-only) or their definitions (.cpp)
  body << "namespace vibee {\nnamespace " << spec.name << " {\nnamespace detail {\n"
       << "using namespace ::vibee::cpp;\n\n"
       << *kernels << "} // namespace detail\n\n";
  std::ostringstream decls; // the declarations in the .hpp of a pair
  decls << "namespace vibee {\nnamespace " << spec.name << " {\n\n";
  std::ostringstream cDefs;
  for (const ast::Kernel &k : spec.kernels) {
    std::vector<AbiArg> args = abiArgs(k);
    auto it = cppArgs.find(k.name);
    if (it == cppArgs.end())
      return fail("no function for kernel " + k.name, collector.text);
    std::set<size_t> used(it->second.begin(), it->second.end());
    std::string call = "detail::" + k.name + "(";
    for (size_t i = 0; i < it->second.size(); ++i) {
      const AbiArg &a = args.at(it->second[i]);
      std::string pointer =
          a.constTensor ? "const_cast<" + a.element + " *>(" + a.name + ")" : a.name;
      if (a.tensor && a.emitted != a.element) // uint32_t * -> int32_t * (same bits)
        pointer = "reinterpret_cast<" + a.emitted + " *>(" + pointer + ")";
      call += (i ? ", " : "") + pointer;
    }
    call += ");";
    std::string params = parameterList(args, used);
    body << signatureComment(k) << (headerOnly ? "inline " : "") << "void " << k.name << "("
         << params << ") {\n  " << call << "\n}\n\n";
    decls << signatureComment(k) << "void " << k.name << "(" << params << ");\n\n";
    std::string names;
    for (size_t i = 0; i < args.size(); ++i)
      names += (i ? ", " : "") + args[i].name;
    std::string plain;
    for (size_t i = 0; i < args.size(); ++i)
      plain += (i ? ", " : "") + args[i].type + args[i].name;
    cDefs << "void vibee_" << spec.name << "_" << k.name << "(" << (plain.empty() ? "void" : plain)
          << ") {\n  vibee::" << spec.name << "::" << k.name << "(" << names << ");\n}\n";
  }
  body << "} // namespace " << spec.name << "\n} // namespace vibee\n";
  decls << "} // namespace " << spec.name << "\n} // namespace vibee\n";

  CppOutput out;
  if (headerOnly) {
    h << body.str() << "\n#endif // " << guard << "\n";
    out.header = h.str();
    return out;
  }
  // A pair: the .hpp declares the C++ functions and the C symbols.
  h << decls.str() << "\nextern \"C\" {\n";
  for (const ast::Kernel &k : spec.kernels) {
    std::string plain;
    for (const AbiArg &a : abiArgs(k))
      plain += (plain.empty() ? "" : ", ") + a.type + a.name;
    h << "void vibee_" << spec.name << "_" << k.name << "(" << (plain.empty() ? "void" : plain)
      << ");\n";
  }
  h << "} // extern \"C\"\n\n#endif // " << guard << "\n";
  cpp << "// " << spec.name << " " << spec.version << ": " << ast::commentText(spec.doc) << "\n"
      << "// Generated by vibeec from " << ast::commentText(spec.file) << "; declarations in "
      << headerName << ".\n#include \"" << headerName << "\"\n\n"
      << body.str() << "\nextern \"C\" {\n"
      << cDefs.str() << "} // extern \"C\"\n";
  out.header = h.str();
  out.source = cpp.str();
  return out;
}

} // namespace vibee
