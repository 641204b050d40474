#include "runtime/DiagnosticPrinter.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace vibee {

namespace {

llvm::HighlightColor colorOf(Diagnostic::Severity severity) {
  switch (severity) {
  case Diagnostic::Error:
    return llvm::HighlightColor::Error;
  case Diagnostic::Warning:
    return llvm::HighlightColor::Warning;
  case Diagnostic::Note:
    return llvm::HighlightColor::Note;
  }
  return llvm::HighlightColor::Error;
}

// Line `line` (1-based) of the buffer, without its line break.
llvm::StringRef lineText(llvm::SourceMgr &sources, unsigned buffer, int line) {
  llvm::SMLoc start = sources.FindLocForLineAndColumn(buffer, line, 1);
  if (!start.isValid())
    return {};
  llvm::StringRef rest(start.getPointer(),
                       sources.getMemoryBuffer(buffer)->getBufferEnd() - start.getPointer());
  return rest.take_until([](char c) { return c == '\n'; }).rtrim('\r');
}

} // namespace

void printDiagnostics(const DiagnosticEngine &diags, llvm::raw_ostream &os) {
  llvm::SourceMgr sources;
  unsigned buffer = sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(diags.source(), diags.file()), llvm::SMLoc());
  for (const Diagnostic &d : diags.diagnostics()) {
    {
      llvm::WithColor bold(os, llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
      os << diags.file();
      if (d.loc.line > 0)
        os << ':' << d.loc.line << ':' << d.loc.col;
      os << ": ";
    }
    llvm::WithColor(os, colorOf(d.severity)) << severityName(d.severity) << ": ";
    {
      llvm::WithColor bold(os, llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true);
      os << d.message;
      if (!d.flag.empty())
        os << " [-W" << d.flag << "]";
    }
    os << '\n';
    if (d.loc.line <= 0)
      continue;
    std::string text = lineText(sources, buffer, d.loc.line).str();
    // Keep tabs so the caret lines up; replace other control bytes.
    std::string caret;
    for (int i = 0; i + 1 < d.loc.col && i < (int)text.size(); ++i)
      caret += text[i] == '\t' ? '\t' : ' ';
    for (char &c : text)
      if ((unsigned char)c < 0x20 && c != '\t')
        c = ' ';
    os << "  " << text << "\n  " << caret;
    llvm::WithColor(os, llvm::raw_ostream::GREEN, /*Bold=*/true) << '^';
    os << '\n';
  }
}

} // namespace vibee
