# Tests of app/core/symbols. The fixture modules (tests/fixtures/kmsfixture) are real .ko files
# built for x86_64, armhf and arm64; the expected lines come from binutils' addr2line, run by the
# tests themselves.
include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)

kms_add_qtest(tst_pathmap SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_pathmap.cpp)
kms_add_qtest(tst_disassembler SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_disassembler.cpp)
foreach(t tst_modulecatalog tst_symbolizer)
    kms_add_qtest(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp
        ${CMAKE_CURRENT_LIST_DIR}/tst_symbols_helpers.h)
    target_compile_definitions(${t} PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(${t} kmsfixture_modules)
endforeach()
set_tests_properties(tst_symbolizer PROPERTIES TIMEOUT 300)
