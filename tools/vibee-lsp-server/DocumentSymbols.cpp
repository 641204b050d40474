#include "tools/vibee-lsp-server/DocumentSymbols.h"

#include <algorithm>
#include <set>
#include <string>

using llvm::lsp::DocumentSymbol;
using llvm::lsp::Range;
using llvm::lsp::SymbolKind;

namespace vibee::lsp {

using namespace vibee::ast;

namespace {

std::string typeText(const TensorType &type) {
  std::string s = dtypeName(type.dtype);
  if (type.isScalar())
    return s;
  s += "[";
  for (size_t i = 0; i < type.dims.size(); ++i) {
    const DimSpec &d = type.dims[i];
    s += (i ? ", " : "") + (d.symbol.empty() ? std::to_string(d.size) : d.symbol);
  }
  return s + "]";
}

DocumentSymbol leaf(const LineTable &lines, const std::string &name, SymbolKind kind, Loc loc,
                    std::string detail) {
  Range r = lines.range(loc.line, loc.col, (int)name.size());
  DocumentSymbol s(name, kind, r, r);
  s.detail = std::move(detail);
  return s;
}

// The AST keeps where items start, not where they end: an item spans from the
// start of its line to the start of the next item's line (the end of the file
// for the last one), and always covers its name.
class Outline {
public:
  Outline(const Spec &spec, const LineTable &lines) : lines_(lines) {
    for (const Const &c : spec.consts)
      starts_.insert(c.loc.line);
    for (const Kernel &k : spec.kernels)
      starts_.insert(k.loc.line);
    for (const Behavior &b : spec.behaviors)
      starts_.insert(b.loc.line);
  }

  DocumentSymbol item(const std::string &name, SymbolKind kind, Loc loc, int length) const {
    Range selection = lines_.range(loc.line, loc.col, length);
    auto next = starts_.upper_bound(loc.line);
    int endLine = next == starts_.end() ? lines_.lineCount() + 1 : *next;
    Range range(lines_.position(loc.line, 1), lines_.position(endLine, 1));
    if (range.end < selection.end)
      range.end = selection.end;
    return DocumentSymbol(name, kind, range, selection);
  }

private:
  const LineTable &lines_;
  std::set<int> starts_;
};

DocumentSymbol kernelSymbol(const Kernel &k, const Outline &outline, const LineTable &lines) {
  DocumentSymbol s = outline.item(k.name, SymbolKind::Function, k.loc, (int)k.name.size());
  std::set<std::string> named;
  for (const Param &p : k.params) {
    named.insert(p.name);
    s.children.push_back(leaf(lines, p.name, SymbolKind::Variable, p.loc,
                              (p.mode == ParamMode::InOut ? "inout " : "") + typeText(p.type)));
  }
  for (const Result &r : k.results) {
    named.insert(r.name);
    s.children.push_back(
        leaf(lines, r.name, SymbolKind::Variable, r.loc, "-> " + typeText(r.type)));
  }
  for (const Statement &st : k.body)
    if (named.insert(st.target).second)
      s.children.push_back(leaf(lines, st.target, SymbolKind::Variable, st.targetLoc, "local"));
  s.detail = std::to_string(k.params.size()) + " parameters, " + std::to_string(k.results.size()) +
             " results";
  return s;
}

} // namespace

std::vector<DocumentSymbol> documentSymbols(const Spec &spec, const LineTable &lines) {
  Outline outline(spec, lines);
  std::vector<DocumentSymbol> symbols;
  for (const Const &c : spec.consts) {
    DocumentSymbol s = outline.item(c.name, SymbolKind::Constant, c.loc, (int)c.name.size());
    s.detail = dtypeName(c.dtype);
    symbols.push_back(std::move(s));
  }
  for (const Kernel &k : spec.kernels)
    symbols.push_back(kernelSymbol(k, outline, lines));
  for (const Behavior &b : spec.behaviors) {
    DocumentSymbol s = outline.item("behavior \"" + b.title + "\"", SymbolKind::Event, b.loc,
                                    (int)std::string("behavior").size());
    s.detail = "when " + b.when.kernel;
    symbols.push_back(std::move(s));
  }
  // In source order (DocumentSymbol moves but does not assign: sort indices).
  std::vector<size_t> order(symbols.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return symbols[a].selectionRange.start < symbols[b].selectionRange.start;
  });
  std::vector<DocumentSymbol> sorted;
  for (size_t i : order)
    sorted.push_back(std::move(symbols[i]));
  return sorted;
}

} // namespace vibee::lsp
