# Fault explanation (app/core/explain): access decoding, address kinds, access chains, bad input
# and the seed log (tst_explain); real oopses captured on the virtual node, checked against gdb's
# ptype /o and info scope on the same .ko (tst_explain_captures, needs gdb-multiarch and xz).
kms_add_qtest(tst_explain SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_explain.cpp)
kms_add_qtest(tst_explain_captures SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_explain_captures.cpp)
# arm64 (no node): oopses written from the fixture's own arm64 build (make-explain-oops.py).
include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
target_compile_definitions(tst_explain_captures PRIVATE ${KMS_FIXTURE_DEFINITIONS})
add_dependencies(tst_explain_captures kmsfixture_modules)
set_tests_properties(tst_explain_captures PROPERTIES TIMEOUT 300)
