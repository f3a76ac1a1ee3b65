# Debug info by build id through a real debuginfod server on 127.0.0.1 (Debian package
# debuginfod), decoding the fixture module's report against a stripped copy: with kmodscope-cli
# and the core (tst_debuginfod), and in a live session as the GUI and watch run it
# (tst_debuginfod_session).
# RUN_SERIAL: they assert how long a dead or silent server may cost.
include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
if(TARGET kmodscope-cli)
    kms_add_qtest(tst_debuginfod SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_debuginfod.cpp
        ${CMAKE_CURRENT_LIST_DIR}/debuginfodfixture.h LABELS integration)
    target_include_directories(tst_debuginfod PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    target_compile_definitions(tst_debuginfod PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_debuginfod kmodscope-cli kmsfixture_modules)
    set_tests_properties(tst_debuginfod PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
kms_add_qtest(tst_debuginfod_session SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_debuginfod_session.cpp
    ${CMAKE_CURRENT_LIST_DIR}/debuginfodfixture.h LABELS integration)
target_include_directories(tst_debuginfod_session PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
target_compile_definitions(tst_debuginfod_session PRIVATE ${KMS_FIXTURE_DEFINITIONS})
add_dependencies(tst_debuginfod_session kmsfixture_modules)
set_tests_properties(tst_debuginfod_session PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
# The main window with debuginfod (labels gui and integration): the real server's decode, and a
# server that is down or silent, said per frame row while the GUI thread keeps running.
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_debuginfod SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_debuginfod.cpp
        ${CMAKE_CURRENT_LIST_DIR}/debuginfodfixture.h LABELS "gui;integration" LIBS kmodscope-gui)
    target_include_directories(tst_gui_debuginfod PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    target_compile_definitions(tst_gui_debuginfod PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_gui_debuginfod kmsfixture_modules)
    set_tests_properties(tst_gui_debuginfod PROPERTIES TIMEOUT 180 RUN_SERIAL ON)
endif()
