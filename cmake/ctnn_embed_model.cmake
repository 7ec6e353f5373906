# ctnn_embed_model(<target> <model_file> <name> [CLASSES fashion-mnist|a,b,c])
#
# Exports <model_file> (a ctnn model file) with ctnn-export as <name>.hpp in a folder of the
# build tree that <target> gets on its include path, so that the target's sources can
#   #include "<name>.hpp"
# The header is regenerated whenever the model file or ctnn-export changes. It needs only the
# standard library and xsimd, whose include directory is added too: <target> need not link ctnn.
function(ctnn_embed_model target model_file name)
  cmake_parse_arguments(PARSE_ARGV 3 arg "" "CLASSES" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ctnn_embed_model: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  cmake_path(ABSOLUTE_PATH model_file BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" OUTPUT_VARIABLE model)
  set(directory "${CMAKE_CURRENT_BINARY_DIR}/ctnn_embedded/${target}")
  set(header "${directory}/${name}.hpp")
  set(classes "")
  if(arg_CLASSES)
    set(classes --classes "${arg_CLASSES}")
  endif()
  # In ctnn's own build the tool is a target of this project; after find_package(ctnn) it is imported.
  get_target_property(exporter ctnn::ctnn-export ALIASED_TARGET)
  if(NOT exporter)
    set(exporter ctnn::ctnn-export)
  endif()
  add_custom_command(
    OUTPUT "${header}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${directory}"
    COMMAND ${exporter} "${model}" --name ${name} -o "${header}" ${classes}
    DEPENDS "${model}" ${exporter}
    COMMENT "ctnn-export: ${model_file} -> ${name}.hpp"
    VERBATIM)
  target_sources(${target} PRIVATE "${header}")
  target_include_directories(${target} PRIVATE "${directory}")
  # As ctnn itself compiles: no product fused unless the kernels say so, for predict's exact numbers.
  target_compile_options(${target} PRIVATE -ffp-contract=off)
  find_package(xsimd 8 REQUIRED)
  target_include_directories(${target} SYSTEM PRIVATE ${xsimd_INCLUDE_DIRS})
endfunction()
