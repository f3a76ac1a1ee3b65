# What the fault explanation adds to a warm decode (catalog and symbolizer loaded, as in the GUI):
# the node's real captures decoded with and without it, in the same run.
if(benchmark_FOUND)
    add_executable(bench_explain ${CMAKE_CURRENT_LIST_DIR}/bench_explain.cpp)
    target_link_libraries(bench_explain PRIVATE kmodscope-core benchmark::benchmark)
    target_compile_definitions(bench_explain PRIVATE
        KMS_CAPTURES="${PROJECT_SOURCE_DIR}/tests/data/captures/explain")
endif()
