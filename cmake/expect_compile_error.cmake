# Compiles SOURCE and succeeds only if compilation fails with every regular expression in
# EXPECT (a ;-list) found in the compiler's output. Run as: cmake -D... -P expect_compile_error.cmake
execute_process(
  COMMAND ${COMPILER} -std=c++20 -fsyntax-only ${FLAGS} ${SOURCE}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
foreach(pattern IN LISTS EXPECT)
  if(NOT output MATCHES "${pattern}")
    message(FATAL_ERROR "the compiler's message for ${SOURCE} lacks '${pattern}':\n${output}")
  endif()
endforeach()
string(REGEX MATCH "error: [^\n]*" first_error "${output}")
message(STATUS "${first_error}")
