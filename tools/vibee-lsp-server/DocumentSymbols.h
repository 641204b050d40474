// The outline of a spec (textDocument/documentSymbol): its constants, its kernels
// with their parameters, results and locals, and its behaviors.
#pragma once

#include "frontend/AST.h"
#include "tools/vibee-lsp-server/LineTable.h"

#include "llvm/Support/LSP/Protocol.h"

#include <vector>

namespace vibee::lsp {

std::vector<llvm::lsp::DocumentSymbol> documentSymbols(const ast::Spec &spec,
                                                       const LineTable &lines);

} // namespace vibee::lsp
