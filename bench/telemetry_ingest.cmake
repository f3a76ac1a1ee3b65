# Telemetry at the source end (issue 10): parse + alarm rules per line against a QString::split
# baseline, and the recording's bytes per sample set against the text line.
if(benchmark_FOUND)
    add_executable(bench_telemetry_ingest ${CMAKE_CURRENT_LIST_DIR}/bench_telemetry_ingest.cpp)
    target_link_libraries(bench_telemetry_ingest PRIVATE kmodscope-core benchmark::benchmark)
endif()
