// Finding and reading .vibee files given on the command line (files or folders).
#pragma once

#include <string>
#include <vector>

namespace vibee {

// Expands each path: a file as is, a folder to its *.vibee files (recursively,
// sorted). Unreadable paths are reported on stderr and set `ok` to false.
std::vector<std::string> collectSpecFiles(const std::vector<std::string> &paths, bool &ok);

// Reads a whole file; false when it cannot be read.
bool readFile(const std::string &path, std::string &text);

} // namespace vibee
