// vibee-lsp-server: a language server for .vibee specs over stdin/stdout
// (diagnostics, hover with the types and shapes of names, go-to-definition).
// Editors start it as a subprocess; editors/vscode has a client configuration.
#include "tools/vibee-lsp-server/LSPServer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/LSP/Logging.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace llvm;

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::opt<lsp::Logger::Level> logLevel{
      "log", cl::desc("what the server logs to stderr"), cl::init(lsp::Logger::Level::Error),
      cl::values(clEnumValN(lsp::Logger::Level::Error, "error", "errors only"),
                 clEnumValN(lsp::Logger::Level::Info, "info", "every message"),
                 clEnumValN(lsp::Logger::Level::Debug, "verbose", "everything"))};
  cl::opt<bool> pretty{"pretty", cl::desc("pretty-print the JSON it writes"), cl::init(false)};
  cl::ParseCommandLineOptions(argc, argv, "vibee language server (LSP over stdin/stdout)\n");

  lsp::Logger::setLogLevel(logLevel);
  // Messages carry their length in bytes: no newline translation on the streams.
  sys::ChangeStdinToBinary();
  lsp::JSONTransport transport(stdin, outs(), lsp::JSONStreamStyle::Standard, pretty);
  if (Error error = vibee::lsp::runServer(transport)) {
    lsp::Logger::error("transport error: {0}", toString(std::move(error)));
    return 1;
  }
  return 0;
}
