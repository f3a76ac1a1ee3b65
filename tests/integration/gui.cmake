# The desktop app over real links (labels gui and integration): the main window against an
# OpenSSH sshd on 127.0.0.1 (host-key dialog, kernel-log stream, fetching from the node).
if(TARGET kmodscope-gui)
    include(${PROJECT_SOURCE_DIR}/tests/fixtures/kmsfixture/fixture.cmake)
    kms_add_qtest(tst_gui_ssh SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_ssh.cpp
        LABELS "gui;integration" LIBS kmodscope-gui)
    target_include_directories(tst_gui_ssh PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    target_compile_definitions(tst_gui_ssh PRIVATE ${KMS_FIXTURE_DEFINITIONS})
    add_dependencies(tst_gui_ssh kmsfixture_modules)
    set_tests_properties(tst_gui_ssh PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
endif()
