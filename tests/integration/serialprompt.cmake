# The node's shell prompt on a pty serial console: shown while it waits, and a kernel report whose
# first line follows it on the same physical line found and decoded (gdb-multiarch as oracle).
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_serialprompt SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_serialprompt.cpp
        LABELS "integration;gui" LIBS kmodscope-gui)
    set_tests_properties(tst_serialprompt PROPERTIES TIMEOUT 120 RUN_SERIAL ON)
endif()
