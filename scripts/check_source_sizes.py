#!/usr/bin/env python3
"""Checks the compiler's size rules (docs/architecture.md): no source file over
600 lines, no function over 150. Prints each violation as file:line and exits 1.

    scripts/check_source_sizes.py [root]

Functions are found by brace matching: a `{` whose enclosing scope is a
namespace, a class/struct or the file opens a function body (lambdas and local
classes count towards the function that holds them). String and character
literals and comments are skipped, so braces inside them do not count.
"""
import os, re, sys

FOLDERS = ["abi", "backends", "conversion", "frontend", "ir", "python", "runtime", "tools", "transforms"]
MAX_FILE, MAX_FUNCTION = 600, 150
CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum)\b[^;()]*$|extern\s+\"C\"\s*$")


def strip_code(text):
    """The text with comments and literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


def long_functions(path):
    code = strip_code(open(path, encoding="utf-8", errors="replace").read())
    stack, statement, line = [], "", 1
    for c in code:
        if c == "\n":
            line += 1
        if c == "{":
            enclosing_is_scope = all(kind == "container" for kind, _ in stack)
            head = statement.strip()
            if CONTAINER.search(head) or head.endswith("="):
                stack.append(("container" if CONTAINER.search(head) else "init", line))
            elif enclosing_is_scope and ")" in head:
                stack.append(("function", line))
            else:
                stack.append(("block", line))
            statement = ""
        elif c == "}":
            if stack:
                kind, start = stack.pop()
                if kind == "function" and line - start + 1 > MAX_FUNCTION:
                    yield start, line - start + 1
            statement = ""
        elif c == ";":
            statement = ""
        else:
            statement += c
            if c == "\n" and statement.strip().startswith("#"):
                statement = ""


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = 0
    for folder in FOLDERS:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith((".cpp", ".h", ".c")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                lines = sum(1 for _ in open(path, encoding="utf-8", errors="replace"))
                if lines > MAX_FILE:
                    print(f"{rel}: {lines} lines (limit {MAX_FILE})"); problems += 1
                for start, length in long_functions(path):
                    print(f"{rel}:{start}: function of {length} lines (limit {MAX_FUNCTION})")
                    problems += 1
    print(f"{problems} size violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
