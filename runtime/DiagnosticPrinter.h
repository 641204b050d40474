// Prints a spec's diagnostics on an llvm::raw_ostream, through llvm::SourceMgr,
// in the frontend's format (`file:line:col: error: ...`, the source line and a
// caret, indented by two), in color when the stream is a terminal (WithColor:
// `--color` / `--color=false` force it either way).
#pragma once

#include "frontend/Diagnostics.h"

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace vibee {

void printDiagnostics(const DiagnosticEngine &diags, llvm::raw_ostream &os);

} // namespace vibee
