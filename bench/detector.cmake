# Detector + parser throughput over a >= 100 MB console log built in memory from the test
# corpora and ordinary log noise. Prints bytes/s (Google Benchmark's bytes_per_second).
if(benchmark_FOUND)
    add_executable(bench_detector ${CMAKE_CURRENT_LIST_DIR}/bench_detector.cpp)
    target_link_libraries(bench_detector PRIVATE kmodscope-core benchmark::benchmark)
    target_compile_definitions(bench_detector PRIVATE
        KMS_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
        KMS_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/resources/samples")
endif()
