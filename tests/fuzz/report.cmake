# libFuzzer target for line splitting, console prefixes, report detection and parsing.
# The sources are compiled into the fuzzer itself so that they carry libFuzzer's coverage
# instrumentation (the core library is built without it).
if(KMS_FUZZ)
    set(kms_report_fuzz_sources
        ${PROJECT_SOURCE_DIR}/app/core/log/linesplitter.cpp
        ${PROJECT_SOURCE_DIR}/app/core/log/consoleline.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/kernelreport.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportmarkers.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportmessages.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/framelineparser.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/guiltyframe.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportfields.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportparser.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportheader.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportlines.cpp
        ${PROJECT_SOURCE_DIR}/app/core/report/reportdetector.cpp)
    add_executable(fuzz_report ${CMAKE_CURRENT_LIST_DIR}/fuzz_report.cpp ${kms_report_fuzz_sources})
    set_target_properties(fuzz_report PROPERTIES AUTOMOC OFF)
    target_include_directories(fuzz_report PRIVATE ${PROJECT_SOURCE_DIR}/app/core)
    # Optimised even in a Debug tree: at -O0 every QByteArrayView::operator[] and byte helper is
    # an instrumented out-of-line call; perf showed it dominating, and -O2 cut the CPU time of an
    # execution about 4x. The sanitizers stay on, and so do Qt's inline asserts (no QT_NO_DEBUG).
    # Coverage where the engine decides, measured with perf and bench/fuzz_rate.sh (an
    # execution cost 3x the detection itself):
    # - no trace-cmp: libFuzzer keeps only 4- and 8-byte integer compares for its mutations
    #   (1- and 2-byte ones feed -use_value_profile alone, which is off), and a byte-by-byte
    #   text parser makes few useful ones; the callbacks were a quarter of the CPU time. String
    #   compares still reach the mutator through libFuzzer's memcmp/strncmp hooks.
    # - no coverage in Qt's and the standard library's inline code (coverage_ignore.txt):
    #   QByteArrayView::operator[] and friends are out of line here, and their counters made
    #   features (and libFuzzer's bookkeeping on each one) that say nothing of the engine.
    # The list is used under a name with its hash in it: ccache does not read the file, and
    # ignores a -D that the sources do not use, but a changed option makes it compile again.
    file(MD5 ${CMAKE_CURRENT_LIST_DIR}/coverage_ignore.txt kms_fuzz_ignorelist_md5)
    set(kms_fuzz_ignorelist ${CMAKE_CURRENT_BINARY_DIR}/coverage_ignore-${kms_fuzz_ignorelist_md5}.txt)
    configure_file(${CMAKE_CURRENT_LIST_DIR}/coverage_ignore.txt ${kms_fuzz_ignorelist} COPYONLY)
    target_compile_options(fuzz_report PRIVATE -fsanitize=fuzzer -fno-sanitize-coverage=trace-cmp -O2
        -fsanitize-coverage-ignorelist=${kms_fuzz_ignorelist})
    target_link_options(fuzz_report PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_report PRIVATE Qt6::Core)

    # Seeds: the corpora, the sample logs, one log per report format (written from the kernel's
    # printing code) and the node's captures, split by seed_split into one seed per report (plus
    # a little context) and a few pieces of the lines between reports, each at most 4 KB: 85% of
    # the reports fit whole, the rest keep their headline and the start of their trace. Whole
    # logs (up to 50 KB) made every mutation of them cost what their bytes cost. 4096 is also the
    # -max_len libFuzzer picks for such seeds (the larger of 4096 and the largest seed).
    set(kms_fuzz_report_max_len 4096)
    add_executable(fuzz_report_seed_split ${CMAKE_CURRENT_LIST_DIR}/seed_split.cpp ${kms_report_fuzz_sources})
    set_target_properties(fuzz_report_seed_split PROPERTIES AUTOMOC OFF)
    target_include_directories(fuzz_report_seed_split PRIVATE ${PROJECT_SOURCE_DIR}/app/core)
    target_link_libraries(fuzz_report_seed_split PRIVATE Qt6::Core)
    set(seed_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_report_seeds)
    file(GLOB satyr_seeds ${KMS_TEST_DATA_DIR}/corpus/satyr/*)
    file(GLOB abrt_seeds ${KMS_TEST_DATA_DIR}/corpus/abrt/*)
    file(GLOB sample_seeds ${KMS_SAMPLES_DIR}/*.log)
    file(GLOB format_seeds ${KMS_TEST_DATA_DIR}/formats/*.log ${KMS_TEST_DATA_DIR}/captures/*.log)
    list(FILTER satyr_seeds EXCLUDE REGEX "\\.(md|tsv)$")
    list(FILTER abrt_seeds EXCLUDE REGEX "\\.(md|right)$")
    set(seed_logs ${satyr_seeds} ${abrt_seeds} ${sample_seeds} ${format_seeds})
    add_custom_command(OUTPUT ${seed_dir}.stamp
        COMMAND ${CMAKE_COMMAND} -E rm -rf ${seed_dir}
        COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                $<TARGET_FILE:fuzz_report_seed_split> ${seed_dir} ${kms_fuzz_report_max_len} ${seed_logs}
        COMMAND ${CMAKE_COMMAND} -E touch ${seed_dir}.stamp
        DEPENDS fuzz_report_seed_split ${seed_logs}
        COMMENT "Splitting the report corpora into fuzz seeds"
        VERBATIM)
    add_custom_target(fuzz_report_seeds ALL DEPENDS ${seed_dir}.stamp)

    # Bounded for CI (total budget 40 min): 60 s of fuzzing; new inputs go to a scratch dir.
    set(work_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz_report_work)
    file(MAKE_DIRECTORY ${work_dir})
    add_test(NAME fuzz_report
        COMMAND fuzz_report -max_total_time=60 -max_len=${kms_fuzz_report_max_len} -timeout=10 -rss_limit_mb=2048
                -dict=${CMAKE_CURRENT_LIST_DIR}/report.dict ${work_dir} ${seed_dir})
    set_tests_properties(fuzz_report PROPERTIES LABELS fuzz TIMEOUT 180)
endif()
