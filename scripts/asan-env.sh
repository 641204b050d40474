# The sanitizer options of the ASan + UBSan test run (docs/testing.md); source it
# before running ctest, lit or a tool of build-asan/ by hand.
#  - detect_container_overflow=0: libstdc++ annotates std::vector only when built with
#    _GLIBCXX_SANITIZE_VECTOR, which we leave off: our code and the uninstrumented
#    LLVM/MLIR libraries grow and shrink the same vectors (inline members instantiated
#    on both sides), so annotations would report overflows that are not there. The
#    option says so explicitly; heap, stack and global overflows are all still found.
#  - detect_leaks=0: LeakSanitizer's tracer (gcc 12's libsanitizer) crashed at exit
#    ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error") in
#    2 of the ~60 processes that ran JIT code with OpenMP threads in the first full
#    run on the loaded 2-core machine: a flaky CI for no bug of ours. Leaks stay
#    checked by valgrind (valgrind_compile, valgrind_check, scripts/valgrind-all.sh:
#    --leak-check) and by the fuzz step (clang's LeakSanitizer, seed replay in CI).
#  - allow_user_poisoning=0: LLVM's BumpPtrAllocator, inlined into our instrumented
#    code, poisons a new slab of an allocator it shares with the uninstrumented libMLIR
#    (a StorageUniquer's), which hands out the rest of the slab without unpoisoning:
#    a false "use-after-poison" (the fuzzer's finding 587ddd0, docs/testing.md).
#  - halt_on_error / abort_on_error=0: a finding fails the process with ASan's exit
#    code and its report, which ctest prints.
#  - UBSan: every check is fatal (-fno-sanitize-recover=undefined), with a stack.
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0:abort_on_error=0:check_initialization_order=1:allow_user_poisoning=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
