// vibee-cpp-parity: the C++ backend against the float64 reference interpreter and
// the JIT, on random inputs.
//
//   vibee-cpp-parity --work DIR [--cxx g++] [--flags "-O2"] [--seed N]
//                    [--object VIBEEC] spec|dir...
//
// For each spec: emits its C++ header (as `vibeec compile --emit=cpp` does), writes
// a harness that calls every kernel through the documented ABI
// (`vibee::<spec>::<kernel>(...)`), compiles it with `--cxx --flags -std=c++17
// -Wall -Wextra -Werror` and runs it per kernel and shape set: the harness reads
// the arguments from a file and writes the tensors back. The same inputs go to
// the reference interpreter and to the JIT-compiled kernel; both outputs must be
// within the dtype's tolerance of the reference (relativeErrorLimit, as in
// `vibeec check`). With sanitizer flags this is also the ASan/UBSan run. With
// --object the harness calls the object file `VIBEEC compile` writes instead (through
// its C header's C++ wrappers): the objects' parity.
#include "abi/CHeader.h"
#include "backends/cpp/CppEmitter.h"
#include "frontend/ReferenceInterpreter.h"
#include "frontend/Requirements.h"
#include "runtime/Jit.h"
#include "tools/vibeec/CheckSupport.h"
#include "tools/vibeec/SpecFiles.h"
#include "tools/vibeec/SpecTesting.h"

#include "mlir/IR/BuiltinOps.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace vibee;
using namespace vibee::checking;

namespace {

// The harness: `harness <kernel> <in> <out>`; <in> holds one blob (int64 size +
// bytes) per ABI argument, <out> receives the tensor blobs back, in order.
std::string harnessSource(const ast::Spec &spec, const std::string &header) {
  std::ostringstream os;
  os << "#include \"" << header << "\"\n"
     << "#include <cstdio>\n#include <cstring>\n#include <fstream>\n#include <string>\n"
     << "#include <vector>\n\n"
     << "using Blobs = std::vector<std::vector<unsigned char>>;\n"
     << "template <typename T> static T value(const std::vector<unsigned char> &b) {\n"
     << "  T v;\n  std::memcpy(&v, b.data(), sizeof v);\n  return v;\n}\n\n"
     << "int main(int argc, char **argv) {\n"
     << "  if (argc != 4)\n    return 2;\n"
     << "  std::ifstream in(argv[2], std::ios::binary);\n  Blobs a;\n"
     << "  for (int64_t n; in.read(reinterpret_cast<char *>(&n), sizeof n);) {\n"
     << "    a.emplace_back((size_t)n);\n"
     << "    in.read(reinterpret_cast<char *>(a.back().data()), n);\n  }\n"
     << "  std::string k = argv[1];\n  std::vector<size_t> tensors;\n";
  for (const ast::Kernel &k : spec.kernels) {
    os << "  if (k == \"" << k.name << "\") {\n    vibee::" << spec.name << "::" << k.name << "(";
    size_t i = 0;
    std::vector<size_t> tensors;
    auto sep = [&] { return i == 0 ? "" : ", "; };
    for (const ast::Param &p : k.params) {
      std::string t = abiElementType(p.type.dtype);
      if (p.type.isScalar())
        os << sep() << "value<" << t << ">(a.at(" << i << "))";
      else {
        os << sep() << "reinterpret_cast<" << t << " *>(a.at(" << i << ").data())";
        tensors.push_back(i);
      }
      ++i;
    }
    for (const ast::Result &r : k.results) {
      os << sep() << "reinterpret_cast<" << abiElementType(r.type.dtype) << " *>(a.at(" << i
         << ").data())";
      tensors.push_back(i);
      ++i;
    }
    for (const ast::Dim &d : k.dims)
      if (d.size < 0 && !d.derived) { // a derived dim (N - K + 1) is computed, not passed
        os << sep() << "value<int64_t>(a.at(" << i << "))";
        ++i;
      }
    os << ");\n    tensors = {";
    for (size_t t = 0; t < tensors.size(); ++t)
      os << (t ? ", " : "") << tensors[t];
    os << "};\n  }\n";
  }
  os << "  std::ofstream out(argv[3], std::ios::binary);\n"
     << "  for (size_t t : tensors) {\n    int64_t n = (int64_t)a.at(t).size();\n"
     << "    out.write(reinterpret_cast<const char *>(&n), sizeof n);\n"
     << "    out.write(reinterpret_cast<const char *>(a.at(t).data()), n);\n  }\n"
     << "  return out ? 0 : 1;\n}\n";
  return os.str();
}

bool writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return (bool)out;
}

