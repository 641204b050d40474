// libFuzzer entry: the frontend must never crash, hang or leak on any byte sequence.
#include "frontend/Frontend.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string source(reinterpret_cast<const char *>(data), size);
  vibee::DiagnosticEngine diags("fuzz.vibee", source);
  auto spec = vibee::loadSpec("fuzz.vibee", source, diags);
  // Exercise the printers too: they index the source by the diagnostics' locations.
  std::ostringstream os;
  diags.print(os);
  if (spec)
    vibee::dumpAST(*spec, os);
  return 0;
}
