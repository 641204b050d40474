// Entry points of the frontend: text -> AST (parser) -> checked, annotated AST (sema).
// Neither depends on MLIR; MLIRGen.h turns a checked AST into the vibee dialect.
#pragma once

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace vibee {

// Parses a spec; syntax errors go to `diags`. Returns null only when no AST could be
// built at all; check diags.hasErrors() either way.
std::unique_ptr<ast::Spec> parseSpec(const std::string &file, const std::string &source,
                                     DiagnosticEngine &diags);

// Semantic checks; fills the "sema" fields of the AST. Reports every error it finds.
// Returns false when any error was reported.
bool analyzeSpec(ast::Spec &spec, DiagnosticEngine &diags);

// parseSpec + analyzeSpec. Returns null when any error was reported.
std::unique_ptr<ast::Spec> loadSpec(const std::string &file, const std::string &source,
                                    DiagnosticEngine &diags);

// Warnings on a checked spec (Warnings.cpp): unused parameters, locals and
// left-hand indices, kernels without behaviors; `disabled` holds flag names
// (-Wno-<flag>). diags.setWarningsAsErrors(true) first for -Werror.
void warnSpec(const ast::Spec &spec, DiagnosticEngine &diags,
              const std::vector<std::string> &disabled = {});
// Every warning's flag name, for -W options ("unused-parameter", ...).
const std::vector<std::string> &warningFlags();

// Human-readable dump of the (annotated) AST, for `vibeec compile --emit=ast`.
void dumpAST(const ast::Spec &spec, std::ostream &os);

} // namespace vibee
