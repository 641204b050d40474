# A text file of the source tree compiled into a target as a C++ string, so that
# the file stays a real file (compiled and read on its own) while what vibeec
# prints from it stays self-contained. Used for the helper preambles of the
# generated C++ (backends/cpp/runtime) and CUDA host files (backends/gpu/runtime).
#
#   vibee_embed_text_file(<target> <file> <symbol>)
#
# writes <build dir>/<file name>.inc, `const char <symbol>[] = R"...(<bytes>)...";`,
# regenerated whenever <file> changes, and adds it to <target>'s sources; the
# target includes it as "<file name>.inc". Run with -P, this file is that step.

if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DINPUT=<file> -DOUTPUT=<file.inc> -DSYMBOL=<name> -P EmbedTextFile.cmake
  file(READ "${INPUT}" content)
  set(delimiter "vibee_embed")
  string(FIND "${content}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains ')${delimiter}\"', the raw string's end")
  endif()
  file(WRITE "${OUTPUT}"
       "// Generated at build time from ${INPUT} (cmake/EmbedTextFile.cmake).\n"
       "const char ${SYMBOL}[] = R\"${delimiter}(${content})${delimiter}\";\n")
  return()
endif()

set(VIBEE_EMBED_TEXT_FILE_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

function(vibee_embed_text_file target file symbol)
  get_filename_component(name ${file} NAME)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${name}.inc)
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${file} -DOUTPUT=${output} -DSYMBOL=${symbol}
            -P ${VIBEE_EMBED_TEXT_FILE_SCRIPT}
    DEPENDS ${file} ${VIBEE_EMBED_TEXT_FILE_SCRIPT}
    COMMENT "Embedding ${name}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_BINARY_DIR})
endfunction()
