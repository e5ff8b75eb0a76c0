# libtangent_cpu.so: Tangent's own CPU kernels (native/cpu), C11, linked against SLEEF 3.x.
# Included by CMakeLists.txt when TANGENT_CPU is ON. Output, in ${TANGENT_CPU_OUTPUT_DIR}:
#   libtangent_cpu.so   SONAME libtangent_cpu.so, RUNPATH $ORIGIN
#   libsleef.so.3       copied from the system's SLEEF (Debian: libsleef3), found there via $ORIGIN
# plus the test program tc_test (ctest: tangent_cpu_test) and the benchmark tc_bench.
include(CheckLanguage)
check_language(C)
if(NOT CMAKE_C_COMPILER)
  message(STATUS "tangent: no C compiler, libtangent_cpu.so not built (native CPU kernels unavailable)")
  return()
endif()
enable_language(C)

find_path(TANGENT_SLEEF_INCLUDE sleef.h)
find_library(TANGENT_SLEEF_LIBRARY NAMES sleef)
if(NOT TANGENT_SLEEF_INCLUDE OR NOT TANGENT_SLEEF_LIBRARY)
  message(STATUS "tangent: SLEEF not found (Debian: apt-get install libsleef-dev), libtangent_cpu.so not built")
  return()
endif()
# The file the library's NEEDED entry names (libsleef.so.3), to ship beside libtangent_cpu.so.
get_filename_component(TANGENT_SLEEF_REAL "${TANGENT_SLEEF_LIBRARY}" REALPATH)
get_filename_component(TANGENT_SLEEF_DIR "${TANGENT_SLEEF_LIBRARY}" DIRECTORY)
set(TANGENT_SLEEF_SONAME libsleef.so.3)
if(NOT EXISTS "${TANGENT_SLEEF_DIR}/${TANGENT_SLEEF_SONAME}")
  message(STATUS "tangent: ${TANGENT_SLEEF_DIR}/${TANGENT_SLEEF_SONAME} not found (SLEEF 3.x expected), libtangent_cpu.so not built")
  return()
endif()

set(TANGENT_CPU_DIR "${TANGENT_NATIVE_DIR}/cpu")
set(TANGENT_CPU_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/lib" CACHE PATH
    "Where libtangent_cpu.so and libsleef.so.3 are written")

add_library(tangent_cpu SHARED
  "${TANGENT_CPU_DIR}/tc_api.c"
  "${TANGENT_CPU_DIR}/tc_scalar.c"
  "${TANGENT_CPU_DIR}/tc_avx2.c"
  "${TANGENT_CPU_DIR}/tc_avx512.c")
# No -ffast-math: NaN, inf and signed zeros must survive. -ffp-contract=off: the formulas round
# the same on every code path (FMAs only where the source says so).
target_compile_options(tangent_cpu PRIVATE -O3 -std=c11 -ffp-contract=off -fno-semantic-interposition
                       -Wall -Wextra)
target_compile_definitions(tangent_cpu PRIVATE TANGENT_CPU_BUILD)
target_include_directories(tangent_cpu PRIVATE "${TANGENT_CPU_DIR}" "${TANGENT_SLEEF_INCLUDE}")
set_source_files_properties("${TANGENT_CPU_DIR}/tc_avx2.c" PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mprfchw")
set_source_files_properties("${TANGENT_CPU_DIR}/tc_avx512.c" PROPERTIES COMPILE_OPTIONS
                            "-mavx2;-mfma;-mavx512f;-mavx512dq;-mprfchw")
set_target_properties(tangent_cpu PROPERTIES
  C_VISIBILITY_PRESET hidden
  OUTPUT_NAME tangent_cpu
  NO_SONAME OFF
  LIBRARY_OUTPUT_DIRECTORY "${TANGENT_CPU_OUTPUT_DIR}"
  BUILD_RPATH "$ORIGIN"
  BUILD_WITH_INSTALL_RPATH ON
  INSTALL_RPATH "$ORIGIN")
target_link_options(tangent_cpu PRIVATE -Wl,--enable-new-dtags -Wl,--no-undefined -Wl,-soname,libtangent_cpu.so)
target_link_libraries(tangent_cpu PRIVATE "${TANGENT_SLEEF_LIBRARY}" m)
# The copy of SLEEF beside it, under the name the dynamic loader looks for.
add_custom_command(TARGET tangent_cpu POST_BUILD
  COMMAND "${CMAKE_COMMAND}" -E copy "${TANGENT_SLEEF_REAL}" "${TANGENT_CPU_OUTPUT_DIR}/${TANGENT_SLEEF_SONAME}"
  VERBATIM)

# Tests and benchmark link the library in the output folder (its RUNPATH finds the SLEEF copy).
add_executable(tc_test "${TANGENT_CPU_DIR}/test/tc_test.c")
target_include_directories(tc_test PRIVATE "${TANGENT_CPU_DIR}")
target_compile_options(tc_test PRIVATE -O2 -std=c11 -Wall -Wextra)
target_link_libraries(tc_test PRIVATE tangent_cpu m)
set_target_properties(tc_test PROPERTIES BUILD_RPATH "${TANGENT_CPU_OUTPUT_DIR}")

add_executable(tc_bench "${TANGENT_CPU_DIR}/bench/tc_bench.c")
target_include_directories(tc_bench PRIVATE "${TANGENT_CPU_DIR}")
target_compile_options(tc_bench PRIVATE -O2 -std=c11 -Wall)
target_link_libraries(tc_bench PRIVATE tangent_cpu m)
set_target_properties(tc_bench PROPERTIES BUILD_RPATH "${TANGENT_CPU_OUTPUT_DIR}")
# oneDNN for the comparison columns: -DTANGENT_DNNL_INCLUDE=<dir with oneapi/dnnl/dnnl.h>
# -DTANGENT_DNNL_LIBRARY=<libdnnl.so.3> (native/cpu/bench/run-bench.sh finds both).
if(TANGENT_DNNL_INCLUDE AND TANGENT_DNNL_LIBRARY)
  target_compile_definitions(tc_bench PRIVATE TC_BENCH_DNNL)
  target_include_directories(tc_bench PRIVATE "${TANGENT_DNNL_INCLUDE}")
  target_link_libraries(tc_bench PRIVATE "${TANGENT_DNNL_LIBRARY}")
  get_filename_component(TANGENT_DNNL_DIR "${TANGENT_DNNL_LIBRARY}" DIRECTORY)
  set_target_properties(tc_bench PROPERTIES BUILD_RPATH "${TANGENT_CPU_OUTPUT_DIR};${TANGENT_DNNL_DIR}")
endif()

enable_testing()
add_test(NAME tangent_cpu_test COMMAND tc_test)
set_tests_properties(tangent_cpu_test PROPERTIES TIMEOUT 600)
set(TANGENT_CPU_BUILT ON)
message(STATUS "tangent: libtangent_cpu.so -> ${TANGENT_CPU_OUTPUT_DIR} (SLEEF ${TANGENT_SLEEF_REAL})")
