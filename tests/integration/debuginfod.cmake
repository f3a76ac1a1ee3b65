# Debug info by build id through a real debuginfod server on 127.0.0.1 (Debian package
# debuginfod), decoding the fixture module's report against a stripped copy with kmodscope-cli.
if(TARGET kmodscope-cli)
    include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
    kms_add_qtest(tst_debuginfod SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_debuginfod.cpp LABELS integration)
    target_compile_definitions(tst_debuginfod PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_debuginfod kmodscope-cli kmsfixture_modules)
    # RUN_SERIAL: it asserts how long a dead or silent server may cost.
    set_tests_properties(tst_debuginfod PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
