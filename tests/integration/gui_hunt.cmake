# The Hunt dock over a real sshd and the real cycle script on the fake node (labels gui and
# integration).
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_hunt_ssh SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_hunt_ssh.cpp
        LABELS "gui;integration" LIBS kmodscope-gui)
    target_include_directories(tst_gui_hunt_ssh PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
    set_tests_properties(tst_gui_hunt_ssh PROPERTIES TIMEOUT 400 RUN_SERIAL ON)
endif()
