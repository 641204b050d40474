# The sanitizer options of the ASan + UBSan test run (docs/testing.md); source it
# before running ctest, lit or a tool of build-asan/ by hand.
#  - detect_container_overflow=0: libstdc++ annotates std::vector only when built with
#    _GLIBCXX_SANITIZE_VECTOR, which we leave off: our code and the uninstrumented
#    LLVM/MLIR libraries grow and shrink the same vectors (inline members instantiated
#    on both sides), so annotations would report overflows that are not there. The
#    option says so explicitly; heap, stack and global overflows are all still found.
#  - detect_leaks=1: LeakSanitizer at exit (LLVM's globals are reachable, not leaks).
#  - halt_on_error / abort_on_error=0: a finding fails the process with ASan's exit
#    code and its report, which ctest prints.
#  - UBSan: every check is fatal (-fno-sanitize-recover=undefined), with a stack.
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=1:abort_on_error=0:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
