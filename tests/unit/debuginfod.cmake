# Build ids for debuginfod: note parsing (oracle: readelf -n on the fixture modules) and the CLI's
# --build-id syntax. The server itself is in tests/integration/tst_debuginfod.cpp.
include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
kms_add_qtest(tst_debuginfod_buildids SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_debuginfod_buildids.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tst_symbols_helpers.h ${PROJECT_SOURCE_DIR}/app/cli/debuginfodoptions.cpp)
target_compile_definitions(tst_debuginfod_buildids PRIVATE ${KMS_FIXTURE_DEFINITIONS})
add_dependencies(tst_debuginfod_buildids kmsfixture_modules)
