// Positions between the frontend and the LSP: the frontend counts 1-based lines
// and 1-based byte columns, LSP 0-based lines and UTF-16 code units.
#pragma once

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/LSP/Protocol.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vibee::lsp {

// LSP positions count UTF-16 code units; the frontend counts bytes (it reads a
// spec one byte per character, frontend/Parser.cpp).
class LineTable {
public:
  explicit LineTable(llvm::StringRef text) {
    size_t start = 0;
    while (true) {
      size_t end = text.find('\n', start);
      lines_.push_back(text.slice(start, end == llvm::StringRef::npos ? text.size() : end));
      if (end == llvm::StringRef::npos)
        break;
      start = end + 1;
    }
  }
  // A 1-based byte column of a 1-based line -> an LSP position.
  llvm::lsp::Position position(int line, int col) const {
    llvm::lsp::Position p(std::max(line - 1, 0), 0);
    if (p.line >= (int)lines_.size())
      return p;
    llvm::StringRef text = lines_[p.line];
    size_t end = (size_t)std::max(col - 1, 0);
    for (size_t i = 0; i < end && i < text.size();) {
      int bytes = sequenceLength(text[i]);
      p.character += bytes == 4 ? 2 : 1;
      i += bytes;
    }
    if (end > text.size()) // past the end of the line
      p.character += (int)(end - text.size());
    return p;
  }
  // The range of `length` bytes from a 1-based line and byte column.
  llvm::lsp::Range range(int line, int col, int length) const {
    return llvm::lsp::Range(position(line, col), position(line, col + length));
  }
  int lineCount() const { return (int)lines_.size(); }
  // An LSP position -> the 1-based line and byte column.
  std::pair<int, int> column(llvm::lsp::Position p) const {
    if (p.line < 0 || p.line >= (int)lines_.size())
      return {p.line + 1, p.character + 1};
    llvm::StringRef text = lines_[p.line];
    int units = 0;
    size_t i = 0;
    while (i < text.size() && units < p.character) {
      int bytes = sequenceLength(text[i]);
      units += bytes == 4 ? 2 : 1;
      i += bytes;
    }
    return {p.line + 1, (int)i + 1};
  }
  // The token-like run of identifier characters at a position (at least 1 unit).
  int runLength(int line, int col) const {
    if (line < 1 || line > (int)lines_.size())
      return 1;
    llvm::StringRef text = lines_[line - 1];
    size_t i = (size_t)std::max(col - 1, 0), n = 0;
    while (i + n < text.size() &&
           (llvm::isAlnum(text[i + n]) || text[i + n] == '_' || text[i + n] == '.'))
      ++n;
    return std::max<int>((int)n, 1);
  }

private:
  // Bytes of the UTF-8 sequence a lead byte starts (a stray byte counts as one).
  static int sequenceLength(char lead) {
    unsigned char c = lead;
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  }
  std::vector<llvm::StringRef> lines_;
};

} // namespace vibee::lsp
