#include "tools/vibee-lsp-server/LSPServer.h"

#include "frontend/Frontend.h"
#include "tools/vibee-lsp-server/DocumentSymbols.h"
#include "tools/vibee-lsp-server/LineTable.h"
#include "tools/vibee-lsp-server/SpecIndex.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/LSP/Logging.h"
#include "llvm/Support/LSP/Protocol.h"

#include <exception>
#include <memory>
#include <optional>

using namespace llvm;
using namespace llvm::lsp;

namespace vibee::lsp {

namespace {

struct Document {
  std::string text;
  int64_t version = 0;
  std::unique_ptr<vibee::ast::Spec> spec;
  SpecIndex index;
};

class Server {
public:
  Server(JSONTransport &transport) : handler_(transport) {
    handler_.method("initialize", this, &Server::onInitialize);
    handler_.notification("initialized", this, &Server::onInitialized);
    handler_.method("shutdown", this, &Server::onShutdown);
    handler_.notification("textDocument/didOpen", this, &Server::onOpen);
    handler_.notification("textDocument/didChange", this, &Server::onChange);
    handler_.notification("textDocument/didClose", this, &Server::onClose);
    handler_.method("textDocument/hover", this, &Server::onHover);
    handler_.method("textDocument/definition", this, &Server::onDefinition);
    handler_.method("textDocument/documentSymbol", this, &Server::onDocumentSymbol);
    publish_ =
        handler_.outgoingNotification<PublishDiagnosticsParams>("textDocument/publishDiagnostics");
  }
  MessageHandler &handler() { return handler_; }

private:
  void onInitialize(const InitializeParams &, Callback<json::Value> reply) {
    json::Object capabilities{
        {"textDocumentSync",
         json::Object{{"openClose", true}, {"change", (int)TextDocumentSyncKind::Full}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"documentSymbolProvider", true},
    };
    reply(json::Object{{"capabilities", std::move(capabilities)},
                       {"serverInfo", json::Object{{"name", "vibee-lsp-server"}}}});
  }
  void onInitialized(const NoParams &) {}
  void onShutdown(const NoParams &, Callback<std::nullptr_t> reply) { reply(nullptr); }

  void onOpen(const DidOpenTextDocumentParams &params) {
    update(params.textDocument.uri, params.textDocument.text, params.textDocument.version);
  }
  void onChange(const DidChangeTextDocumentParams &params) {
    auto it = documents_.find(params.textDocument.uri.file());
    if (it == documents_.end())
      return;
    std::string text = it->second.text;
    if (failed(TextDocumentContentChangeEvent::applyTo(params.contentChanges, text))) {
      Logger::error("textDocument/didChange: cannot apply the changes to {0}",
                    params.textDocument.uri.file());
      return;
    }
    update(params.textDocument.uri, text, params.textDocument.version);
  }
  void onClose(const DidCloseTextDocumentParams &params) {
    documents_.erase(params.textDocument.uri.file());
    publish_(PublishDiagnosticsParams(params.textDocument.uri, 0));
  }

  void onHover(const TextDocumentPositionParams &params, Callback<std::optional<Hover>> reply) {
    const Occurrence *o = find(params);
    if (!o)
      return reply(std::nullopt);
    const Document &doc = documents_.find(params.textDocument.uri.file())->second;
    LineTable lines(doc.text);
    Hover hover(range(lines, o->loc, o->length));
    hover.contents.value = doc.index.symbols()[o->symbol].hover;
    reply(std::move(hover));
  }

  void onDefinition(const TextDocumentPositionParams &params,
                    Callback<std::vector<Location>> reply) {
    std::vector<Location> locations;
    if (const Occurrence *o = find(params)) {
      const Document &doc = documents_.find(params.textDocument.uri.file())->second;
      const Symbol &s = doc.index.symbols()[o->symbol];
      if (s.loc.line > 0) // builtins have no definition in the file
        locations.emplace_back(params.textDocument.uri,
                               range(LineTable(doc.text), s.loc, (int)s.name.size()));
    }
    reply(std::move(locations));
  }

  void onDocumentSymbol(const DocumentSymbolParams &params,
                        Callback<std::vector<DocumentSymbol>> reply) {
    auto it = documents_.find(params.textDocument.uri.file());
    if (it == documents_.end() || !it->second.spec)
      return reply(std::vector<DocumentSymbol>());
    reply(documentSymbols(*it->second.spec, LineTable(it->second.text)));
  }

  const Occurrence *find(const TextDocumentPositionParams &params) {
    auto it = documents_.find(params.textDocument.uri.file());
    if (it == documents_.end())
      return nullptr;
    auto [line, col] = LineTable(it->second.text).column(params.position);
    return it->second.index.at(line, col);
  }

  static Range range(const LineTable &lines, vibee::ast::Loc loc, int length) {
    return lines.range(loc.line, loc.col, length);
  }

  // Parses and checks the text, rebuilds the index, publishes every diagnostic:
  // errors (and warnings) with the notes that follow them as related information.
  void update(const URIForFile &uri, std::string text, int64_t version) {
    Document doc;
    doc.text = std::move(text);
    doc.version = version;
    vibee::DiagnosticEngine diags(uri.file().str(), doc.text);
    bool checked = false;
    try {
      doc.spec = vibee::parseSpec(uri.file().str(), doc.text, diags);
      if (doc.spec && doc.spec->syntaxErrors == 0)
        checked = vibee::analyzeSpec(*doc.spec, diags);
      if (doc.spec)
        doc.index = SpecIndex::build(*doc.spec, checked);
    } catch (const std::exception &e) {
      Logger::error("{0}: the frontend failed: {1}", uri.file(), e.what());
    }
    LineTable lines(doc.text);
    PublishDiagnosticsParams params(uri, version);
    for (const vibee::Diagnostic &d : diags.diagnostics()) {
      Range r = range(lines, d.loc, lines.runLength(d.loc.line, d.loc.col));
      if (d.severity == vibee::Diagnostic::Note && !params.diagnostics.empty()) {
        auto &related = params.diagnostics.back().relatedInformation;
        if (!related)
          related.emplace();
        related->emplace_back(Location(uri, r), d.message);
        continue;
      }
      llvm::lsp::Diagnostic out;
      out.range = r;
      out.severity = d.severity == vibee::Diagnostic::Error  ? DiagnosticSeverity::Error
                     : d.severity == vibee::Diagnostic::Note ? DiagnosticSeverity::Information
                                                             : DiagnosticSeverity::Warning;
      out.source = "vibee";
      out.message = d.message;
      params.diagnostics.push_back(std::move(out));
    }
    documents_[uri.file()] = std::move(doc);
    publish_(params);
  }

  MessageHandler handler_;
  OutgoingNotification<PublishDiagnosticsParams> publish_;
  StringMap<Document> documents_;
};

} // namespace

Error runServer(JSONTransport &transport) {
  Server server(transport);
  return transport.run(server.handler());
}

} // namespace vibee::lsp
