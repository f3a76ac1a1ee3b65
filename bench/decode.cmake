# Decoding one 30-frame module oops in process: parse, cold (catalog + libdwfl setup) and warm
# (catalog loaded, as in the GUI) resolve. The comparison with decode_stacktrace.sh and addr2line
# is bench/decode_compare.py (whole processes).
if(benchmark_FOUND)
    add_executable(bench_decode ${CMAKE_CURRENT_LIST_DIR}/bench_decode.cpp)
    target_link_libraries(bench_decode PRIVATE kmodscope-core benchmark::benchmark)
    target_compile_definitions(bench_decode PRIVATE
        KMS_FIXTURE_KO="${PROJECT_BINARY_DIR}/fixtures/kmsfixture-x86_64/kmsfixture.ko"
        KMS_MAKE_OOPS="${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/make-oops.py")
    if(TARGET kmsfixture_modules)
        add_dependencies(bench_decode kmsfixture_modules)
    endif()
endif()
