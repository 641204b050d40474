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
  enum Severity { Error, Warning, Note } severity = Error;
  ast::Loc loc;
  std::string message;
  std::string flag; // a warning's -W name ("unused-parameter"); -Werror keeps it
};

// "error", "warning", "note".
const char *severityName(Diagnostic::Severity severity);

class DiagnosticEngine {
public:
  DiagnosticEngine(std::string file, std::string source)
      : file_(std::move(file)), source_(std::move(source)) {}

  void error(ast::Loc loc, std::string message);
  void note(ast::Loc loc, std::string message);
  // A warning of flag `flag` (printed as [-Wflag]); its notes follow with note().
  void warning(ast::Loc loc, std::string message, std::string flag);
  // -Werror: every warning from here on becomes an error ([-Werror,-Wflag]).
  void setWarningsAsErrors(bool on) { warningsAsErrors_ = on; }

  bool hasErrors() const { return errorCount_ > 0; }
  int errorCount() const { return errorCount_; }
  int warningCount() const { return warningCount_; }
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
  int warningCount_ = 0;
  bool warningsAsErrors_ = false;
};

} // namespace vibee
