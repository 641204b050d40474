# The installed package: `cmake --install build --prefix P` gives
#   P/bin/vibeec, P/bin/vibee-opt
#   P/lib/libvibee_runtime.so.<so>   vibee::runtime (JIT API, docs/examples/jit-host)
#   P/lib/libvibee_cpurt.a           vibee::cpurt   (thread admission for CPU objects)
#   P/lib/libvibee_cuda_rt.so.<so>   vibee::cuda_rt (driver loader for CUDA objects)
#   P/lib/cmake/vibee/               find_package(vibee): the targets above, vibee::vibeec,
#                                    vibee_add_kernels() (cmake/VibeeAddKernels.cmake)
#   P/lib/pkgconfig/vibee.pc         pkg-config --cflags --libs vibee (the JIT API)
# Included from the top-level CMakeLists.txt after every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Shared libraries carry the project's version; before 1.0 every minor version may
# change the ABI, so the soname is major.minor (libvibee_runtime.so.0.1).
set(VIBEE_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set_target_properties(VibeeRuntime VibeeCudaRuntimeShared PROPERTIES
  VERSION ${PROJECT_VERSION} SOVERSION ${VIBEE_SOVERSION})
set_target_properties(VibeeCudaRuntimeShared PROPERTIES EXPORT_NAME cuda_rt)
set_target_properties(vibee_cpurt PROPERTIES EXPORT_NAME cpurt)
add_executable(vibee::vibeec ALIAS vibeec)
add_library(vibee::cpurt ALIAS vibee_cpurt)
add_library(vibee::cuda_rt ALIAS VibeeCudaRuntimeShared)

# Objects reference LLVM's OpenMP runtime weakly (docs/abi.md, "Threads in objects"):
# without --no-as-needed the linker would drop libomp and the kernels run serially.
if(VIBEE_LIBOMP)
  target_link_libraries(vibee_cpurt INTERFACE
    "-Wl,--push-state,--no-as-needed" ${VIBEE_LIBOMP} "-Wl,--pop-state")
endif()
target_link_libraries(vibee_cpurt INTERFACE ${CMAKE_DL_LIBS})
# Built with ASan/UBSan (VIBEE_SANITIZE), the archive needs the sanitizer runtimes in
# every program that links it, as libvibee_runtime.so does (runtime/CMakeLists.txt).
if(VIBEE_SANITIZE)
  target_link_options(vibee_cpurt INTERFACE ${VIBEE_SANITIZE_FLAGS})
endif()
# Those references are weak, and a weak reference does not pull a member out of an
# archive: name the entry points as undefined so that the linker takes CpuRuntime.o.
target_link_options(vibee_cpurt INTERFACE
  "LINKER:--undefined=vibee_cpu_parallel_enter,--undefined=vibee_cpu_parallel_enter_max"
  "LINKER:--undefined=vibee_cpu_parallel_exit,--undefined=vibee_cpu_parallel_for")

# The tools find libvibee_runtime.so next to them and LLVM/MLIR where they were found.
set_target_properties(vibee-opt PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}" INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS vibeec vibee-opt vibee-lsp-server EXPORT vibeeTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS vibee_cpurt EXPORT vibeeTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/backends/cpu/CpuRuntime.c
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vibee)

install(EXPORT vibeeTargets NAMESPACE vibee:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vibee)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vibeeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/vibeeConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vibee)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/vibeeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/vibeeConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/vibeeConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/VibeeAddKernels.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vibee)

# pkg-config: the JIT API for non-CMake builds. ${pcfiledir} keeps the file valid
# wherever the prefix is moved.
file(RELATIVE_PATH VIBEE_PC_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" VIBEE_PC_PREFIX "${VIBEE_PC_PREFIX}")
# An ASan/UBSan build's runtime needs the sanitizer runtimes linked into the program
# (first in its library list), as the CMake targets' interfaces say.
set(VIBEE_PC_SANITIZE_FLAGS "")
if(VIBEE_SANITIZE)
  list(JOIN VIBEE_SANITIZE_FLAGS " " VIBEE_PC_SANITIZE_FLAGS)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/vibee.pc.in ${PROJECT_BINARY_DIR}/cmake/vibee.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/vibee.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
