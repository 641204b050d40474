# vibee_add_kernels: compile .vibee specs at build time and add the result to a
# target (installed with the package; find_package(vibee) includes it).
#
#   vibee_add_kernels(<target> SPECS <file.vibee>...
#                     [TARGET cpu|cuda]          # default cpu
#                     [EMIT obj|cpp]             # default obj
#                     [OUTPUT_DIRECTORY <dir>]   # default <current binary dir>/<target>.vibee
#                     [OPTIONS <vibeec compile options>...]) # e.g. --gpu-chip=sm_80
#
# Per spec <name>.vibee, in the output directory (added to <target>'s include path):
#   cpu  obj  <name>.o + <name>.h (C ABI, docs/abi.md); links vibee::cpurt (thread
#             admission + LLVM's libomp: large loops run on threads)
#   cpu  cpp  <name>.hpp, self-contained C++17 kernels (header only)
#   cuda obj  <name>.o + <name>.h (host code with embedded PTX); links vibee::cuda_rt
#   cuda cpp  <name>_cuda.cpp, host code + cubin/PTX over <cuda.h>, compiled into
#             <target>; links CUDA::cuda_driver (find_package(CUDAToolkit) first)
# Each output depends on its spec and on the compiler executable, so editing a spec or
# installing a new vibeec recompiles it. The compiler is vibee::vibeec, or
# VIBEE_VIBEEC_EXECUTABLE when set (a build tree's vibeec).
function(vibee_add_kernels target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TARGET;EMIT;OUTPUT_DIRECTORY" "SPECS;OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "vibee_add_kernels(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "vibee_add_kernels: '${target}' is not a target")
  endif()
  if(NOT arg_SPECS)
    message(FATAL_ERROR "vibee_add_kernels(${target}): no SPECS given")
  endif()
  if(NOT arg_TARGET)
    set(arg_TARGET cpu)
  endif()
  if(NOT arg_EMIT)
    set(arg_EMIT obj)
  endif()
  if(NOT arg_TARGET MATCHES "^(cpu|cuda)$")
    message(FATAL_ERROR "vibee_add_kernels(${target}): TARGET must be cpu or cuda, not '${arg_TARGET}'")
  endif()
  if(NOT arg_EMIT MATCHES "^(obj|cpp)$")
    message(FATAL_ERROR "vibee_add_kernels(${target}): EMIT must be obj or cpp, not '${arg_EMIT}'")
  endif()
  if(NOT arg_OUTPUT_DIRECTORY)
    set(arg_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${target}.vibee)
  endif()
  if(VIBEE_VIBEEC_EXECUTABLE)
    set(vibeec ${VIBEE_VIBEEC_EXECUTABLE})
  elseif(TARGET vibee::vibeec)
    set(vibeec $<TARGET_FILE:vibee::vibeec>)
  else()
    message(FATAL_ERROR "vibee_add_kernels: no vibee::vibeec (find_package(vibee) first)")
  endif()
  file(MAKE_DIRECTORY ${arg_OUTPUT_DIRECTORY})

  set(names)
  foreach(spec IN LISTS arg_SPECS)
    get_filename_component(spec ${spec} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(name ${spec} NAME_WE)
    if(name IN_LIST names)
      message(FATAL_ERROR "vibee_add_kernels(${target}): two specs named ${name}.vibee would "
                          "write the same files: use two calls with different OUTPUT_DIRECTORY")
    endif()
    list(APPEND names ${name})
    set(base ${arg_OUTPUT_DIRECTORY}/${name})
    set(flags --target=${arg_TARGET})
    if(arg_EMIT STREQUAL "obj")
      set(outputs ${base}.o ${base}.h)
      set(out ${base}.o)
    elseif(arg_TARGET STREQUAL "cpu")
      set(outputs ${base}.hpp)
      set(out ${base}.hpp)
      list(APPEND flags --emit=cpp)
    else()
      set(outputs ${base}_cuda.cpp)
      set(out ${base}_cuda.cpp)
      list(APPEND flags --emit=cuda-host)
    endif()
    # The thread count of the build machine must not shape the object
    # (VIBEE_NUM_THREADS=1 at compile time used to drop the parallel loops).
    add_custom_command(OUTPUT ${outputs}
      COMMAND ${CMAKE_COMMAND} -E env --unset=VIBEE_NUM_THREADS --unset=OMP_NUM_THREADS
              ${vibeec} compile ${spec} ${flags} ${arg_OPTIONS} -o ${out}
      DEPENDS ${spec} ${vibeec}
      WORKING_DIRECTORY ${arg_OUTPUT_DIRECTORY}
      COMMENT "vibeec: ${name}.vibee (${arg_TARGET}, ${arg_EMIT})"
      VERBATIM)
    target_sources(${target} PRIVATE ${outputs})
    if(arg_EMIT STREQUAL "obj")
      set_source_files_properties(${base}.o PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
    endif()
  endforeach()

  target_include_directories(${target} PRIVATE ${arg_OUTPUT_DIRECTORY})
  if(arg_TARGET STREQUAL "cpu" AND arg_EMIT STREQUAL "obj")
    target_link_libraries(${target} PRIVATE vibee::cpurt)
  elseif(arg_TARGET STREQUAL "cuda" AND arg_EMIT STREQUAL "obj")
    target_link_libraries(${target} PRIVATE vibee::cuda_rt)
  elseif(arg_TARGET STREQUAL "cuda")
    if(NOT TARGET CUDA::cuda_driver)
      message(FATAL_ERROR "vibee_add_kernels(${target}): TARGET cuda EMIT cpp needs "
                          "CUDA::cuda_driver: call find_package(CUDAToolkit REQUIRED) first")
    endif()
    target_link_libraries(${target} PRIVATE CUDA::cuda_driver)
  endif()
  if(arg_EMIT STREQUAL "cpp")
    target_compile_features(${target} PRIVATE cxx_std_17)
  endif()
endfunction()
