// Collects every error of a spec file and prints them clang-style:
//   file:line:col: error: <what>
//     <source line>
//     ^
// with optional notes. Sema keeps going after an error so all are reported.
#pragma once

#include "frontend/AST.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace vibee {

struct Diagnostic {
  enum Severity { Error, Note } severity = Error;
  ast::Loc loc;
  std::string message;
};

class DiagnosticEngine {
public:
  DiagnosticEngine(std::string file, std::string source)
      : file_(std::move(file)), source_(std::move(source)) {}

  void error(ast::Loc loc, std::string message);
  void note(ast::Loc loc, std::string message);

  bool hasErrors() const { return errorCount_ > 0; }
  int errorCount() const { return errorCount_; }
  const std::vector<Diagnostic> &diagnostics() const { return diags_; }

  // Prints every diagnostic in order of emission (notes follow their error).
  void print(std::ostream &os) const;
  std::string str() const;

  const std::string &file() const { return file_; }
  const std::string &source() const { return source_; }

private:
  std::string file_;
  std::string source_;
  std::vector<Diagnostic> diags_;
  int errorCount_ = 0;
};

} // namespace vibee
