# ctnn_embed_model(<target> <model_file> <name> [CLASSES fashion-mnist|a,b,c])
#
# Exports <model_file> (a ctnn model file) with ctnn-export as <name>.hpp in a folder of the
# build tree that <target> gets on its include path, so that the target's sources can
#   #include "<name>.hpp"
# The header is regenerated whenever the model file or ctnn-export changes. It needs only the
# standard library and xsimd, whose include directory is added too: <target> need not link ctnn.
# <target> is compiled as C++20 with ctnn's floating-point and instruction-set flags.
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
  # The header is C++20, and it predicts bit for bit what Model<Net>::predict does only when compiled
  # as ctnn compiles: no product fused unless the kernels say so (-ffp-contract=off) and the same
  # instruction set (ctnn's -march, when it was built with CTNN_NATIVE), which decides xsimd's width.
  target_compile_features(${target} PRIVATE cxx_std_20)
  get_target_property(ctnn_target ctnn::ctnn ALIASED_TARGET)
  if(NOT ctnn_target)
    set(ctnn_target ctnn::ctnn)
  endif()
  get_target_property(ctnn_options ${ctnn_target} INTERFACE_COMPILE_OPTIONS)
  target_compile_options(${target} PRIVATE -ffp-contract=off)
  foreach(option IN LISTS ctnn_options)
    if(option MATCHES "^-march=")
      target_compile_options(${target} PRIVATE ${option})
    endif()
  endforeach()
  find_package(xsimd 8 REQUIRED)
  target_include_directories(${target} SYSTEM PRIVATE ${xsimd_INCLUDE_DIRS})
endfunction()
