cmake_policy(VERSION 3.25)
# Lists the headers SOURCE includes (the compiler's -M output, with FLAGS) and fails if any lies
# under one of the FORBIDDEN folders without being in ALLOWED. Run as: cmake -D... -P check_includes.cmake
execute_process(
  COMMAND ${COMPILER} -std=c++20 -M ${FLAGS} ${SOURCE}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE dependencies
  ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cannot list the includes of ${SOURCE}:\n${errors}")
endif()
string(REGEX REPLACE "\\\\\n" " " dependencies "${dependencies}")
string(REGEX REPLACE "^[^:]*:" "" dependencies "${dependencies}")
separate_arguments(dependencies UNIX_COMMAND "${dependencies}")
set(seen "")
foreach(dependency IN LISTS dependencies)
  file(REAL_PATH "${dependency}" dependency)
  foreach(folder IN LISTS FORBIDDEN)
    file(REAL_PATH "${folder}" folder)
    cmake_path(IS_PREFIX folder "${dependency}" NORMALIZE inside)
    if(inside AND NOT dependency IN_LIST ALLOWED)
      message(FATAL_ERROR "${SOURCE} includes ${dependency}, which it must not")
    endif()
  endforeach()
  list(APPEND seen "${dependency}")
endforeach()
foreach(required IN LISTS ALLOWED)
  if(NOT required IN_LIST seen)
    message(FATAL_ERROR "${SOURCE} does not include ${required}")
  endif()
endforeach()
message(STATUS "${SOURCE}: no ctnn header but the allowed ones")
