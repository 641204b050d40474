// What the language server knows about one spec: every named thing it defines
// (kernels, constants, parameters, results, locals, dims, loop indices, a
// behavior's givens; each builtin call, for its hover) and every place a name is written, each
// linked to its definition. Built from the parser's AST by the spec's scoping rules, so it works
// while the spec still has errors; the types sema infers (locals, index extents)
// are added when sema ran.
#pragma once

#include "frontend/AST.h"

#include <string>
#include <vector>

namespace vibee::lsp {

struct Symbol {
  enum Kind { Kernel, Const, Param, Result, Local, Dim, Index, Given, Builtin };
  Kind kind;
  std::string name;
  ast::Loc loc;      // the defining occurrence (line 0 for a builtin: none)
  std::string hover; // Markdown
};

// A name as written: line and column (1-based, columns in code points as the
// frontend counts them) and its length; `symbol` indexes SpecIndex::symbols().
struct Occurrence {
  ast::Loc loc;
  int length = 0;
  int symbol = -1;
};

class SpecIndex {
public:
  // `checked`: sema ran on `spec` without errors, so its annotations are valid.
  static SpecIndex build(const ast::Spec &spec, bool checked);

  // The occurrence covering (line, col), or null.
  const Occurrence *at(int line, int col) const;
  const std::vector<Symbol> &symbols() const { return symbols_; }
  const std::vector<Occurrence> &occurrences() const { return occurrences_; }

private:
  friend class IndexBuilder;
  std::vector<Symbol> symbols_;
  std::vector<Occurrence> occurrences_;
};

} // namespace vibee::lsp
