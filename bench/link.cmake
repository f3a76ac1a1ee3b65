# Links issue benchmarks: plain executables that print their figures (end-to-end timings with
# real peers, which Google Benchmark's loop model does not fit). Not run by ctest.
#   bench_link_serial  pty -> SerialLink -> line assembly -> ReportDetector, MB/s and loss check
#   bench_link_ssh     per-command latency, libssh session vs `ssh` with a new connection each
foreach(b serial ssh)
    add_executable(bench_link_${b} ${CMAKE_CURRENT_LIST_DIR}/bench_link_${b}.cpp)
    target_link_libraries(bench_link_${b} PRIVATE kmodscope-core)
    target_include_directories(bench_link_${b} PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
    target_compile_definitions(bench_link_${b} PRIVATE KMS_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/resources/samples")
endforeach()
target_link_libraries(bench_link_ssh PRIVATE Qt6::Network ssh)
