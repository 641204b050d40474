// `vibeec test` and `vibeec check`: the walk over spec files, the closing line,
// the JSON and JUnit reports, and the exit code.
#include "tools/vibeec/Driver.h"
#include "tools/vibeec/SpecFiles.h"
#include "tools/vibeec/SpecTesting.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <iostream>
#include <random>

namespace vibee::driver {

namespace {

struct FileResult {
  std::string file;
  double compileMs = 0;
  bool fromCache = false;
  std::string error; // does not compile
};

struct Run {
  const RunRequest &request;
  uint64_t seed = 0;
  std::vector<FileResult> files;
  std::vector<CaseResult> cases;
  int passed() const {
    int n = 0;
    for (const CaseResult &c : cases)
      n += c.passed;
    return n;
  }
  int failed() const {
    int n = (int)cases.size() - passed();
    for (const FileResult &f : files)
      n += !f.error.empty();
    return n;
  }
};

bool writeReport(const std::string &path, const std::function<void(llvm::raw_ostream &)> &write) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    std::cout << "vibeec: error: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  write(os);
  return true;
}

void writeJson(const Run &run, llvm::raw_ostream &os) {
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("command", run.request.check ? "check" : "test");
    if (run.request.check)
      json.attribute("seed", run.seed);
    json.attribute("passed", run.passed());
    json.attribute("failed", run.failed());
    json.attributeArray("files", [&] {
      for (const FileResult &f : run.files)
        json.object([&] {
          json.attribute("file", f.file);
          json.attribute("compile_ms", f.compileMs);
          json.attribute("from_cache", f.fromCache);
          if (!f.error.empty())
            json.attribute("error", f.error);
        });
    });
    json.attributeArray("cases", [&] {
      for (const CaseResult &c : run.cases)
        json.object([&] {
          json.attribute("spec", c.spec);
          json.attribute("name", c.name);
          json.attribute("file", c.file);
          json.attribute("line", c.line);
          json.attribute("status", c.passed ? "pass" : "fail");
          json.attribute("time_ms", c.ms);
          if (!c.passed)
            json.attribute("message", c.message);
        });
    });
  });
  os << "\n";
}

std::string xml(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      // XML 1.0 has no control characters but tab and line breaks.
      out += (unsigned char)c < 0x20 && c != '\n' && c != '\t' && c != '\r' ? '?' : c;
    }
  }
  return out;
}

void writeJunit(const Run &run, llvm::raw_ostream &os) {
  double seconds = 0;
  for (const CaseResult &c : run.cases)
    seconds += c.ms / 1000;
  size_t uncompiled = 0; // each is a failing "compile" case
  for (const FileResult &f : run.files)
    uncompiled += !f.error.empty();
  std::string suite = run.request.check ? "vibeec check" : "vibeec test";
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"" << suite
     << "\" tests=\"" << run.cases.size() + uncompiled << "\" failures=\"" << run.failed()
     << "\" time=\"" << seconds << "\">\n";
  for (const FileResult &f : run.files)
    if (!f.error.empty())
      os << "    <testcase classname=\"" << xml(f.file) << "\" name=\"compile\" file=\""
         << xml(f.file) << "\">\n      <failure message=\"does not compile\">" << xml(f.error)
         << "</failure>\n    </testcase>\n";
  for (const CaseResult &c : run.cases) {
    os << "    <testcase classname=\"" << xml(c.spec) << "\" name=\"" << xml(c.name) << "\" file=\""
       << xml(c.file) << "\" line=\"" << c.line << "\" time=\"" << c.ms / 1000 << "\"";
    if (c.passed) {
      os << "/>\n";
      continue;
    }
    os << ">\n      <failure message=\"" << xml(c.message) << "\">" << xml(c.file) << ":" << c.line
       << ": " << xml(c.message) << "</failure>\n    </testcase>\n";
  }
  os << "  </testsuite>\n</testsuites>\n";
}

void runFile(Run &run, Compiler &compiler, const std::string &file) {
  FileResult result{displayName(file)};
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<JitModule> module;
  try {
    if (file == "-") {
      std::string text;
      if (!readInput(file, text))
        throw CompileError("<stdin>: error: cannot read\n");
      module = compiler.compileString(text, result.file);
    } else {
      module = compiler.compileFile(file);
    }
  } catch (const std::exception &e) {
    // On stdout, in order with the PASS/FAIL lines.
    std::cout << "FAIL  " << result.file << ": does not compile\n" << e.what() << std::flush;
    result.error = e.what();
    run.files.push_back(result);
    return;
  }
  result.compileMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  result.fromCache = module->fromDiskCache();
  std::cout << "== " << result.file << " (" << (result.fromCache ? "loaded from cache" : "compiled")
            << " in " << (int)result.compileMs << " ms)\n"
            << std::flush;
  std::vector<CaseResult> cases =
      run.request.check ? checkKernels(*module, run.seed, run.request.filter, std::cout)
                        : runBehaviors(*module, run.request.filter, std::cout);
  run.files.push_back(result);
  run.cases.insert(run.cases.end(), cases.begin(), cases.end());
}

} // namespace

int runSpecs(const RunRequest &request) {
  bool ok = true;
  std::vector<std::string> files;
  for (const std::string &input : request.inputs)
    if (input == "-")
      files.push_back(input);
    else
      for (std::string &f : collectSpecFiles({input}, ok))
        files.push_back(std::move(f));
  if (files.empty()) {
    std::cout << "vibeec: error: no .vibee files given\n";
    return kUsage;
  }
  Run run{request};
  run.seed = request.seed ? *request.seed : std::random_device{}();
  if (request.check)
    std::cout << "seed " << run.seed << " (vibeec check --seed " << run.seed
              << " reproduces this run)\n";
  Compiler compiler(request.options);
  if (!request.useCache)
    compiler.setDiskCache(std::nullopt);
  for (const std::string &file : files)
    runFile(run, compiler, file);
  std::cout << run.passed() << " passed, " << run.failed() << " failed\n" << std::flush;
  if (!request.jsonFile.empty() &&
      !writeReport(request.jsonFile, [&](llvm::raw_ostream &os) { writeJson(run, os); }))
    ok = false;
  if (!request.junitFile.empty() &&
      !writeReport(request.junitFile, [&](llvm::raw_ostream &os) { writeJunit(run, os); }))
    ok = false;
  if (run.failed() || !ok)
    return kFailed;
  if (run.cases.empty()) {
    std::cout << "vibeec: error: nothing ran: "
              << (request.filter.empty()
                      ? std::string(request.check ? "no kernels" : "no behaviors") + " in " +
                            std::to_string(files.size()) + " spec file(s)"
                      : "-k '" + request.filter + "' matches no " +
                            (request.check ? "kernel" : "behavior"))
              << "\n";
    return kNothingRan;
  }
  return kOk;
}

} // namespace vibee::driver
