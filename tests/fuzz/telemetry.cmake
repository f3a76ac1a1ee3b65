# libFuzzer target for the telemetry readers (issue 10): key=value parser, poll output, the
# printk clock command's output, the recording format. Sources compiled in for coverage.
if(KMS_FUZZ)
    set(kms_telemetry_fuzz_sources
        ${PROJECT_SOURCE_DIR}/app/core/log/consoleline.cpp
        ${PROJECT_SOURCE_DIR}/app/core/link/shellquote.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/printkclock.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/telemetryalarms.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/telemetryparser.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/telemetrypoll.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/telemetryrecorder.cpp
        ${PROJECT_SOURCE_DIR}/app/core/telemetry/telemetrysource.cpp)
    add_executable(fuzz_telemetry ${CMAKE_CURRENT_LIST_DIR}/fuzz_telemetry.cpp ${kms_telemetry_fuzz_sources})
    set_target_properties(fuzz_telemetry PROPERTIES AUTOMOC OFF)
    target_include_directories(fuzz_telemetry PRIVATE ${PROJECT_SOURCE_DIR}/app/core)
    target_compile_options(fuzz_telemetry PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_telemetry PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_telemetry PRIVATE Qt6::Core)

    # Seeds: prudaq lines as kmod/prudaq_tlm.c prints them, a poll batch, a clock measurement.
    set(seed_dir ${CMAKE_CURRENT_LIST_DIR}/telemetry_seeds)
    set(work_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_telemetry_work)
    file(MAKE_DIRECTORY ${work_dir})
    # Bounded for CI (total budget 40 min): 45 s of fuzzing.
    add_test(NAME fuzz_telemetry
        COMMAND fuzz_telemetry -max_total_time=45 -max_len=8192 -timeout=10 -rss_limit_mb=2048
                ${work_dir} ${seed_dir})
    set_tests_properties(fuzz_telemetry PROPERTIES LABELS fuzz TIMEOUT 150)
endif()
