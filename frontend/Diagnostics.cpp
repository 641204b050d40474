#include "frontend/Diagnostics.h"

#include <ostream>
#include <sstream>

namespace vibee {

void DiagnosticEngine::error(ast::Loc loc, std::string message) {
  // Cap the flood a hostile input can cause; the first errors are the useful ones.
  if (errorCount_ >= 100)
    return;
  diags_.push_back({Diagnostic::Error, loc, std::move(message)});
  ++errorCount_;
}

const char *severityName(Diagnostic::Severity severity) {
  switch (severity) {
  case Diagnostic::Error:
    return "error";
  case Diagnostic::Warning:
    return "warning";
  case Diagnostic::Note:
    return "note";
  }
  return "error";
}

void DiagnosticEngine::warning(ast::Loc loc, std::string message, std::string flag) {
  if (errorCount_ >= 100)
    return;
  if (warningsAsErrors_) {
    diags_.push_back({Diagnostic::Error, loc, std::move(message), "error,-W" + flag});
    ++errorCount_;
    return;
  }
  diags_.push_back({Diagnostic::Warning, loc, std::move(message), std::move(flag)});
  ++warningCount_;
}

void DiagnosticEngine::note(ast::Loc loc, std::string message) {
  if (errorCount_ > 100)
    return;
  diags_.push_back({Diagnostic::Note, loc, std::move(message)});
}

static std::string sourceLine(const std::string &source, int line) {
  int current = 1;
  size_t start = 0;
  while (current < line) {
    size_t nl = source.find('\n', start);
    if (nl == std::string::npos)
      return "";
    start = nl + 1;
    ++current;
  }
  size_t end = source.find('\n', start);
  std::string text =
      source.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!text.empty() && text.back() == '\r')
    text.pop_back();
  return text;
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : diags_) {
    os << file_;
    if (d.loc.line > 0)
      os << ':' << d.loc.line << ':' << d.loc.col;
    os << ": " << severityName(d.severity) << ": " << d.message;
    if (!d.flag.empty())
      os << " [-W" << d.flag << "]";
    os << '\n';
    if (d.loc.line <= 0)
      continue;
    std::string text = sourceLine(source_, d.loc.line);
    // Keep tabs so the caret lines up; replace other control bytes.
    std::string caret;
    for (int i = 0; i + 1 < d.loc.col && i < (int)text.size(); ++i)
      caret += text[i] == '\t' ? '\t' : ' ';
    for (char &c : text)
      if ((unsigned char)c < 0x20 && c != '\t')
        c = ' ';
    os << "  " << text << "\n  " << caret << "^\n";
  }
}

std::string DiagnosticEngine::str() const {
  std::ostringstream os;
  print(os);
  return os.str();
}

} // namespace vibee
