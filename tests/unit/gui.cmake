# Tests of app/gui (label gui, offscreen): the console model alone, and the real main window
# driven through a pty "serial port" with the seed ARM oops and a fixture-module oops.
if(TARGET kmodscope-gui)
    include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
    kms_add_qtest(tst_gui_console SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_console.cpp
        LABELS gui LIBS kmodscope-gui)
    kms_add_qtest(tst_gui_console_boots SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_console_boots.cpp
        LABELS gui LIBS kmodscope-gui)
    target_include_directories(tst_gui_console_boots PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
    kms_add_qtest(tst_gui_window SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_window.cpp
        LABELS gui LIBS kmodscope-gui)
    target_include_directories(tst_gui_window PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
    target_compile_definitions(tst_gui_window PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_gui_window kmsfixture_modules)
    kms_add_qtest(tst_gui_follow SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_follow.cpp
        LABELS gui LIBS kmodscope-gui)
    target_include_directories(tst_gui_follow PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
    target_compile_definitions(tst_gui_follow PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_gui_follow kmsfixture_modules)
    # The Reports dock's tabs (Code, Registers, "?" frames) and the menus, shortcuts and drops.
    foreach(t tst_gui_reportdetail tst_gui_menus)
        kms_add_qtest(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.cpp LABELS gui LIBS kmodscope-gui)
        target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
        target_compile_definitions(${t} PRIVATE ${KMS_FIXTURE_DEFINITIONS})
        add_dependencies(${t} kmsfixture_modules)
    endforeach()
    set_tests_properties(tst_gui_console tst_gui_window tst_gui_follow tst_gui_reportdetail tst_gui_menus
                         PROPERTIES TIMEOUT 300)
endif()
