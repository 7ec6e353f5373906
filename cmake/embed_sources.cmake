# ctnn_write_embedded_sources(output source...): writes a header that holds each source file's
# text as a raw string literal, in ctnn::io::exported_sources (relative path, text) pairs.
# Editing a source re-runs the configuration, so the text never goes stale.
function(ctnn_write_embedded_sources output)
  set(entries "")
  list(LENGTH ARGN count)
  foreach(source IN LISTS ARGN)
    file(READ "${CMAKE_CURRENT_SOURCE_DIR}/${source}" text)
    if(text MATCHES "\\)ctnn_source\"")
      message(FATAL_ERROR "${source} contains the raw-string delimiter )ctnn_source\"")
    endif()
    string(APPEND entries "    {\"${source}\", R\"ctnn_source(${text})ctnn_source\"},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${source}")
  endforeach()
  set(content "// Written by CMake (cmake/embed_sources.cmake) from the files named below: do not edit.
// The text of the sources that io/export_header.hpp copies into every exported model header.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace ctnn::io {

inline constexpr std::array<std::pair<std::string_view, std::string_view>, ${count}> exported_sources{{
${entries}}};

}  // namespace ctnn::io
")
  # Rewritten only when the text changes, so that a re-configuration does not rebuild everything.
  file(WRITE "${output}.new" "${content}")
  file(COPY_FILE "${output}.new" "${output}" ONLY_IF_DIFFERENT)
  file(REMOVE "${output}.new")
endfunction()