void putBlob(std::ostream &os, const void *data, int64_t n) {
  os.write(reinterpret_cast<const char *>(&n), sizeof n);
  os.write(static_cast<const char *>(data), n);
}

struct Options {
  std::string work, cxx = "g++", flags = "-O2";
  std::string object; // vibeec, for --object
  uint64_t seed = 1;
  std::vector<std::string> inputs;
};

int checkSpec(const Options &o, const std::string &file, Compiler &compiler) {
  std::string source;
  if (!readFile(file, source)) {
    std::cout << "FAIL  " << file << ": cannot read\n";
    return 1;
  }
  Compilation compilation(file, source);
  const ast::Spec &spec = compilation.spec();
  llvm::Expected<CppOutput> cpp = emitCpp(compilation.lowerTo(Stage::Linalg), spec);
  if (!cpp) {
    std::cout << "FAIL  " << file << ": " << llvm::toString(cpp.takeError()) << "\n";
    return 1;
  }
  std::string base = o.work + "/" + spec.name;
  // --object: the same harness over the object file and its C header (same C++ ABI),
  // compiled serially (VIBEE_NUM_THREADS=1) so that it links without the thread runtime.
  std::string header = o.object.empty() ? spec.name + ".hpp" : spec.name + ".h";
  std::string objectCommand =
      "VIBEE_NUM_THREADS=1 " + o.object + " compile " + file + " -o " + base + ".o";
  if (!o.object.empty() && std::system(objectCommand.c_str()) != 0) {
    std::cout << "FAIL  " << file << ": " << objectCommand << "\n";
    return 1;
  }
  if ((o.object.empty() && !writeFile(base + ".hpp", cpp->header)) ||
      !writeFile(base + "_harness.cpp", harnessSource(spec, header))) {
    std::cout << "FAIL  " << file << ": cannot write to " << o.work << "\n";
    return 1;
  }
  std::string command = o.cxx + " -std=c++17 -Wall -Wextra -Werror " + o.flags + " " + base +
                        "_harness.cpp " + (o.object.empty() ? "" : base + ".o -lm ") + "-o " +
                        base + "_harness";
  if (std::system(command.c_str()) != 0) {
    std::cout << "FAIL  " << spec.name << ": the generated C++ does not compile: " << command
              << "\n";
    return 1;
  }
  std::shared_ptr<JitModule> jit = compiler.compileFile(file);

  int failed = 0;
  Rng rng{o.seed};
  for (const ast::Kernel &k : spec.kernels) {
    std::string failure;
    std::vector<DimRequirement> requirements = dimRequirements(spec, k);
    for (int trial = 0; trial < 4 && failure.empty(); ++trial) {
      // Bounded as `vibeec check` bounds them: the float64 reference runs too; then
      // grown to meet the call's relations (x[5], x[2 * j]).
      std::vector<int64_t> dims = trialDims(k, trial, rng, minimumDimSizes(k, requirements));
      fitRequirements(k, requirements, dims);
      // Inputs; the oracle sees the values as stored.
      std::vector<HostTensor> cppArgs, jitArgs; // tensors and scalars, in ABI order
      std::vector<ref::Array> refArgs;
      std::vector<Arg> jitCall;
      for (const ast::Param &p : k.params) {
        if (p.type.isScalar()) {
          HostTensor s(p.type.dtype, {});
          s.set(0, scalarArgument(p, rng));
          refArgs.push_back(ref::Array{{}, {s.get(0)}});
          jitCall.push_back(s.get(0));
          cppArgs.push_back(s);
          jitArgs.emplace_back();
          continue;
        }
        HostTensor t(p.type.dtype, shapeOf(p.type, dims));
        // A gather's indices inside the axis they index (Requirements.h).
        int64_t limit = gatherLimit(requirements, (int)(&p - k.params.data()), dims);
        for (int64_t e = 0; e < t.numElements(); ++e)
          t.set(e, limit > 0 ? (double)rng.between(0, limit - 1) : randomValue(p.type.dtype, rng));
        refArgs.push_back(ref::Array{t.shape(), t.toDoubles()});
        cppArgs.push_back(t);
        jitArgs.push_back(t);
      }
      for (const ast::Result &r : k.results) {
        HostTensor t(r.type.dtype, shapeOf(r.type, dims));
        for (int64_t e = 0; e < t.numElements(); ++e)
          t.set(e, std::nan(""));
        cppArgs.push_back(t);
        jitArgs.push_back(t);
      }
      for (size_t i = 0; i < jitArgs.size(); ++i)
        if (i >= k.params.size() || !k.params[i].type.isScalar())
          jitCall.insert(jitCall.begin() + i, jitArgs[i].view());

      ref::Outcome expected;
      try {
        expected = ref::evaluate(spec, k, refArgs);
        jit->kernel(k.name)(jitCall);
      } catch (const std::exception &e) {
        failure = e.what();
        break;
      }

      std::string in = base + "_" + k.name + ".in", out = base + "_" + k.name + ".out";
      {
        std::ofstream os(in, std::ios::binary);
        for (HostTensor &a : cppArgs)
          putBlob(os, a.data(), a.numElements() * ast::dtypeBytes(a.dtype()));
        for (size_t d = 0; d < k.dims.size(); ++d)
          if (k.dims[d].size < 0 && !k.dims[d].derived)
            putBlob(os, &dims[d], sizeof(int64_t));
      }
      std::string run = base + "_harness " + k.name + " " + in + " " + out;
      if (std::system(run.c_str()) != 0) {
        failure = "the harness failed: " + run;
        break;
      }
      std::ifstream is(out, std::ios::binary);
      for (size_t i = 0; i < cppArgs.size(); ++i) {
        if (i < k.params.size() && k.params[i].type.isScalar())
          continue;
        int64_t n = 0;
        is.read(reinterpret_cast<char *>(&n), sizeof n);
        if (n != cppArgs[i].numElements() * ast::dtypeBytes(cppArgs[i].dtype())) {
          failure = "the harness wrote a wrong size";
          break;
        }
        is.read(static_cast<char *>(cppArgs[i].data()), n);
      }
      std::string shape;
      for (size_t d = 0; d < k.dims.size(); ++d)
        if (k.dims[d].size < 0 && !k.dims[d].derived)
          shape += " " + k.dims[d].name + "=" + std::to_string(dims[d]);
      auto check = [&](const std::string &name, size_t i, const ref::Array &ref) {
        for (auto [who, t] : {std::pair<const char *, HostTensor *>{
                                  o.object.empty() ? "C++" : "object", &cppArgs[i]},
                              {"JIT", &jitArgs[i]}}) {
          std::string why = compareWithReference(name, *t, ref.data, nullptr, &ref.mag);
          if (!why.empty() && failure.empty())
            failure = std::string(who) + ":" + shape + ": " + why;
        }
      };
      for (size_t i = 0; i < k.params.size(); ++i)
        if (k.params[i].mode == ast::ParamMode::InOut && !k.params[i].type.isScalar())
          check(k.params[i].name, i, expected.params[i]);
      for (size_t r = 0; r < k.results.size(); ++r)
        check(k.results[r].name, k.params.size() + r, expected.results[r]);
    }
    if (failure.empty()) {
      std::cout << "PASS  " << spec.name << "." << k.name << " ("
                << (o.object.empty() ? "C++" : "object") << " and JIT, 4 shape sets)\n";
    } else {
      ++failed;
      std::cout << "FAIL  " << spec.name << "." << k.name << "\n      " << failure << "\n";
    }
  }
  return failed;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--work" && i + 1 < argc)
      o.work = argv[++i];
    else if (arg == "--cxx" && i + 1 < argc)
      o.cxx = argv[++i];
    else if (arg == "--flags" && i + 1 < argc)
      o.flags = argv[++i];
    else if (arg == "--object" && i + 1 < argc)
      o.object = argv[++i];
    else if (arg == "--seed" && i + 1 < argc)
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    else
      o.inputs.push_back(arg);
  }
  bool ok = true;
  std::vector<std::string> files = collectSpecFiles(o.inputs, ok);
  if (o.work.empty() || files.empty()) {
    std::cerr << "usage: vibee-cpp-parity --work DIR [--cxx CXX] [--flags F] [--seed N] "
                 "[--object VIBEEC] spec|dir...\n";
    return 2;
  }
  std::system(("mkdir -p " + o.work).c_str());
  Compiler compiler;
  int failed = 0;
  for (const std::string &file : files) {
    try {
      failed += checkSpec(o, file, compiler);
    } catch (const std::exception &e) {
      std::cout << "FAIL  " << file << ": " << e.what() << "\n";
      ++failed;
    }
  }
  std::cout << (failed ? "FAILED" : "OK") << " (" << o.cxx << " " << o.flags << ")\n";
  return failed || !ok ? 1 : 0;
}
