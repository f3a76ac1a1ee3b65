# The Cycles dock over a real sshd and the real cycle script on the fake node (labels gui and
# integration).
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_cycles_ssh SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_cycles_ssh.cpp
        LABELS "gui;integration" LIBS kmodscope-gui)
    target_include_directories(tst_gui_cycles_ssh PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    set_tests_properties(tst_gui_cycles_ssh PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
endif()
