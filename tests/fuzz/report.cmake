# libFuzzer target for line splitting, console prefixes, report detection and parsing.
# The sources are compiled into the fuzzer itself so that they carry libFuzzer's coverage
# instrumentation (the core library is built without it).
if(KMS_FUZZ)
    set(kms_report_fuzz_sources
        ${PROJECT_SOURCE_DIR}/app/core/log/linesplitter.cpp
        ${PROJECT_SOURCE_DIR}/app/core/log/consoleline.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/kernelreport.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportmarkers.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/framelineparser.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/guiltyframe.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportfields.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportparser.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportlines.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportdetector.cpp)
    add_executable(fuzz_report ${CMAKE_CURRENT_LIST_DIR}/fuzz_report.cpp ${kms_report_fuzz_sources})
    set_target_properties(fuzz_report PROPERTIES AUTOMOC OFF)
    target_include_directories(fuzz_report PRIVATE ${PROJECT_SOURCE_DIR}/app/core)
    # Optimised even in a Debug tree: at -O0 every QByteArrayView::operator[] and byte helper is
    # an instrumented out-of-line call; perf showed it dominating, and -O2 cut the CPU time of an
    # execution about 4x. The sanitizers stay on, and so do Qt's inline asserts (no QT_NO_DEBUG).
    target_compile_options(fuzz_report PRIVATE -fsanitize=fuzzer -O2)
    target_link_options(fuzz_report PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_report PRIVATE Qt6::Core)

    # Seeds: the corpora and sample logs, one file each (README provenance notes excluded).
    set(seed_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_report_seeds)
    file(GLOB satyr_seeds ${KMS_TEST_DATA_DIR}/corpus/satyr/*)
    file(GLOB abrt_seeds ${KMS_TEST_DATA_DIR}/corpus/abrt/*)
    file(GLOB sample_seeds ${KMS_SAMPLES_DIR}/*.log)
    # One log per report format, written from the kernel's printing code, and the node's captures.
    file(GLOB format_seeds ${KMS_TEST_DATA_DIR}/formats/*.log ${KMS_TEST_DATA_DIR}/captures/*.log)
    list(FILTER satyr_seeds EXCLUDE REGEX "\\.(md|tsv)$")
    list(FILTER abrt_seeds EXCLUDE REGEX "\\.(md|right)$")
    file(MAKE_DIRECTORY ${seed_dir})
    file(COPY ${satyr_seeds} ${abrt_seeds} ${sample_seeds} ${format_seeds} DESTINATION ${seed_dir})

    # Bounded for CI (total budget 40 min): 60 s of fuzzing; new inputs go to a scratch dir.
    set(work_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_report_work)
    file(MAKE_DIRECTORY ${work_dir})
    add_test(NAME fuzz_report
        COMMAND fuzz_report -max_total_time=60 -max_len=16384 -timeout=10 -rss_limit_mb=2048
                -dict=${CMAKE_CURRENT_LIST_DIR}/report.dict ${work_dir} ${seed_dir})
    set_tests_properties(fuzz_report PROPERTIES LABELS fuzz TIMEOUT 180)
endif()
