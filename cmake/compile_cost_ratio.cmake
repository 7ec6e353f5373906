# Compiles REFERENCE and SOURCE in turn, ROUNDS times each (REFERENCE first), and fails when the
# fastest compile of SOURCE takes more than MAX_RATIO times the fastest compile of REFERENCE. A ratio
# of two compiles on the same machine in the same run, so the bound means the same on any machine.
# Run as: cmake -DCOMPILER=... -DFLAGS=... -DSOURCE=... -DREFERENCE=... -DMAX_RATIO=3 -DROUNDS=2 -DWORK_DIR=... -P compile_cost_ratio.cmake
if(NOT ROUNDS)
  set(ROUNDS 2)
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")

function(seconds_now out)
  string(TIMESTAMP whole "%s" UTC)
  string(TIMESTAMP micro "%f" UTC)
  math(EXPR value "${whole} * 1000000 + ${micro}")
  set(${out} ${value} PARENT_SCOPE)
endfunction()

# The fastest of ROUNDS compiles of `source`, in microseconds.
function(fastest_compile source out)
  set(best "")
  get_filename_component(name "${source}" NAME_WE)
  foreach(round RANGE 1 ${ROUNDS})
    seconds_now(start)
    execute_process(COMMAND ${COMPILER} ${FLAGS} -c ${source} -o ${WORK_DIR}/${name}.o
                    RESULT_VARIABLE result ERROR_VARIABLE errors OUTPUT_QUIET)
    seconds_now(stop)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${source} did not compile:\n${errors}")
    endif()
    math(EXPR took "${stop} - ${start}")
    if(best STREQUAL "" OR took LESS best)
      set(best ${took})
    endif()
  endforeach()
  set(${out} ${best} PARENT_SCOPE)
endfunction()

fastest_compile("${REFERENCE}" reference_us)
fastest_compile("${SOURCE}" source_us)
math(EXPR ratio_percent "${source_us} * 100 / ${reference_us}")
math(EXPR limit_percent "${MAX_RATIO} * 100")
math(EXPR reference_ms "${reference_us} / 1000")
math(EXPR source_ms "${source_us} / 1000")
message(STATUS "compile time: ${SOURCE} ${source_ms} ms, reference ${reference_ms} ms: ratio ${ratio_percent}% (limit ${limit_percent}%)")
if(ratio_percent GREATER limit_percent)
  message(FATAL_ERROR "${SOURCE} took ${source_ms} ms to compile, ${ratio_percent}% of the reference translation unit's "
                      "${reference_ms} ms; the budget is ${limit_percent}%. Measure with -ftime-report what grew "
                      "(see the README's section on compile cost).")
endif()
