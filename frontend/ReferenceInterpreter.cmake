# The float64 reference interpreter (the oracle for compiled kernels). Included by
# frontend/CMakeLists.txt; depends only on the frontend's AST (no MLIR).
add_library(VibeeReference STATIC ${CMAKE_CURRENT_LIST_DIR}/ReferenceInterpreter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ReferenceEval.cpp ${CMAKE_CURRENT_LIST_DIR}/ReferenceScan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ReferenceArgReduce.cpp ${CMAKE_CURRENT_LIST_DIR}/ReferenceTopK.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ReferenceScatter.cpp)
target_link_libraries(VibeeReference PUBLIC VibeeFrontend)
target_compile_options(VibeeReference PRIVATE -Werror=switch)
