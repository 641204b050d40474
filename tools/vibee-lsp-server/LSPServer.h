// The vibee language server over LLVM's LSP support (llvm/Support/LSP): open
// documents are parsed and checked by the frontend on every change, their
// diagnostics published, and hover / go-to-definition answered from a SpecIndex.
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/LSP/Transport.h"

namespace vibee::lsp {

// Serves until the client sends `exit` or closes the stream.
llvm::Error runServer(llvm::lsp::JSONTransport &transport);

} // namespace vibee::lsp
