# What the fault explanation adds to a warm decode (catalog and symbolizer loaded, as in the GUI):
# the node's real captures decoded with and without it, in the same run.
# Measured 2026-12-06 (2 cores, load average 16; CPU time, median of 3): 13 reports per
# architecture; x86_64 90 -> 160 us per report (+70 us), armhf 57 -> 125 us (+68 us).
if(benchmark_FOUND)
    add_executable(bench_explain ${CMAKE_CURRENT_LIST_DIR}/bench_explain.cpp)
    target_link_libraries(bench_explain PRIVATE kmodscope-core benchmark::benchmark)
    target_compile_definitions(bench_explain PRIVATE
        KMS_CAPTURES="${PROJECT_SOURCE_DIR}/tests/data/captures/explain")
endif()
